import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelAgents } from '../testing/kernelAgent.js';
import { agentTools, kernelHost, type AgentHost, type ToolContext, type WebPage } from '../tools/index.js';
import { FakeHost } from '../tools/testing/FakeHost.js';
import { extractHtml, findChromium, isPublicAddress, WebBrowser } from './index.js';

const PAGE = `<!doctype html><html><head><title>Habitat &amp; friends</title>
<style>body { color: red }</style><script>document.addEventListener('DOMContentLoaded', () => {
  const p = document.createElement('p'); p.textContent = 'Made by a script.'; document.body.append(p);
});</script></head>
<body><h1>Welcome</h1><p>First paragraph with <b>bold</b> text.</p><!-- a comment -->
<ul><li><a href="/docs">The docs</a></li><li><a href="https://example.org/x?a=1&amp;b=2">Elsewhere</a></li>
<li><a href="mailto:x@y">mail</a></li><li><a href="/docs">The docs again</a></li></ul>
<img src="/image.png"></body></html>`;

/** A loopback web server the tests start themselves: pages, text, a redirect, a hang, a file, a flood. */
async function startSite() {
  const hits: string[] = [];
  let port = 0;
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    switch (req.url) {
      case '/':
        return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      case '/docs':
        return res.writeHead(200, { 'content-type': 'text/plain' }).end('plain docs\n\nsecond line');
      case '/moved':
        return res.writeHead(302, { location: '/docs' }).end();
      case '/to-private':
        return res.writeHead(302, { location: `http://127.0.0.2:${port}/docs` }).end();
      case '/file':
        return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(100));
      case '/big':
        return res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(`<html><body><p>${'word '.repeat(60_000)}</p></body></html>`);
      case '/missing':
        return res
          .writeHead(404, { 'content-type': 'text/html' })
          .end('<title>Not here</title><p>nothing</p>');
      case '/slow':
        return; // never answers
      default:
        return res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return { server, hits, url: `http://127.0.0.1:${port}` };
}

/** Only the test's own server is reachable: 127.0.0.1, not the rest of loopback. */
const onlyTestServer = (ip: string) => ip === '127.0.0.1';

function context(host: AgentHost): ToolContext {
  return {
    host,
    signal: new AbortController().signal,
    memory: undefined,
    step: 1,
    complete: () => {},
    memoryChanged: () => {},
  };
}

async function browse(host: AgentHost, args: unknown) {
  const prepared = agentTools(host).prepare({ id: 'c1', name: 'browse_web', args });
  if (!prepared.ok) throw new Error(prepared.error);
  const out = await prepared.tool.handler(prepared.args, context(host));
  return typeof out === 'string' ? { content: out } : out;
}

function hostWith(web: WebBrowser, network: boolean): AgentHost {
  return Object.assign(new FakeHost(1), { web, network });
}

describe('reading pages without a browser', () => {
  it('takes the title, visible text and absolute http links from HTML', () => {
    const page = extractHtml(PAGE, 'http://site.test/a/');
    expect(page.title).toBe('Habitat & friends');
    expect(page.text).toBe(
      'Welcome\n\nFirst paragraph with bold text.\n\nThe docs\nElsewhere\nmail\nThe docs again',
    );
    expect(page.links).toEqual([
      { text: 'The docs', url: 'http://site.test/docs' },
      { text: 'Elsewhere', url: 'https://example.org/x?a=1&b=2' },
    ]);
  });

  it('knows the public internet from local and private addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
    for (const ip of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111'])
      expect(isPublicAddress(ip), ip).toBe(true);
  });
});

describe('starting', () => {
  it('a WebBrowser loads playwright-core only once it is used (loading it is a third of a second of every start)', () => {
    // a fresh process: this one may have loaded it already
    const script = `
      const { WebBrowser } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
      const { createRequire } = await import('node:module');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('playwright-core'));
      const web = new WebBrowser();
      const before = loaded();
      await web.engine();
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ before: false, after: true });
  });
});

const chromiumPath = await findChromium();
const engines = [...(chromiumPath ? (['chromium'] as const) : []), 'fetch'] as const;

describe.each(engines)('browse_web with the %s engine, against a local server', (engine) => {
  let site: Awaited<ReturnType<typeof startSite>>;
  let web: WebBrowser;
  beforeAll(async () => {
    site = await startSite();
    web = new WebBrowser({ engine, allowed: onlyTestServer });
  });
  afterAll(async () => {
    await web.close();
    site.server.close();
  });

  it('reads a page: title, text and links, clipped to max_chars', async () => {
    expect(await web.engine()).toBe(engine);
    const out = await browse(hostWith(web, true), { url: `${site.url}/` });
    const page = out.data as Omit<WebPage, 'text'> & { chars: number };
    expect(page).toMatchObject({ engine, status: 200, title: 'Habitat & friends', truncated: false });
    expect(out.content).toMatch(
      /^# Habitat & friends\nhttp:\/\/127\.0\.0\.1:\d+\/ \(HTTP 200\)\n\nWelcome\n/,
    );
    expect(out.content).toContain('First paragraph with bold text.');
    expect(out.content).toContain(`- The docs: ${site.url}/docs`);
    expect(page.links.map((l) => l.url)).toEqual([`${site.url}/docs`, 'https://example.org/x?a=1&b=2']);
    // only a real browser runs the page's scripts; no engine loads its images
    if (engine === 'chromium') expect(out.content).toContain('Made by a script.');
    else expect(out.content).not.toContain('Made by a script.');
    expect(site.hits).not.toContain('/image.png');

    const big = await browse(hostWith(web, true), { url: `${site.url}/big`, max_chars: 1000 });
    expect(big.data).toMatchObject({ truncated: true, chars: 1000 });
    expect(big.content).toContain('[text cut at 1000 characters');
  });

  it('follows redirects, reads plain text, and says what is not a page', async () => {
    const moved = await browse(hostWith(web, true), { url: `${site.url}/moved` });
    expect(moved.data).toMatchObject({ finalUrl: `${site.url}/docs`, status: 200 });
    expect(moved.content).toContain('plain docs');
    const missing = await browse(hostWith(web, true), { url: `${site.url}/missing` });
    expect(missing).toMatchObject({ isError: true, data: { status: 404, title: 'Not here' } });
    await expect(browse(hostWith(web, true), { url: `${site.url}/file` })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
  });

  it('refuses bad URLs, private addresses (a redirect included) and slow pages, with error values', async () => {
    const host = hostWith(web, true);
    await expect(browse(host, { url: 'ftp://example.org/' })).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(browse(host, { url: 'not a url' })).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(browse(host, { url: `http://user:pw@127.0.0.1/` })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    const before = site.hits.length;
    await expect(
      browse(host, { url: `${site.url.replace('127.0.0.1', '127.0.0.2')}/docs` }),
    ).rejects.toMatchObject({
      code: 'E_DENIED',
    });
    expect(site.hits.length).toBe(before); // refused before any request
    await expect(browse(host, { url: `${site.url}/to-private` })).rejects.toMatchObject({
      code: 'E_DENIED',
      message: expect.stringContaining('127.0.0.2'),
    });
    const started = Date.now();
    await expect(browse(host, { url: `${site.url}/slow`, timeout_seconds: 1 })).rejects.toMatchObject({
      code: 'E_TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fetches nothing for an agent without network, and only public addresses by default', async () => {
    const before = site.hits.length;
    await expect(browse(hostWith(web, false), { url: `${site.url}/` })).rejects.toMatchObject({
      code: 'E_DENIED',
      message: expect.stringContaining('no network access'),
    });
    const strict = new WebBrowser({ engine });
    await expect(browse(hostWith(strict, true), { url: `${site.url}/` })).rejects.toMatchObject({
      code: 'E_DENIED',
      message: expect.stringContaining('public web only'),
    });
    await strict.close();
    expect(site.hits.length).toBe(before);
  });
});

describe('browse_web for kernel agents', () => {
  const agents = new KernelAgents();
  let site: Awaited<ReturnType<typeof startSite>>;
  const web = new WebBrowser({ engine: 'fetch', allowed: onlyTestServer });
  beforeAll(async () => {
    site = await startSite();
  });
  afterAll(async () => {
    await agents.close();
    site.server.close();
  });

  it("follows the agent's spawn: refused without network, read with it", async () => {
    const closed = await agents.spawn({ network: false });
    const open = await agents.spawn({ network: true });
    const closedHost = kernelHost(closed.kernel, closed.pid, { web });
    const openHost = kernelHost(open.kernel, open.pid, { web });
    expect(closedHost.network).toBe(false);
    expect(openHost.network).toBe(true);
    expect(agentTools(closedHost).has('browse_web')).toBe(true); // there, so the refusal says why
    const before = site.hits.length;
    await expect(browse(closedHost, { url: `${site.url}/docs` })).rejects.toMatchObject({ code: 'E_DENIED' });
    expect(site.hits.length).toBe(before);
    expect((await browse(openHost, { url: `${site.url}/docs` })).content).toContain('plain docs');
  });
});
