import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kernel, processTree } from '../../kernel/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { KernelAgents } from '../testing/kernelAgent.js';
import {
  closeCommandSessions,
  coreTools,
  kernelHost,
  terminalText,
  type AgentHost,
  type ToolContext,
} from './index.js';

function context(host: AgentHost, signal = new AbortController().signal): ToolContext {
  return { host, signal, memory: undefined, step: 1, complete: () => {}, memoryChanged: () => {} };
}

const registry = coreTools();

/** Runs a call as the loop does: validated by the registry, then handled. */
async function call(host: AgentHost, name: string, args: unknown, ctx = context(host)) {
  const prepared = registry.prepare({ id: 'c1', name, args });
  if (!prepared.ok) throw new Error(prepared.error);
  const out = await prepared.tool.handler(prepared.args, ctx);
  return typeof out === 'string' ? { content: out, data: undefined } : out;
}

type CommandData = { session: number; state: string; exitCode: number | null; output: string };
const data = (out: { data?: unknown }) => out.data as CommandData;

describe('terminal text', () => {
  it('reads like a transcript: no escapes, LF line ends, progress lines at their last state', () => {
    expect(terminalText('\x1b[1;31mred\x1b[0m\r\nnext\r\n')).toBe('red\nnext\n');
    expect(terminalText('10%\r50%\r100%\r\ndone')).toBe('100%\ndone');
    expect(terminalText('\x1b]0;title\x07abc\bd')).toBe('abd');
  });
});

// run_command on a terminal of its own, answered with send_input: real programs in a real sandbox (bubblewrap here)
describe('commands that wait for input, on a real kernel agent', () => {
  const agents = new KernelAgents();
  afterAll(() => agents.close());

  it('returns while `read` waits, and send_input answers it', async () => {
    const { host, kernel, pid } = await agents.spawn();
    const started = Date.now();
    const asked = await call(host, 'run_command', { command: 'read name; echo hi $name > out.txt' });
    expect(Date.now() - started).toBeLessThan(10_000); // it did not wait for the 60 s timeout
    expect(data(asked)).toMatchObject({ state: 'waiting', exitCode: null });
    const session = data(asked).session;
    expect(asked.content).toContain(`still running: it waits for input (session ${session})`);
    expect(asked.content).toContain('send_input');
    // people can watch it: it is one of the agent's terminals while it runs
    expect(kernel.terminals.list(pid).map((t) => t.terminal)).toContain(session);

    const answered = await call(host, 'send_input', { session, text: 'Alice' });
    expect(data(answered)).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(answered.content).toMatch(
      new RegExp(`^\\[session ${session}: typed "Alice" and Enter\\]\\nexit code 0`),
    );
    expect(readFileSync(join(kernel.processes.home(pid), 'out.txt'), 'utf8')).toBe('hi Alice\n');
    // an ended command lets go of its terminal, and cannot be typed into
    expect(kernel.terminals.list(pid).map((t) => t.terminal)).not.toContain(session);
    await expect(call(host, 'send_input', { session, text: 'again' })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('shows the prompt, answers one question after another, and ends input with Ctrl-D', async () => {
    const { host, kernel, pid } = await agents.spawn();
    const first = await call(host, 'run_command', {
      command: 'read -p "Your name? " a; read -p "Your town? " b; echo "$a from $b"',
    });
    expect(data(first).output).toBe('Your name? ');
    const second = await call(host, 'send_input', { session: data(first).session, text: 'Ada' });
    expect(data(second)).toMatchObject({ state: 'waiting', output: 'Ada\nYour town? ' });
    const done = await call(host, 'send_input', { session: data(first).session, text: 'London' });
    expect(data(done)).toMatchObject({ state: 'exited', exitCode: 0, output: 'London\nAda from London\n' });

    const cat = await call(host, 'run_command', { command: 'cat > notes.txt; echo saved' });
    expect(data(cat).state).toBe('waiting');
    const line = await call(host, 'send_input', { session: data(cat).session, text: 'first line' });
    expect(data(line).state).toBe('waiting');
    const ended = await call(host, 'send_input', {
      session: data(cat).session,
      control: 'eof',
      enter: false,
    });
    expect(data(ended)).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(data(ended).output).toContain('saved');
    expect(readFileSync(join(kernel.processes.home(pid), 'notes.txt'), 'utf8')).toBe('first line\n');
  });

  it('does not take a quiet, busy command for one that waits; interrupts and kills on request', async () => {
    const { host } = await agents.spawn();
    const quiet = await call(host, 'run_command', { command: 'sleep 1.5; echo woke' });
    expect(data(quiet)).toMatchObject({ state: 'exited', exitCode: 0, output: 'woke\n' });

    const waiting = await call(host, 'run_command', { command: 'cat' });
    const stopped = await call(host, 'send_input', { session: data(waiting).session, control: 'interrupt' });
    expect(data(stopped).state).toBe('exited');
    expect(stopped.content).toMatch(/killed by SIGINT|exit code 130/);

    const again = await call(host, 'run_command', { command: 'read x' });
    const killed = await call(host, 'send_input', { session: data(again).session, control: 'kill' });
    expect(data(killed).state).toBe('exited');
    expect(killed.content).toContain('killed it');
    await expect(call(host, 'send_input', { session: 424242 })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('looks at what is typed into a waiting shell like a command', () => {
    const { host } = { host: { homeAliases: ['/home/agent'] } as unknown as AgentHost };
    const prepared = registry.prepare({
      id: 'c',
      name: 'send_input',
      args: { session: 1, text: 'rm -rf /' },
    });
    if (!prepared.ok) throw new Error(prepared.error);
    expect(registry.dangerReasons(prepared.tool, prepared.args, host).length).toBeGreaterThan(0);
  });

  it('a signal to the agent reaches its command terminals; the end of its run ends what still waits', async () => {
    const { host, kernel, pid } = await agents.spawn();
    const program = host.startProgram!(['bash', '-c', 'sleep 30']);
    const osPid = kernel.terminals.list(pid).find((t) => t.terminal === program.id)!.osPid!;
    const states = () => processTree(osPid).map((p) => p.state);
    await waitFor(() => states().length > 0, 5000, 'the command');
    await kernel.processes.signal(pid, 'STOP');
    await waitFor(() => states().every((s) => s === 'T'), 5000, 'the command to stop');
    await kernel.processes.signal(pid, 'CONT');
    await waitFor(() => states().every((s) => s !== 'T'), 5000, 'the command to go on');
    await program.close();

    const waiting = await call(host, 'run_command', { command: 'read x' });
    const session = data(waiting).session;
    const readerPid = kernel.terminals.list(pid).find((t) => t.terminal === session)!.osPid!;
    await closeCommandSessions(host);
    await waitFor(() => processTree(readerPid).length === 0, 5000, 'the waiting command to end');

    const last = await call(host, 'run_command', { command: 'read y' });
    const lastPid = kernel.terminals.list(pid).find((t) => t.terminal === data(last).session)!.osPid!;
    await kernel.processes.signal(pid, 'KILL');
    await waitFor(() => processTree(lastPid).length === 0, 5000, 'KILL to end the command');
  });

  it('abandons the wait when the loop is killed, and ends the command', async () => {
    const { host, kernel, pid } = await agents.spawn();
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('killed (KILL)')), 500);
    await expect(
      call(host, 'run_command', { command: 'sleep 20' }, context(host, abort.signal)),
    ).rejects.toMatchObject({ code: 'E_CONFLICT', message: expect.stringContaining('abandoned') });
    expect(kernel.terminals.list(pid).filter((t) => !t.main)).toEqual([]);
  });
});

const docker = await dockerForTests('commands waiting for input in a container');

describe.skipIf(!docker)('commands that wait for input, in a container agent', () => {
  const dir = tempDir('habitat-interactive-');
  let kernel: Kernel | undefined;
  afterAll(async () => {
    await kernel?.close();
    dir.cleanup();
  });

  it('tells a waiting `read` from inside the container, and send_input answers it', async () => {
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      warmPool: { size: 0 },
    });
    const { pid } = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    const host = kernelHost(kernel, pid);
    const quiet = await call(host, 'run_command', { command: 'sleep 1; echo woke' });
    expect(data(quiet)).toMatchObject({ state: 'exited', output: 'woke\n' });
    const asked = await call(host, 'run_command', {
      command: 'read -p "name? " name; echo hi $name > out.txt',
    });
    expect(data(asked)).toMatchObject({ state: 'waiting', output: 'name? ' });
    const answered = await call(host, 'send_input', { session: data(asked).session, text: 'Bob' });
    expect(data(answered)).toMatchObject({ state: 'exited', exitCode: 0 });
    const out = join(kernel.processes.home(pid), 'out.txt');
    await waitFor(() => existsSync(out), 5000, 'out.txt');
    expect(readFileSync(out, 'utf8')).toBe('hi Bob\n');
  }, 120_000);
});
