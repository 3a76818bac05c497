import { afterAll, describe, expect, it } from 'vitest';
import { ollamaError, ollamaPullStream, ScriptedServer } from '../runtime/llm/testing/index.js';
import { servedCli } from './servedCli.js';
import { EXIT } from '../main/cli/program.js';

// `habitat pull` against a real `habitat serve` whose Ollama is the local stand-in server speaking its wire format.
const ollama = await ScriptedServer.start();

describe('habitat pull', () => {
  const { run, json } = servedCli({ ...process.env, OLLAMA_HOST: ollama.url }, 'habitat-cli-pull-');
  afterAll(() => ollama.close());

  it('pulls the default model, a line per step and per tenth of the download, and names it', async () => {
    ollama.on('/api/pull', ollamaPullStream(1000, 4));
    const pulled = await run(['pull']);
    expect(pulled.code, pulled.stderr).toBe(EXIT.ok);
    const lines = pulled.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('pulled llama3.2');
    // progress arrives as events, coalesced for a slow reader: whatever came, in order and without repeats
    const progress = lines.slice(0, -1);
    expect(new Set(progress).size).toBe(progress.length);
    for (const line of progress) expect(line).toMatch(/^(pulling|verifying|writing|success)/);
    expect(ollama.requestsTo(/\/api\/pull/).at(-1)!.body).toMatchObject({ name: 'llama3.2', stream: true });

    ollama.on('/api/pull', ollamaPullStream(1000, 2));
    expect(await json(['pull', 'qwen2.5:7b'])).toEqual({ model: 'qwen2.5:7b' });
  });

  it("fails with the server's reason, and exit code 1", async () => {
    ollama.on('/api/pull', ollamaError(404, 'pull model manifest: file does not exist'));
    const refused = await run(['pull', 'nope']);
    expect(refused.code).toBe(EXIT.error);
    expect(refused.stderr).toContain(
      'pulling nope: ollama answered HTTP 404: pull model manifest: file does not exist',
    );
  });
});
