import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEngineSpec } from './engineUrl.js';

describe('Docker engine specs (habitat serve --docker-engine)', () => {
  const certs = mkdtempSync(join(tmpdir(), 'habitat-certs-'));
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, file), `pem of ${file}`);
  afterAll(() => rmSync(certs, { recursive: true, force: true }));

  it('reads unix sockets, TLS and loopback TCP, and SSH, with where the engine sees the homes', () => {
    expect(parseEngineSpec('gpu-box=unix:///run/other/docker.sock')).toEqual({
      name: 'gpu-box',
      endpoint: { socketPath: '/run/other/docker.sock' },
    });
    const tls = parseEngineSpec(`lab=tcp://10.0.0.5:2376?tls=${certs}&homes=/mnt/habitat/homes`);
    expect(tls.name).toBe('lab');
    expect(tls.homes).toBe('/mnt/habitat/homes');
    expect(tls.endpoint).toMatchObject({ host: '10.0.0.5', port: 2376 });
    const pems = (tls.endpoint as { tls: Record<string, Buffer> }).tls;
    expect(Object.fromEntries(Object.entries(pems).map(([k, v]) => [k, v.toString()]))).toEqual({
      ca: 'pem of ca.pem',
      cert: 'pem of cert.pem',
      key: 'pem of key.pem',
    });
    expect(parseEngineSpec('lo=tcp://127.0.0.1:2375').endpoint).toEqual({ host: '127.0.0.1', port: 2375 });
    expect(parseEngineSpec('v6=tcp://[::1]:2375').endpoint).toEqual({ host: '::1', port: 2375 });
    expect(
      parseEngineSpec(`far=ssh://ops@build.example:2222?key=${join(certs, 'key.pem')}`).endpoint,
    ).toMatchObject({
      ssh: { host: 'build.example', port: 2222, username: 'ops' },
    });
  });

  it('refuses what would be unsafe or cannot work, saying why', () => {
    const refusals: [string, RegExp][] = [
      ['lab=tcp://10.0.0.5:2375', /without TLS/],
      ['local=unix:///x.sock', /not "local"/],
      ['Bad_Name=unix:///x.sock', /lowercase/],
      ['unix:///x.sock', /NAME=URL/],
      ['x=http://host:2375', /unix:\/\/, tcp:\/\/ or ssh:\/\//],
      ['x=not a url', /not a URL/],
      [`x=tcp://10.0.0.5:2376?tls=${join(certs, 'missing')}`, /cannot read .*ca\.pem: ENOENT/],
      ['x=ssh://host.example', /ssh:\/\/user@host/],
      ['x=unix:///x.sock?homes=relative/path', /absolute/],
      ['x=tcp://127.0.0.1:99999', /bad address|not a URL/],
    ];
    for (const [spec, why] of refusals) {
      expect(() => parseEngineSpec(spec), spec).toThrow(why);
      try {
        parseEngineSpec(spec);
      } catch (error) {
        expect((error as { code?: string }).code).toBe('E_INVALID');
      }
    }
  });
});
