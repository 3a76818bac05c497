import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderStatusSchema } from '../../shared/protocol/index.js';
import { providerStatuses } from './status.js';
import { ScriptedServer } from './testing/index.js';

const tags = (names: string[]) => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ models: names.map((name) => ({ name, model: name, size: 1 })) }),
});

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A port with nothing listening on it: taken, then given back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('providerStatuses', () => {
  it('lists the three providers, each valid on the wire; the offline planner is always ready', async () => {
    server = await ScriptedServer.start();
    server.on('/api/tags', tags([]));
    const statuses = await providerStatuses({}, { OLLAMA_HOST: server.url });
    expect(statuses.map((s) => s.name)).toEqual(['heuristic', 'gemini', 'ollama']);
    for (const status of statuses) ProviderStatusSchema.parse(status);
    expect(statuses[0]).toMatchObject({ ready: true, defaultModel: null, keyFrom: null });
  });

  it('says where a Gemini key comes from, settings first, and never calls Gemini', async () => {
    server = await ScriptedServer.start();
    server.on('/api/tags', tags([]), tags([]), tags([]));
    const gemini = async (settings: object, env: Record<string, string>) =>
      (await providerStatuses(settings, { OLLAMA_HOST: server!.url, ...env }))[1]!;

    const none = await gemini({}, {});
    expect(none).toMatchObject({ ready: false, keyFrom: null, defaultModel: 'gemini-2.5-flash' });
    expect(none.detail).toMatch(/GEMINI_API_KEY/);
    expect(await gemini({}, { GOOGLE_API_KEY: 'k' })).toMatchObject({ ready: true, keyFrom: 'environment' });
    const stored = await gemini(
      { geminiApiKey: 'k1', geminiBaseUrl: 'http://127.0.0.1:9/' },
      { GEMINI_API_KEY: 'k2' },
    );
    expect(stored).toMatchObject({ ready: true, keyFrom: 'settings', endpoint: 'http://127.0.0.1:9/' });
    expect(JSON.stringify(stored)).not.toMatch(/k1|k2/); // a status never carries the key
    expect(server.requests.map((r) => r.url)).toEqual(['/api/tags', '/api/tags', '/api/tags']);
  });

  it("lists a running Ollama server's models, and says whether the default one is there", async () => {
    server = await ScriptedServer.start();
    server.on('/api/tags', tags(['llama3.2:latest', 'qwen2.5vl:7b']), tags(['mistral:latest']));
    const withDefault = (await providerStatuses({ ollamaHost: server.url }, {}))[2]!;
    expect(withDefault).toMatchObject({
      ready: true,
      endpoint: server.url,
      models: ['llama3.2:latest', 'qwen2.5vl:7b'],
      defaultModelInstalled: true,
      detail: `Running at ${server.url}, 2 models installed.`,
    });
    const without = (await providerStatuses({ ollamaHost: server.url }, {}))[2]!;
    expect(without).toMatchObject({ models: ['mistral:latest'], defaultModelInstalled: false });
    expect(without.detail).toMatch(/default model llama3\.2 is pulled when an agent first needs it/);
  });

  it('reports an Ollama host with nothing listening as not ready, with what to do', async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const ollama = (await providerStatuses({}, { OLLAMA_HOST: host }))[2]!;
    expect(ollama).toMatchObject({ ready: false, models: [], endpoint: host, defaultModelInstalled: null });
    expect(ollama.detail).toContain(`No Ollama server answers at ${host}`);
    expect(ollama.detail).toMatch(/ollama serve/);
  });

  it('gives up on an Ollama server that never answers within the probe timeout', async () => {
    server = await ScriptedServer.start();
    server.on('/api/tags', { hang: true });
    const started = Date.now();
    const ollama = (await providerStatuses({}, { OLLAMA_HOST: server.url }, 300))[2]!;
    expect(ollama.ready).toBe(false);
    expect(ollama.detail).toBe(
      `No Ollama server answers at ${server.url} (no answer from ollama for 0.3 s): start one (ollama serve), or give its address in Settings › Providers (habitat providers --ollama-host URL).`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('never shows the user name, password or query of a URL, even in an error', async () => {
    const port = await closedPort();
    const statuses = await providerStatuses(
      { geminiBaseUrl: 'https://proxy.example/v1?key=s3cret' },
      { OLLAMA_HOST: `http://me:s3cret@127.0.0.1:${port}`, GEMINI_API_KEY: 's3cret-key' },
    );
    expect(statuses[1]!.endpoint).toBe('https://proxy.example/v1');
    expect(statuses[2]!.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(statuses[2]!.detail).toContain(`No Ollama server answers at http://127.0.0.1:${port} (`);
    expect(JSON.stringify(statuses)).not.toMatch(/s3cret/);
  });

  it('leaves out a listed model without a name rather than failing the list', async () => {
    server = await ScriptedServer.start();
    server.on('/api/tags', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ models: [{ size: 1 }, { model: 'phi3:mini' }, { name: 'llama3.2' }] }),
    });
    const ollama = (await providerStatuses({}, { OLLAMA_HOST: server.url }))[2]!;
    expect(ollama.models).toEqual(['phi3:mini', 'llama3.2']);
    expect(ollama.detail).toBe(`Running at ${server.url}, 2 models installed.`); // llama3.2 is llama3.2:latest
  });

  it('takes garbage from the server as not ready rather than failing', async () => {
    server = await ScriptedServer.start();
    server.on('/api/tags', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"models": 4',
    });
    const ollama = (await providerStatuses({}, { OLLAMA_HOST: server.url }))[2]!;
    expect(ollama).toMatchObject({ ready: false, models: [] });
  });
});
