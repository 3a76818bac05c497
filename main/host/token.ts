// What a host token chosen by a person (HABITAT_TOKEN) must be. It is the one key to every agent, so an empty or
// guessable one is refused rather than taken silently. A light module: the CLI checks it before loading the kernel.

/** The shortest token a host accepts: 32 characters, as many as `openssl rand -hex 16` prints (128 bits). */
export const TOKEN_MIN_LENGTH = 32;
/** It travels in a URL and a request header: a few hundred characters is plenty. */
export const TOKEN_MAX_LENGTH = 512;
/** Distinct characters a token must use: 'aaaa…' or 'passwordpassword…' are long but no secret. */
export const TOKEN_MIN_DISTINCT = 8;
/** URL-unreserved characters: the token goes in `?token=` and in a WebSocket subprotocol, unescaped, in both. */
const TOKEN_CHARACTERS = /^[A-Za-z0-9._~-]*$/;

const RULE = `at least ${TOKEN_MIN_LENGTH} characters (letters, digits, . _ ~ -), e.g. from \`openssl rand -hex 32\``;

/** Why `token` cannot be a host's token, or undefined when it can. `name` is what the message calls it. */
export function hostTokenProblem(token: string, name = 'the host token'): string | undefined {
  const problem = whatIsWrong(token);
  return problem && `${name} ${problem}: a token must be ${RULE}`;
}

function whatIsWrong(token: string): string | undefined {
  if (token.length === 0) return 'is empty';
  if (!TOKEN_CHARACTERS.test(token)) return 'holds a character other than letters, digits and . _ ~ -';
  if (token.length < TOKEN_MIN_LENGTH) return `is ${token.length} characters long`;
  if (token.length > TOKEN_MAX_LENGTH) return `is ${token.length} characters long, over ${TOKEN_MAX_LENGTH}`;
  if (new Set(token).size < TOKEN_MIN_DISTINCT)
    return `uses fewer than ${TOKEN_MIN_DISTINCT} different characters`;
  return undefined;
}
