import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
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
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
    plugins: [react(), contentSecurityPolicyMeta()],
  },
});
