import { request } from 'node:http';
import { mkdirSync, statSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { startHeadlessHost, type HeadlessHost } from './HeadlessHost.js';
import { resolveStaticPath } from './static.js';

/** Raw HTTP with a path sent verbatim (fetch would normalise the attacks away). */
function get(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('headless host', () => {
  const dir = tempDir();
  const renderer = join(dir.path, 'renderer');
  let host: HeadlessHost;

  beforeAll(async () => {
    mkdirSync(join(renderer, 'assets'), { recursive: true });
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Habitat</title>');
    writeFileSync(join(renderer, 'assets', 'app-123.js'), 'console.log(1)');
    writeFileSync(join(dir.path, 'secret.txt'), 'outside the renderer');
    host = await startHeadlessHost({ port: 0, dataDir: join(dir.path, 'data'), rendererDir: renderer });
  });
  afterAll(async () => {
    await host.close();
    dir.cleanup();
  });

  it('serves the renderer with a strict CSP and no referrer', async () => {
    const res = await get(host.port, '/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Habitat</title>');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain(`ws://127.0.0.1:${host.port}`);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const asset = await get(host.port, '/assets/app-123.js');
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('serves files from memory, and a file rebuilt while serving in its new version', async () => {
    const file = join(renderer, 'index.html');
    expect((await get(host.port, '/')).body).toContain('<title>Habitat</title>');
    writeFileSync(file, '<!doctype html><title>Rebuilt</title><p>a longer page than before</p>');
    expect((await get(host.port, '/')).body).toContain('<title>Rebuilt</title>');
    writeFileSync(file, '<!doctype html><title>Habitat</title>');
    expect((await get(host.port, '/')).body).toBe('<!doctype html><title>Habitat</title>');
    // larger than what is kept in memory: streamed from disk, whole
    const big = 'x'.repeat(5 * 1024 * 1024);
    writeFileSync(join(renderer, 'assets', 'big-1.js'), big);
    expect((await get(host.port, '/assets/big-1.js')).body.length).toBe(big.length);
  });

  it('sends the page its first data only where the URL carries the token, in a block no string can end', async () => {
    const file = join(renderer, 'index.html');
    const plain = readFileSync(file, 'utf8');
    const app = '<script type="module" src="/assets/app-123.js"></script>';
    writeFileSync(file, `<!doctype html><html><head><title>Habitat</title>${app}</head><body></body></html>`);
    const role = '</script><script>alert(1)</script><!--';
    const agent = await host.habitat.kernel.processes.spawn({ name: 'boot', role, network: false });
    const block = /<script type="application\/json" id="habitat-boot">(.*?)<\/script>/s;
    const page = await get(host.port, `/?token=${host.token}`);
    const data = JSON.parse(block.exec(page.body)![1]!) as {
      'system.info': { name: string };
      'process.list': { processes: { pid: number; role: string | null }[] };
    };
    expect(data['system.info'].name).toBe('Habitat');
    expect(data['process.list'].processes.find((p) => p.pid === agent.pid)?.role).toBe(role);
    // in the head, and the role's markup stays text: the page's script tags are the app's and the block's
    expect(page.body.indexOf('id="habitat-boot"')).toBeLessThan(page.body.indexOf('</head>'));
    expect(page.body.match(/<\/?script/g)).toEqual(['<script', '</script', '<script', '</script']);
    expect(page.body).toContain(app);
    expect(page.headers['cache-control']).toBe('no-store');
    // a deep link is a page too (the renderer routes itself)
    expect((await get(host.port, `/agents/1?token=${host.token}`)).body).toMatch(block);
    for (const path of [
      '/',
      '/?token=nope',
      `/?token=${host.token}x`,
      `/assets/app-123.js?token=${host.token}`,
    ]) {
      expect((await get(host.port, path)).body, path).not.toContain('habitat-boot');
    }
    await host.habitat.kernel.processes.signal(agent.pid, 'KILL');
    writeFileSync(file, plain);
  });

  it('never serves a file outside the renderer folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%00',
      '/..\\secret.txt',
    ]) {
      const res = await get(host.port, path);
      expect(res.body, path).not.toContain('outside the renderer');
    }
    expect(resolveStaticPath(renderer, '/../secret.txt')).toBeUndefined();
    expect(resolveStaticPath(renderer, '/%2e%2e/secret.txt')).toBeUndefined();
    expect(resolveStaticPath(renderer, '/a%00b')).toBeUndefined();
    expect(resolveStaticPath(renderer, '/%E0%A4%A')).toBeUndefined();
    expect(resolveStaticPath(renderer, '/agents/42')).toBe(join(renderer, 'index.html'));
  });

  it('refuses requests for a foreign Host header (DNS rebinding)', async () => {
    const res = await get(host.port, '/', `evil.example:${host.port}`);
    expect(res.status).toBe(421);
  });

  it('writes run/host.json readable only by its owner, with the token', () => {
    const file = join(dir.path, 'data', 'run', 'host.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const info = JSON.parse(readFileSync(file, 'utf8'));
    expect(info).toMatchObject({ port: host.port, token: host.token, pid: process.pid });
  });

  it('says clearly when its port is taken', async () => {
    await expect(startHeadlessHost({ port: host.port, dataDir: join(dir.path, 'other') })).rejects.toThrow(
      /in use/,
    );
  });

  it('removes host.json when it shuts down', async () => {
    const second = await startHeadlessHost({
      port: 0,
      dataDir: join(dir.path, 'second'),
      rendererDir: renderer,
    });
    expect(existsSync(second.hostFile)).toBe(true);
    await second.close();
    expect(existsSync(second.hostFile)).toBe(false);
  });
});
