import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin, Rolldown } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The built page carries its CSP itself, so it holds wherever the page is served from (the app:// protocol and the
 * headless host add theirs as headers too). Only at build: the dev server injects inline scripts.
 */
function contentSecurityPolicyMeta(): Plugin {
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    // the desktop app's VNC proxy listens on a loopback port; the headless host's header narrows this to itself
    "connect-src 'self' ws://127.0.0.1:*",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return {
    name: 'habitat-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: policy },
        injectTo: 'head-prepend',
      },
    ],
  };
}

/**
 * Everything the page imports before its first paint goes in one chunk (beside the bundler's small runtime). Left to
 * itself the bundler splits out each module that a lazy view shares with the start (a dozen small files), and a
 * browser fetches at most six at a time from one origin over HTTP/1.1: each wave of fetches is a round trip to a host
 * that may be busy with its agents.
 */
function startChunk(entry: string): Rolldown.OutputOptions['codeSplitting'] {
  let start: Set<string> | undefined;
  const name = (id: string, context: Rolldown.ChunkingContext): string | null => {
    if (!start) {
      start = new Set();
      const queue = [entry];
      for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
        if (start.has(next)) continue;
        start.add(next);
        queue.push(...(context.getModuleInfo(next)?.importedIds ?? []));
      }
    }
    return start.has(id) ? 'index' : null;
  };
  return { groups: [{ name }] };
}

// One build for the three runtimes. main also emits the CLI and the headless host, which run under plain Node.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('main/index.ts'),
          kernelHost: resolve('main/kernelHost.ts'),
          cli: resolve('main/cli/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // sandbox: true preloads cannot require anything but electron: bundle everything else in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    build: {
      outDir: 'out/renderer',
      // electron-vite leaves the renderer unminified; the headless host serves it to browsers over the network,
      // and a third of the bytes to parse means a faster first paint in the desktop app too. HABITAT_NO_MINIFY=1
      // keeps function names readable in a CPU profile of the page.
      minify: !process.env.HABITAT_NO_MINIFY,
      rollupOptions: {
        input: { index: resolve('renderer/index.html') },
        output: { codeSplitting: startChunk(resolve('renderer/index.html')) },
      },
    },
    plugins: [react(), contentSecurityPolicyMeta()],
  },
});
