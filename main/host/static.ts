import { createReadStream, existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { BOOT_ELEMENT_ID } from '../../shared/protocol/envelope.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

export function contentSecurityPolicy(wsOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${wsOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Resolves a URL path inside root, or undefined when it would leave it. Paths without an extension fall back to
 * index.html (the renderer routes itself).
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const base = resolve(root);
  const target = resolve(join(base, decoded));
  if (target !== base && !target.startsWith(base + sep)) return undefined;
  if (statSync(target, { throwIfNoEntry: false })?.isFile()) return target;
  if (extname(decoded) === '') return join(base, 'index.html');
  return undefined;
}

export function serveStatic(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
  csp: string,
  /** The page's first data (see bootData), added to index.html's head; only for a request that showed the token. */
  boot?: string,
): void {
  const headers = {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer', // the first URL carries the token
    'Cross-Origin-Opener-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  const file = resolveStaticPath(root, url.pathname);
  // one stat a request: whether it is there, and whether the copy in memory is still that file
  const stats = file ? statSync(file, { throwIfNoEntry: false }) : undefined;
  if (!file || !stats) {
    const missingBuild = !existsSync(join(root, 'index.html'));
    response
      .writeHead(missingBuild ? 503 : 404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
      .end(missingBuild ? 'The renderer is not built: run `npm run build` first.\n' : 'Not found\n');
    return;
  }
  const hashed = file.startsWith(join(resolve(root), 'assets') + sep); // Vite names these by content hash
  response.writeHead(200, {
    ...headers,
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const body = cachedBody(file, stats);
  if (body && boot !== undefined && file === join(resolve(root), 'index.html'))
    response.end(withBoot(body, boot));
  else if (body) response.end(body);
  else createReadStream(file).pipe(response);
}

/**
 * index.html with the first data in its head, as a JSON data block: not a script that runs (the CSP allows none
 * inline), and with every `<` escaped, so no string in it (an agent named `</script>`) can end the block.
 */
function withBoot(html: Buffer, boot: string): string {
  const block = `<script type="application/json" id="${BOOT_ELEMENT_ID}">${boot.replace(/</g, '\\u003c')}</script>`;
  const page = html.toString('utf8');
  const head = page.indexOf('</head>');
  return head === -1 ? page + block : page.slice(0, head) + block + page.slice(head);
}

/** Files up to this size are kept in memory once read: the whole renderer build is a few MiB. */
const CACHE_FILE_MAX = 4 * 1024 * 1024;
const CACHE_TOTAL_MAX = 64 * 1024 * 1024;
const cache = new Map<string, { mtimeMs: number; size: number; body: Buffer }>();
let cachedBytes = 0;

/**
 * The file's bytes from memory, read again when it changed on disk (a rebuild while serving). A page load asks for a
 * dozen scripts at once while the host is busy with its agents: answering each in one write, rather than a stream of
 * 64 KiB reads each waiting its turn in the event loop, is what makes the first paint quick.
 */
function cachedBody(file: string, { mtimeMs, size }: Stats): Buffer | undefined {
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs && hit.size === size) return hit.body;
  if (size > CACHE_FILE_MAX) return undefined;
  const body = readFileSync(file);
  if (hit) cachedBytes -= hit.body.length;
  if (cachedBytes + body.length > CACHE_TOTAL_MAX) {
    cache.clear();
    cachedBytes = 0;
  }
  cache.set(file, { mtimeMs, size, body });
  cachedBytes += body.length;
  return body;
}
