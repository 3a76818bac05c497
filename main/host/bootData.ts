import type { IncomingMessage } from 'node:http';
import { extname } from 'node:path';
import { tokensEqual, type Bridge, type CallContext } from '../bridge/index.js';

/** What the page shows first, and so asks for first: sent with the page, the page paints without waiting for it. */
const FIRST_CALLS = ['system.info', 'process.list'] as const;

/** The page goes out without its data rather than wait longer than this for it. */
const BOOT_WAIT_MS = 250;

const context: CallContext = {
  sessionId: 0,
  transport: 'websocket',
  push: () => {},
  onClose: () => {},
};

/**
 * The answers to the page's first calls, as JSON, for a request for the page that carries the host's token (the
 * first URL a person opens does); undefined otherwise, or if a call fails. A busy host answers a page's socket
 * hundreds of milliseconds after it opens, while the page itself went out at once: with these in it, Mission Control
 * draws its agents as soon as its scripts have run. The page's own calls still go out and their answers replace
 * these (an agent may have started in between).
 */
export async function bootData(
  bridge: Bridge,
  request: IncomingMessage,
  token: string,
): Promise<string | undefined> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  // a page (the renderer routes itself), not one of its files
  const page = extname(url.pathname) === '' || url.pathname === '/index.html';
  const given = url.searchParams.get('token');
  if (request.method !== 'GET' || !page || given === null || !tokensEqual(given, token)) return undefined;
  const answers = await withinTime(
    Promise.all(FIRST_CALLS.map((command) => bridge.dispatch(command, {}, context))),
    BOOT_WAIT_MS,
  );
  if (!answers) return undefined;
  const data: Record<string, unknown> = {};
  for (const [i, outcome] of answers.entries()) {
    if (!outcome.ok) return undefined;
    data[FIRST_CALLS[i]!] = outcome.result;
  }
  return JSON.stringify(data);
}

/** The promise's value if it settles in time, else undefined (a rejection counts as no value). */
async function withinTime<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
