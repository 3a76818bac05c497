import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../main/cli/context.js';
import {
  GEMINI_STREAM_PATH,
  geminiCall,
  geminiDone,
  geminiStream,
  geminiText,
  ScriptedServer,
} from '../runtime/llm/testing/index.js';
import { AgentEventSchema } from '../shared/protocol/index.js';
import { waitFor } from './helpers.js';
import { servedAgents } from './servedAgents.js';

// A Gemini agent end to end: `habitat serve` with a key and base URL in its environment (as headless hosts get them),
// the real SDK client inside it, the local stand-in server in runtime/llm/testing answering in Gemini's wire format.
const SLOW = 120_000;

describe('an agent driven by Gemini (a local stand-in server speaking its wire format)', () => {
  let gemini: ScriptedServer;
  const env: NodeJS.ProcessEnv = { ...process.env };
  // the served host reads its key and base URL from its environment, as in headless mode
  beforeAll(async () => {
    gemini = await ScriptedServer.start();
    env.GEMINI_API_KEY = 'test-key';
    env.GEMINI_BASE_URL = gemini.url;
  });
  afterAll(() => gemini.close());
  const host = servedAgents(env);

  it(
    'completes its goal through the real SDK client: streamed thoughts, tool calls, the key and model sent',
    async () => {
      gemini.on(
        GEMINI_STREAM_PATH,
        geminiStream([
          geminiText('I will write '),
          geminiText('the greeting.'),
          geminiCall('write_file', { path: 'hello.txt', content: 'hi from gemini\n' }),
          geminiDone(40, 12),
        ]),
        geminiStream([geminiCall('complete', { summary: 'wrote hello.txt' }), geminiDone(60, 8)]),
      );
      const spawned = await host.run([
        '--json',
        'spawn',
        '--provider',
        'gemini',
        '--model',
        'gemini-test',
        '--goal',
        'greet in hello.txt',
      ]);
      expect(spawned.code, spawned.stderr + spawned.stdout).toBe(EXIT.ok);
      const pid = JSON.parse(spawned.stdout).pid as number;
      const watched = await host.run(['--json', 'watch', String(pid)]);
      expect(watched.code, watched.stderr).toBe(EXIT.ok);
      const last = AgentEventSchema.parse(JSON.parse(watched.stdout.trim().split('\n').at(-1)!));
      expect(last).toMatchObject({ type: 'end', outcome: 'completed', summary: 'wrote hello.txt', steps: 2 });
      expect(last.type === 'end' && last.tokens).toEqual({ input: 100, output: 20 });

      expect(readFileSync(join(host.home(pid), 'hello.txt'), 'utf8')).toBe('hi from gemini\n');
      await waitFor(() => host.of(pid).some((e) => e.type === 'end'), 10_000, 'the streamed end');
      const streamed = host
        .of(pid)
        .filter((e) => e.type === 'thought.delta')
        .map((e) => (e.type === 'thought.delta' ? e.text : ''))
        .join('');
      expect(streamed).toBe('I will write the greeting.');
      expect(host.of(pid).find((e) => e.type === 'thought')).toMatchObject({
        text: 'I will write the greeting.',
      });

      expect(gemini.requests).toHaveLength(2);
      expect(gemini.requests[0]!.url).toMatch(/models\/gemini-test:streamGenerateContent/);
      expect(gemini.requests[0]!.headers['x-goog-api-key']).toBe('test-key');
      const second = JSON.stringify(gemini.requests[1]!.body);
      expect(second).toContain('functionResponse');
      expect(second).toContain('greet in hello.txt');
    },
    SLOW,
  );

  it(
    'asks a person through ask_human: `habitat approvals` shows the question, `habitat answer` answers it',
    async () => {
      gemini.on(
        GEMINI_STREAM_PATH,
        geminiStream([
          geminiCall('ask_human', { question: 'Which colour should the logo be?' }),
          geminiDone(),
        ]),
        geminiStream([geminiCall('write_file', { path: 'logo.txt', content: 'teal\n' }), geminiDone()]),
        geminiStream([geminiCall('complete', { summary: 'asked, then wrote logo.txt' }), geminiDone()]),
      );
      const pid = (await host.json(['spawn', '--provider', 'gemini', '--goal', 'pick the logo colour']))
        .pid as number;
      await waitFor(() => host.of(pid).some((e) => e.type === 'approval.requested'), 60_000, 'the question');
      const listed = await host.run(['approvals', String(pid)]);
      expect(listed.stdout).toMatch(new RegExp(`^${pid}\\s+\\S+\\s+ask_human\\s+asks: Which colour`, 'm'));
      const approve = await host.run(['approve', String(pid)]);
      expect(approve.code).toBe(EXIT.error);
      expect(approve.stderr).toContain(`habitat answer ${pid} TEXT`);

      const answered = await host.run(['answer', String(pid), 'teal,', 'please']);
      expect(answered.code, answered.stderr).toBe(EXIT.ok);
      expect(answered.stdout).toBe(`answered: Which colour should the logo be? (process ${pid})\n`);
      const watched = await host.run(['watch', String(pid)]);
      expect(watched.code, watched.stderr).toBe(EXIT.ok);
      expect(watched.stdout).toMatch(
        /WAITING for an answer: Which colour[\s\S]*answered \(person\): teal, please/,
      );
      expect(readFileSync(join(host.home(pid), 'logo.txt'), 'utf8')).toBe('teal\n');
      const second = JSON.stringify(gemini.requests.at(-2)!.body);
      expect(second).toContain('the person answered: teal, please');
      const nothing = await host.run(['answer', String(pid), 'again']);
      expect(nothing.code).toBe(EXIT.error);
    },
    SLOW,
  );
});
