/**
 * The offline planner's reading of a goal: plain sentences in, a list of tool actions out, deterministically.
 * It understands a small, documented set of requests (see GOAL_HELP) and says what it did not understand rather
 * than guessing. Quoted text ("...", '...', `...`) is always taken literally: a file name, content or a command.
 */

export type PlannedAction =
  | { tool: 'write_file'; args: { path: string; content: string; append?: boolean } }
  | { tool: 'read_file'; args: { path: string } }
  | { tool: 'edit_file'; args: { path: string; find: string; replace: string } }
  | { tool: 'list_files'; args: { path: string } }
  | { tool: 'mkdir'; args: { path: string } }
  | { tool: 'run_command'; args: { command: string } };

export interface GoalPlan {
  actions: PlannedAction[];
  /** Parts of the goal it could not turn into actions, as written. */
  unknown: string[];
}

export const GOAL_HELP = [
  'create notes/todo.md with content "..." (or: listing three tasks)',
  'write "..." to a.txt',
  'read a.txt / show a.txt',
  'append "..." to a.txt',
  'replace "old" with "new" in a.txt',
  'list files in docs',
  'make a folder called docs',
  'delete a.txt',
  'run `ls -la` (or: run: echo hi)',
  'show a.txt with cat',
];

// Quoted spans are swapped for placeholders first, so nothing inside them is read as grammar.
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
const ONLY_PLACEHOLDER = /^\uE000(\d+)\uE001$/;

interface Literal {
  text: string;
  quote: string;
}

interface Masked {
  text: string;
  literals: Literal[];
}

function mask(goal: string): Masked {
  const literals: Literal[] = [];
  let text = '';
  for (let i = 0; i < goal.length;) {
    const rest = goal.slice(i);
    const fence = /^```[^\n]*\n([\s\S]*?)```/.exec(rest) ?? /^```([\s\S]*?)```/.exec(rest);
    const simple = fence ? null : quoteAt(goal, i);
    if (fence || simple) {
      const [inner, length, quote] = fence ? [fence[1]!.replace(/\n$/, ''), fence[0].length, '`'] : simple!;
      literals.push({ text: inner, quote });
      text += `${OPEN}${literals.length - 1}${CLOSE}`;
      i += length;
      continue;
    }
    text += goal[i];
    i++;
  }
  return { text, literals };
}

/** A quoted span starting at i: [inner text, length consumed, quote kind], or null. */
function quoteAt(s: string, i: number): [string, number, string] | null {
  const ch = s[i]!;
  const pairs: Record<string, string> = { '"': '"', '`': '`', '“': '”', "'": "'", '‘': '’' };
  const close = pairs[ch];
  if (!close) return null;
  // an apostrophe inside a word ("don't") opens nothing
  if ((ch === "'" || ch === '‘') && i > 0 && /[\p{L}\p{N}]/u.test(s[i - 1]!)) return null;
  let end = s.indexOf(close, i + 1);
  if (ch === "'") {
    // the closing quote must end a word too: skip apostrophes such as "it's"
    while (end !== -1 && /[\p{L}\p{N}]/u.test(s[end + 1] ?? '')) end = s.indexOf(close, end + 1);
  }
  if (end === -1) return null;
  return [s.slice(i + 1, end), end - i + 1, ch === '“' ? '"' : ch === '‘' ? "'" : ch];
}

const VERBS =
  'create|make|write|save|put|generate|read|show|display|print|cat|open|view|list|ls|append|add|replace|change|edit|run|execute|exec|delete|remove|rm|mkdir|report|summarize|summarise|tell|finally';

/** Splits the goal into clauses at sentence ends, "then", and "and"/commas that introduce a new verb. */
function clauses(text: string): string[] {
  const verb = `(?=(?:${VERBS})\\b)`;
  const separators = new RegExp(
    [
      '\\n+',
      '[,;.]?\\s+(?:and\\s+)?then\\b[,\\s]*',
      // not after a leading "in FILE," (in config.ini, change ...)
      `(?<!(?:^|[.\\n]\\s*)in\\s+\\S+)\\s*[;,]\\s*(?:and\\s+)?${verb}`,
      `\\s+and\\s+${verb}`,
      '(?<=[\\p{L}\\p{N})\\]"\'`\uE001])\\.\\s+',
    ].join('|'),
    'iu',
  );
  return text
    .split(separators)
    .map((c) => c.trim())
    .filter(Boolean);
}

const NUMBER_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];
const FILLER =
  /^(?:(?:please|first(?:ly)?|second(?:ly)?|next|also|finally|lastly|now|and|then|afterwards|after that|to|can you|could you|i want you to|you should)\b[,:\s]*)+/i;
const PATHISH = /^(?:~\/|\.\/|\/)?[\w.@+-]+(?:\/[\w.@+-]+)*\/?$/;

export function parseGoal(goal: string): GoalPlan {
  const masked = mask(goal.trim());
  const plan: GoalPlan = { actions: [], unknown: [] };
  const state: ParseState = { lastPath: undefined, literals: masked.literals };
  for (const raw of clauses(masked.text)) {
    const clause = raw
      .replace(FILLER, '')
      .replace(/[.!?]+$/, '')
      .trim();
    if (!clause) continue;
    const actions = parseClause(clause, state);
    if (actions === 'ignore') continue;
    if (actions.length) plan.actions.push(...actions);
    else plan.unknown.push(unmask(raw, masked.literals, true));
  }
  return plan;
}

interface ParseState {
  lastPath: string | undefined;
  literals: Literal[];
}

type ClauseResult = PlannedAction[] | 'ignore';

function parseClause(clause: string, state: ParseState): ClauseResult {
  for (const recognizer of [
    remove,
    mkdir,
    append,
    replace,
    list,
    run,
    showWith,
    write,
    read,
    bareCommand,
    report,
  ]) {
    const result = recognizer(clause, state);
    if (result) return result;
  }
  return [];
}

// --- recognizers: each returns actions, 'ignore', or undefined (not mine) ---

function remove(clause: string, state: ParseState): ClauseResult | undefined {
  const m = /^(?:delete|remove|rm)\s+(.+)$/i.exec(clause);
  if (!m) return undefined;
  const path = pathOnly(m[1]!, state);
  if (!path) return undefined;
  const folder = /\b(?:folder|directory|dir)\b/i.test(m[1]!) || path.endsWith('/');
  return [
    {
      tool: 'run_command',
      args: { command: `rm ${folder ? '-r ' : ''}-- ${shellWord(path.replace(/\/$/, ''))}` },
    },
  ];
}

function mkdir(clause: string, state: ParseState): ClauseResult | undefined {
  const m = /^(?:create|make|add|mkdir)\b\s*(.*)$/i.exec(clause);
  if (!m) return undefined;
  const rest = m[1]!.trim();
  const folderWord = /\b(?:folder|directory|dir)\b/i;
  if (!/^mkdir\b/i.test(clause) && !folderWord.test(rest) && !/^\S+\/$/.test(rest)) return undefined;
  if (/\bfile\b/i.test(rest) || CONTENT_MARKER.test(rest)) return undefined;
  // "a folder called docs", "the docs folder", "folder docs", "docs/"
  const named = /\b(?:called|named)\s+(.+)$/i.exec(rest);
  const phrase = named
    ? named[1]!
    : rest.replace(/\b(?:a|an|the|new|empty)\b/gi, ' ').replace(folderWord, ' ');
  const path = pathOnly(phrase, state, true);
  if (!path) return undefined;
  state.lastPath = path;
  return [{ tool: 'mkdir', args: { path: path.replace(/\/$/, '') } }];
}

function append(clause: string, state: ParseState): ClauseResult | undefined {
  let content: string | undefined;
  let path: string | undefined;
  let m = /^(?:append|add)\s+(.+)\s+(?:to|into|onto|at the end of)\s+(.+)$/i.exec(clause);
  if (m) [content, path] = [m[1]!, pathOnly(m[2]!, state)];
  else if ((m = /^append\s+to\s+(\S+)\s*:?\s+(.+)$/i.exec(clause)))
    [path, content] = [pathOnly(m[1]!, state), m[2]!];
  if (content === undefined || !path) return undefined;
  const text = contentOf(
    content.replace(/^(?:(?:a|the)\s+)?(?:new\s+)?(?:line|text|note|entry)\s*:?\s+/i, ''),
    state,
  );
  state.lastPath = path;
  return [{ tool: 'write_file', args: { path, content: asLine(text), append: true } }];
}

function replace(clause: string, state: ParseState): ClauseResult | undefined {
  const forms = [
    /^(?:replace|change|substitute)\s+(?<find>.+?)\s+(?:with|to|by|into)\s+(?<repl>.+?)\s+in\s+(?<path>.+)$/i,
    /^in\s+(?<path>.+?),?\s+(?:replace|change)\s+(?<find>.+?)\s+(?:with|to|by|into)\s+(?<repl>.+)$/i,
    /^edit\s+(?<path>.+?)(?:\s*[:,]|\s+and|\s+to)\s+(?:replace|change)\s+(?<find>.+?)\s+(?:with|to|by|into)\s+(?<repl>.+)$/i,
  ];
  for (const form of forms) {
    const g = form.exec(clause)?.groups;
    if (!g) continue;
    const path = pathOnly(g.path!, state);
    if (!path) continue;
    state.lastPath = path;
    return [
      {
        tool: 'edit_file',
        args: { path, find: contentOf(g.find!, state), replace: contentOf(g.repl!, state) },
      },
    ];
  }
  return undefined;
}

function list(clause: string, state: ParseState): ClauseResult | undefined {
  const m =
    /^(?:list|ls)\b(.*)$/i.exec(clause) ??
    /^(?:show|display|what)\b.*?\b(?:files|folders)\b(.*)$/i.exec(clause);
  if (!m) return undefined;
  const rest = m[1]!
    .replace(
      /^\s*(?:all\s+)?(?:the\s+)?(?:my\s+)?(?:files|folders|entries|contents|everything)?\s*(?:are\s+)?/i,
      '',
    )
    .replace(/^(?:in|of|under|inside)\s+/i, '')
    .trim();
  if (!rest || /^(?:(?:the|my|your)\s+)?(?:home|home folder|home directory|~|\.)$/i.test(rest)) {
    return [{ tool: 'list_files', args: { path: '.' } }];
  }
  const path = pathOnly(rest, state, true);
  return path ? [{ tool: 'list_files', args: { path: path.replace(/\/$/, '') || '.' } }] : undefined;
}

function run(clause: string, state: ParseState): ClauseResult | undefined {
  const m = /^(?:run|execute|exec)\b(?:\s+(?:the\s+)?(?:shell\s+)?(?:command|script))?\s*:?\s*(.*)$/i.exec(
    clause,
  );
  if (!m) return undefined;
  const rest = m[1]!.trim();
  if (!rest) return undefined;
  // run `a` and `b`: one action per quoted command
  const parts = rest.split(/\s*(?:,|\band\b)\s*/i).filter(Boolean);
  if (parts.length > 1 && parts.every((p) => ONLY_PLACEHOLDER.test(p))) {
    return parts.map((p) => ({ tool: 'run_command', args: { command: literalText(p, state)! } }));
  }
  const command = literalText(rest, state) ?? unmask(rest, state.literals, true);
  return [{ tool: 'run_command', args: { command } }];
}

function showWith(clause: string, state: ParseState): ClauseResult | undefined {
  const m = /^(?:show|display|print|view|check|output)\s+(.+?)\s+(?:with|using|via|by running)\s+(.+)$/i.exec(
    clause,
  );
  if (!m) return undefined;
  const path = pathOnly(m[1]!, state);
  const tool =
    literalText(m[2]!, state) ??
    m[2]!
      .replace(/^(?:the\s+)?/i, '')
      .replace(/\s+command$/i, '')
      .trim();
  if (!path || !/^[\w.-]+(?:\s+-{1,2}[\w-]+)*$/.test(tool)) return undefined;
  state.lastPath = path;
  return [{ tool: 'run_command', args: { command: `${tool} ${shellWord(path)}` } }];
}

const CONTENT_MARKER =
  /\s+(?:with\s+(?:the\s+)?(?:content|contents|text|body|line|lines)\s*:?|containing|that\s+(?:says|contains|reads|lists)|which\s+(?:says|contains|lists)|saying|listing|with)\s*:?\s+/i;

function write(clause: string, state: ParseState): ClauseResult | undefined {
  const m = /^(create|make|write|save|put|generate)\b\s*(.*)$/i.exec(clause);
  if (!m) return undefined;
  const rest = m[2]!;
  // write "hello" to a.txt
  if (/^(?:write|save|put)$/i.test(m[1]!)) {
    const into = /^(.+)\s+(?:to|into|in)\s+(.+)$/i.exec(rest);
    const path = into ? pathOnly(into[2]!, state) : undefined;
    if (into && path) {
      state.lastPath = path;
      return [{ tool: 'write_file', args: { path, content: asLine(contentOf(into[1]!, state)) } }];
    }
  }
  const marker = CONTENT_MARKER.exec(rest);
  const path = pathOnly(marker ? rest.slice(0, marker.index) : rest, state);
  if (!path) return undefined;
  state.lastPath = path;
  if (!marker) return [{ tool: 'write_file', args: { path, content: '' } }];
  const after = rest.slice(marker.index + marker[0].length);
  const content = generatedList(after, path) ?? asLine(contentOf(after, state));
  return [{ tool: 'write_file', args: { path, content } }];
}

function read(clause: string, state: ParseState): ClauseResult | undefined {
  const m =
    /^(?:read|show|display|print|cat|open|view|output)\b(?:\s+me)?(?:\s+(?:the\s+)?(?:contents?|text)\s+of)?(?:\s+what'?s\s+in)?\s+(.+)$/i.exec(
      clause,
    );
  if (!m) return undefined;
  const path = pathOnly(m[1]!, state);
  if (!path) return undefined;
  state.lastPath = path;
  return [{ tool: 'read_file', args: { path } }];
}

function bareCommand(clause: string, state: ParseState): ClauseResult | undefined {
  const m = ONLY_PLACEHOLDER.exec(clause);
  if (!m || state.literals[Number(m[1])]!.quote !== '`') return undefined;
  return [{ tool: 'run_command', args: { command: state.literals[Number(m[1])]!.text } }];
}

function report(clause: string): ClauseResult | undefined {
  return /^(?:report|summari[sz]e|tell|say|let me know|describe|explain)\b/i.test(clause) ||
    /^(?:be\s+)?done$/i.test(clause)
    ? 'ignore'
    : undefined;
}

// --- values ---

/**
 * The path a phrase consists of, and nothing else: "notes/a.md", "the file called 'my notes.txt'", "it" (the last
 * file mentioned). A bare word without a dot or slash counts only where the phrase says it is a file or folder.
 * Leftover words mean the phrase says more than a path, so it is not understood (rather than half understood).
 */
function pathOnly(phrase: string, state: ParseState, loose = false): string | undefined {
  const named = /\b(?:file|folder|directory|dir|called|named)\b/i.test(phrase);
  const text = phrase
    .trim()
    .replace(/[.,;:!?]+$/, '')
    .replace(/^(?:(?:the|a|an|my|new|empty|text|markdown|same)\s+)*/i, '')
    .replace(/^(?:(?:file|folder|directory|dir)\s+)?(?:(?:called|named)\s+)?/i, '')
    .replace(/\s+(?:file|folder|directory|dir)$/i, '')
    .trim();
  if (/^(?:it|that|this|them|that file|this file|the file|the result)$/i.test(text)) return state.lastPath;
  const literal = literalText(text, state);
  if (literal !== undefined)
    return literal.includes('\n') || literal.length > 4096 ? undefined : normalizePath(literal);
  if (!PATHISH.test(text) || /:\/\//.test(text)) return undefined;
  if (/\//.test(text) || /\.[A-Za-z]\w{0,7}$/.test(text) || loose || named) return normalizePath(text);
  return undefined;
}

function normalizePath(path: string): string {
  return path.replace(/^\/home\/agent\//, '').replace(/^(?:\.\/)+/, '') || '.';
}

function literalText(text: string, state: ParseState): string | undefined {
  const m = ONLY_PLACEHOLDER.exec(text.trim());
  return m ? state.literals[Number(m[1])]!.text : undefined;
}

/** Content as written: a quoted literal exactly, else the words with quoted parts restored; \n means a new line. */
function contentOf(text: string, state: ParseState): string {
  const trimmed = text.trim().replace(/[.]$/, '');
  const value = literalText(trimmed, state) ?? unmask(trimmed, state.literals, false);
  return value.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
}

function asLine(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** "three tasks", "a list of 5 ideas": a numbered placeholder list, titled after the file. */
function generatedList(text: string, path: string): string | undefined {
  const m = /^(?:a\s+(?:short\s+)?list\s+of\s+|an?\s+)?(\d{1,2}|[a-z]+)\s+([a-z][\w-]*)$/i.exec(
    text.trim().replace(/[.]$/, ''),
  );
  if (!m) return undefined;
  const count = /^\d+$/.test(m[1]!) ? Number(m[1]) : NUMBER_WORDS.indexOf(m[1]!.toLowerCase());
  if (count < 1 || count > 50) return undefined;
  const noun = m[2]!.toLowerCase();
  const singular = noun.replace(/(?:ies)$/, 'y').replace(/(?<!s)s$/, '');
  const label = singular.charAt(0).toUpperCase() + singular.slice(1);
  const todo = /^(?:task|todo|to-do|chore|step)$/.test(singular);
  const base = path
    .split('/')
    .pop()!
    .replace(/\.[^.]+$/, '');
  const title = base.charAt(0).toUpperCase() + base.slice(1).replace(/[-_]+/g, ' ');
  const items = Array.from({ length: count }, (_, i) => `- ${todo ? '[ ] ' : ''}${label} ${i + 1}`);
  return `# ${title}\n\n${items.join('\n')}\n`;
}

function unmask(text: string, literals: Literal[], withQuotes: boolean): string {
  return text.replace(PLACEHOLDER, (_, i: string) => {
    const literal = literals[Number(i)]!;
    return withQuotes ? `${literal.quote}${literal.text}${literal.quote}` : literal.text;
  });
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
