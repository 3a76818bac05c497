import { afterAll, describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../shared/protocol/index.js';
import { ollamaTags, ScriptedServer } from '../runtime/llm/testing/index.js';
import { servedCli } from './servedCli.js';
import { EXIT } from '../main/cli/program.js';

// `habitat providers --ollama-host` against a real `habitat serve` whose OLLAMA_HOST answers nothing, and a local
// stand-in server speaking Ollama's wire format as the one a person chooses.
const ollama = await ScriptedServer.start();
const NOBODY = 'http://127.0.0.1:9';

describe('habitat providers --ollama-host', () => {
  const { run, json } = servedCli({ ...process.env, OLLAMA_HOST: NOBODY }, 'habitat-cli-providers-');
  afterAll(() => ollama.close());
  const local = (providers: ProviderStatus[]) => providers.find((p) => p.name === 'ollama')!;

  it('sets the server agents use, says what it has, and goes back to OLLAMA_HOST with default', async () => {
    expect(local(await json(['providers']))).toMatchObject({
      ready: false,
      endpoint: NOBODY,
      endpointFrom: 'environment',
    });

    ollama.on('/api/tags', ollamaTags('llama3.2:latest'), ollamaTags('llama3.2:latest'));
    expect(local(await json(['providers', '--ollama-host', ollama.url]))).toMatchObject({
      ready: true,
      endpoint: ollama.url,
      endpointFrom: 'settings',
      models: ['llama3.2:latest'],
    });
    // kept by the host: a plain `providers` asks the chosen server again
    const again = await run(['providers']);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toMatch(new RegExp(`^ollama\\s+yes\\s+llama3\\.2\\s+Running at ${ollama.url}`, 'm'));
    expect(ollama.requestsTo(/\/api\/tags/)).toHaveLength(2);

    const reset = await run(['providers', '--ollama-host', 'default']);
    expect(reset.code, reset.stderr).toBe(EXIT.ok);
    expect(reset.stdout).toMatch(
      /^ollama\s+no\s+llama3\.2\s+No Ollama server answers at http:\/\/127\.0\.0\.1:9/m,
    );
    expect(local(await json(['providers']))).toMatchObject({ endpointFrom: 'environment' });
  });

  it('refuses an address that is not a plain http(s) URL, with E_INVALID, and keeps the one it had', async () => {
    ollama.on('/api/tags', ...Array.from({ length: 3 }, () => ollamaTags('llama3.2:latest')));
    await json(['providers', '--ollama-host', ollama.url]);
    const refused: [string, string][] = [
      ['ftp://gpu-box:11434', 'must be an http:// or https:// URL'],
      ['gpu-box:11434', 'must be an http:// or https:// URL'],
      ['http://me:s3cret@gpu-box:11434', 'must not hold a user name or password'],
    ];
    for (const [bad, message] of refused) {
      const result = await run(['--json', 'providers', '--ollama-host', bad]);
      expect(result.code, bad).toBe(EXIT.error);
      expect(JSON.parse(result.stdout).error).toMatchObject({
        code: 'E_INVALID',
        details: { issues: [{ path: 'ollamaHost', message: expect.stringContaining(message) }] },
      });
      expect(result.stdout).not.toContain('s3cret');
    }
    const text = await run(['providers', '--ollama-host', 'ftp://gpu-box:11434']);
    expect(text.code).toBe(EXIT.error);
    expect(text.stderr).toContain(
      'ollamaHost: must be an http:// or https:// URL, such as http://127.0.0.1:11434',
    );
    expect(local(await json(['providers']))).toMatchObject({
      endpoint: ollama.url,
      endpointFrom: 'settings',
    });
    await json(['providers', '--ollama-host', 'default']);
  });
});
