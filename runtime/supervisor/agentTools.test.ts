import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureSandboxImage, Kernel } from '../../kernel/index.js';
import type { AgentEvent } from '../../shared/protocol/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { decodePng } from '../../test/png.js';
import {
  GEMINI_STREAM_PATH,
  geminiCall,
  geminiDone,
  geminiStream,
  ScriptedServer,
  type RecordedRequest,
} from '../llm/testing/index.js';
import { AgentSupervisor } from './AgentSupervisor.js';
import { recordAgentEvents } from '../testing/agentEvents.js';

const SAMPLE = new URL('../../resources/plugins/word-count', import.meta.url).pathname;

type GeminiBody = {
  contents: { role: string; parts: Record<string, unknown>[] }[];
  tools?: { functionDeclarations: { name: string; description: string; parametersJsonSchema: unknown }[] }[];
};
const body = (request: RecordedRequest) => request.body as GeminiBody;
const declared = (request: RecordedRequest) => body(request).tools?.[0]?.functionDeclarations ?? [];
const turn = (...chunks: Parameters<typeof geminiStream>[0]) => geminiStream([...chunks, geminiDone()]);

/** The supervisor's agents with the tools beyond the core: questions for people, plugins, computer use. */
describe('agent tools through the supervisor, a scripted Gemini deciding', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  const supervisors: AgentSupervisor[] = [];
  let gemini: ScriptedServer | undefined;

  async function setup(kernelOptions: Partial<Parameters<typeof Kernel.open>[0]> = {}) {
    const dir = tempDir('habitat-agent-tools-');
    dirs.push(dir);
    const kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 500,
      ...kernelOptions,
    });
    kernels.push(kernel);
    gemini = await ScriptedServer.start();
    const agents = new AgentSupervisor(kernel, {
      env: { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url },
      web: false,
    });
    supervisors.push(agents);
    return { kernel, agents, gemini, dir: dir.path };
  }
  const events = recordAgentEvents;
  const ended = (kernel: Kernel, pid: number, ms = 30_000) =>
    waitFor(() => kernel.processes.get(pid).state === 'zombie', ms, `process ${pid} to end`);

  afterEach(async () => {
    for (const agents of supervisors.splice(0)) await agents.close();
    for (const kernel of kernels.splice(0)) await kernel.close();
    await gemini?.close();
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  it('a command asks for a password: the agent asks a person, who answers, and it types the answer', async () => {
    const { kernel, agents, gemini } = await setup();
    gemini.on(
      GEMINI_STREAM_PATH,
      turn(
        geminiCall('run_command', {
          command: 'read -s -p "Password: " pw; echo; echo "$pw" > secret.txt; echo stored',
        }),
      ),
      turn(geminiCall('ask_human', { question: 'What is the database password?' })),
    );
    const seen = events(kernel, 1);
    const { pid } = await agents.spawn(
      { network: false, goal: 'store the password' },
      { provider: 'gemini' },
    );
    expect(pid).toBe(1);
    await waitFor(() => agents.approvals(pid).length === 1, 20_000, 'the question');
    const [question] = agents.approvals(pid);
    expect(question).toMatchObject({ pid, tool: 'ask_human', question: 'What is the database password?' });
    expect(kernel.processes.get(pid).phase).toBe('waiting');
    expect(() => agents.approve(pid)).toThrowError(/asks a question, not leave to act/);

    // the command still waits, on its own terminal: its session number is in the run_command result
    const waiting = seen.find((e) => e.type === 'tool.result' && e.tool === 'run_command');
    const session = (waiting as { data: { session: number; state: string; output: string } }).data;
    expect(session).toMatchObject({ state: 'waiting', output: 'Password: ' });
    gemini.on(
      GEMINI_STREAM_PATH,
      turn(geminiCall('send_input', { session: session.session, text: 'hunter2' })),
      turn(geminiCall('complete', { summary: 'stored it' })),
    );
    expect(agents.answer(pid, undefined, 'hunter2')).toMatchObject({ id: question!.id });
    await ended(kernel, pid);

    expect(kernel.processes.get(pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
    expect(readFileSync(join(kernel.processes.home(pid), 'secret.txt'), 'utf8')).toBe('hunter2\n');
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'approval.requested', question: 'What is the database password?' }),
    );
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'approval.resolved', approved: true, by: 'person', answer: 'hunter2' }),
    );
    const typed = seen.find((e) => e.type === 'tool.result' && e.tool === 'send_input') as Extract<
      AgentEvent,
      { type: 'tool.result' }
    >;
    expect(typed).toMatchObject({ ok: true, data: { state: 'exited', exitCode: 0 } });
    expect(typed.output).toContain('stored');
    // read -s: the terminal did not echo it
    expect((typed.data as { output: string }).output).toBe('\nstored\n');
    // the model read the person's answer as the tool's output
    const third = JSON.stringify(body(gemini.requestsTo(GEMINI_STREAM_PATH)[2]!).contents.at(-1));
    expect(third).toContain('the person answered: hunter2');
    expect(gemini.pending()).toBe(0);
  });

  it("registers the agent's plugin tools with their own JSON Schema, follows changes, and asks where the manifest says", async () => {
    const { kernel, agents, gemini, dir } = await setup();
    gemini.on(GEMINI_STREAM_PATH, turn(geminiCall('ask_human', { question: 'Plugins installed?' })));
    const seen = events(kernel, 1);
    const { pid } = await agents.spawn({ network: false, goal: 'count words' }, { provider: 'gemini' });
    await waitFor(() => agents.approvals(pid).length === 1, 20_000, 'the question');
    expect(agents.pluginTools(pid)).toEqual([]);

    // plugins arrive while the agent runs: the sample, one that wants approval, and one that goes again
    const stamp = join(dir, 'stamp');
    await fsp.mkdir(stamp);
    await fsp.writeFile(
      join(stamp, 'manifest.json'),
      JSON.stringify({
        name: 'stamp',
        version: '0.1.0',
        description: 'stamps a word into a file',
        handler: 'stamp.sh',
        requiresApproval: true,
        tools: [
          {
            name: 'stamp',
            description: 'write stamp.txt',
            parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
          },
        ],
      }),
    );
    await fsp.writeFile(join(stamp, 'stamp.sh'), 'echo "stamped $HABITAT_ARG_word" > stamp.txt; echo done\n');
    const passing = join(dir, 'passing');
    await fsp.cp(stamp, passing, { recursive: true });
    const manifest = JSON.parse(await fsp.readFile(join(passing, 'manifest.json'), 'utf8'));
    await fsp.writeFile(join(passing, 'manifest.json'), JSON.stringify({ ...manifest, name: 'passing' }));
    await kernel.plugins.install(pid, SAMPLE);
    await kernel.plugins.install(pid, stamp);
    await kernel.plugins.install(pid, passing);
    const all = ['plugin__word_count__count', 'plugin__stamp__stamp', 'plugin__passing__stamp'];
    await waitFor(
      () => all.every((name) => agents.pluginTools(pid).includes(name)),
      10_000,
      'the plugin tools',
    );
    await fsp.rm(join(kernel.processes.home(pid), '.config/plugins/passing'), { recursive: true });
    await waitFor(
      () => !agents.pluginTools(pid).includes('plugin__passing__stamp'),
      10_000,
      'the removed plugin to go',
    );

    gemini.on(
      GEMINI_STREAM_PATH,
      turn(geminiCall('plugin__word_count__count', { text: 'one two three' })),
      turn(geminiCall('plugin__word_count__count', { text: 3 })),
      turn(geminiCall('plugin__stamp__stamp', { word: 'ok' })),
      turn(geminiCall('complete', { summary: 'counted and stamped' })),
    );
    agents.answer(pid, undefined, 'yes');
    await waitFor(() => agents.approvals(pid).length === 1, 20_000, 'the approval of the stamp');
    expect(agents.approvals(pid)[0]).toMatchObject({
      tool: 'plugin__stamp__stamp',
      args: { word: 'ok' },
      reasons: ['plugin__stamp__stamp always needs a look'],
    });
    agents.approve(pid);
    await ended(kernel, pid);
    expect(kernel.processes.get(pid)).toMatchObject({ phase: 'completed', exitCode: 0 });

    // the model got the manifest's schema as it is, and no longer the removed plugin's tool
    const requests = gemini.requestsTo(GEMINI_STREAM_PATH);
    const tools = declared(requests[1]!);
    const count = tools.find((t) => t.name === 'plugin__word_count__count')!;
    const sample = JSON.parse(await fsp.readFile(join(SAMPLE, 'manifest.json'), 'utf8'));
    expect(count.parametersJsonSchema).toEqual(sample.tools[0].parameters);
    expect(count.description).toContain('(plugin word-count 1.0.0)');
    expect(tools.map((t) => t.name)).not.toContain('plugin__passing__stamp');
    expect(
      declared(requests[0]!)
        .map((t) => t.name)
        .filter((n) => n.startsWith('plugin__')),
    ).toEqual([]);

    const results = seen.filter(
      (e): e is Extract<AgentEvent, { type: 'tool.result' }> => e.type === 'tool.result',
    );
    const counted = results.filter((r) => r.tool === 'plugin__word_count__count');
    expect(counted[0]).toMatchObject({ ok: true });
    expect(JSON.parse(counted[0]!.output)).toEqual({ lines: 1, words: 3, characters: 13 });
    expect(counted[1]).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
    expect(results.find((r) => r.tool === 'plugin__stamp__stamp')).toMatchObject({
      ok: true,
      output: 'done',
    });
    expect(readFileSync(join(kernel.processes.home(pid), '.config/plugins/stamp/stamp.txt'), 'utf8')).toBe(
      'stamped ok\n',
    );
  });
});

const docker = await dockerForTests('computer use through the supervisor');

describe.skipIf(!docker)('a graphical agent, a scripted Gemini deciding', () => {
  const dir = tempDir('habitat-agent-screen-');
  let kernel: Kernel | undefined;
  let agents: AgentSupervisor | undefined;
  let gemini: ScriptedServer | undefined;
  afterEach(async () => {
    await agents?.close();
    await kernel?.close();
    await gemini?.close();
    dir.cleanup();
  });

  it('gets the computer-use tools and sends its screenshot to the model as an image', async () => {
    await ensureSandboxImage(docker!, { variant: 'desktop' });
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      warmPool: { size: 0 },
    });
    gemini = await ScriptedServer.start();
    agents = new AgentSupervisor(kernel, {
      env: { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url },
      web: false,
    });
    gemini.on(
      GEMINI_STREAM_PATH,
      turn(geminiCall('screenshot', {})),
      turn(geminiCall('complete', { summary: 'looked at the screen' })),
    );
    const { pid } = await agents.spawn(
      {
        sandbox: 'docker',
        network: false,
        graphical: { width: 800, height: 600 },
        goal: 'look at your screen',
      },
      { provider: 'gemini' },
    );
    await waitFor(() => kernel!.processes.get(pid).state === 'zombie', 120_000, 'the run to end');
    expect(kernel.processes.get(pid)).toMatchObject({ phase: 'completed', exitCode: 0 });

    const [first, second] = gemini.requestsTo(GEMINI_STREAM_PATH);
    expect(declared(first!).map((t) => t.name)).toEqual(
      expect.arrayContaining(['screenshot', 'mouse_click', 'type_text', 'press_keys']),
    );
    const parts = body(second!).contents.at(-1)!.parts;
    expect(parts[0]).toMatchObject({ functionResponse: { name: 'screenshot' } });
    const image = parts[1] as { inlineData: { mimeType: string; data: string } };
    expect(image.inlineData.mimeType).toBe('image/png');
    const png = decodePng(Buffer.from(image.inlineData.data, 'base64'));
    expect([png.width, png.height]).toEqual([800, 600]);
  }, 300_000);
});
