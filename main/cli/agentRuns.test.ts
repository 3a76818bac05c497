import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentEventSchema, type ProviderStatus } from '../../shared/protocol/index.js';
import { waitFor } from '../../test/helpers.js';
import { CLI } from '../../test/servedCli.js';
import { servedAgents } from '../../test/servedAgents.js';
import { EXIT } from './program.js';

// Agents with goals, end to end: the CLI and a WebSocket client against a real `habitat serve`, real host sandboxes.
// (test/geminiAgent.test.ts does the same with Gemini behind a local stand-in server.)
const SLOW = 120_000; // every CLI call is a Node process with tsx: seconds each on a busy 2-core machine

describe('agents with goals through the CLI (offline planner)', () => {
  const env = { ...process.env };
  delete env.GEMINI_API_KEY;
  delete env.GOOGLE_API_KEY;
  env.OLLAMA_HOST = 'http://127.0.0.1:9'; // nothing listens there
  const host = servedAgents(env);
  const { run, json, of, home } = host;
  // checks that are not about the CLI go over the test's own WebSocket: each CLI call is a Node process to start
  const api = () => host.client();
  const ended = (pid: number, ms = 60_000) =>
    waitFor(() => of(pid).some((e) => e.type === 'end'), ms, `the end of process ${pid}`);

  it(
    'providers --json says which providers can drive an agent, and why not',
    async () => {
      const providers = await json(['providers']);
      expect(providers.map((p: ProviderStatus) => [p.name, p.ready])).toEqual([
        ['heuristic', true],
        ['gemini', false],
        ['ollama', false],
      ]);
      expect(providers[1].detail).toMatch(/GEMINI_API_KEY/);
      expect(providers[2]).toMatchObject({ endpoint: 'http://127.0.0.1:9', models: [] });
      const text = await run(['providers']);
      expect(text.code).toBe(EXIT.ok);
      expect(text.stdout).toMatch(/^PROVIDER\s+READY\s+DEFAULT MODEL\s+DETAIL$/m);
      expect(text.stdout).toMatch(
        /^ollama\s+no\s+llama3\.2\s+No Ollama server answers at http:\/\/127\.0\.0\.1:9/m,
      );
    },
    SLOW,
  );

  it(
    'spawn --goal runs it: the file is made, events stream, the phase ends completed, logs and watch show it',
    async () => {
      const goal = "create notes/todo.md with content 'a b c', then run `cat notes/todo.md`";
      const spawned = await run(['spawn', '--goal', goal, '--name', 'planner']);
      expect(spawned.code, spawned.stderr).toBe(EXIT.ok);
      const pid = Number(spawned.stdout.trim());
      await ended(pid);

      expect(readFileSync(join(home(pid), 'notes/todo.md'), 'utf8')).toBe('a b c\n');

      // over the WebSocket, in order: thoughts, the calls and their results, the end
      const types = of(pid).map((e) => e.type);
      for (const type of ['thought', 'tool.call', 'tool.result', 'end'] as const)
        expect(types).toContain(type);
      expect(types.indexOf('tool.call')).toBeLessThan(types.indexOf('tool.result'));
      expect(types.at(-1)).toBe('end');
      const calls = of(pid).flatMap((e) => (e.type === 'tool.call' ? [e.tool] : []));
      expect(calls).toEqual(['write_file', 'run_command', 'complete']);
      const cat = of(pid).find((e) => e.type === 'tool.result' && e.tool === 'run_command');
      expect(cat).toMatchObject({ ok: true, output: expect.stringContaining('a b c') });
      expect(of(pid).at(-1)).toMatchObject({ type: 'end', outcome: 'completed' });

      // the process: its run ended, so it exited completed, with the reason
      expect(await api().call('process.get', { pid })).toMatchObject({
        name: 'planner',
        goal,
        state: 'zombie',
        phase: 'completed',
        exitCode: 0,
        exitReason: 'the agent completed its goal',
      });

      // habitat logs --json: one entry per line, the agent's events among the kernel's
      const logs = await run(['--json', 'logs', '-n', '500', String(pid)]);
      const entries = logs.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const logged = entries.map((e: { type: string }) => e.type);
      for (const type of [
        'agent.thought',
        'agent.tool.call',
        'agent.tool.result',
        'agent.end',
        'process.exited',
      ])
        expect(logged).toContain(type);
      expect(entries.find((e: { type: string }) => e.type === 'agent.end').payload).toMatchObject({
        outcome: 'completed',
      });

      // watch on a finished run prints its history from the log and exits with its outcome
      const watched = await run(['watch', String(pid)]);
      expect(watched.code, watched.stderr).toBe(EXIT.ok);
      expect(watched.stdout).toMatch(/-> write_file[\s\S]*<- run_command ok[\s\S]*a b c[\s\S]*END completed/);
      const asJson = await run(['--json', 'watch', String(pid)]);
      const lines = asJson.stdout
        .trim()
        .split('\n')
        .map((line) => AgentEventSchema.parse(JSON.parse(line)));
      expect(lines.at(-1)).toMatchObject({ type: 'end', outcome: 'completed', pid });
      expect(lines.map((e) => e.seq)).toEqual([...lines.map((e) => e.seq)].sort((a, b) => a! - b!));

      // its conversation and memory, through the protocol
      const conversation = await api().call('agent.conversation', { pid, limit: 2 });
      expect(conversation.total).toBeGreaterThanOrEqual(7);
      expect(conversation.messages).toMatchObject([
        { seq: 0, message: { role: 'user', content: goal } },
        { seq: 1, message: { role: 'assistant' } },
      ]);
      expect((await run(['memory', String(pid), '--set', 'likes short reports'])).code).toBe(EXIT.ok);
      expect((await run(['memory', String(pid)])).stdout).toBe('likes short reports\n');
    },
    SLOW,
  );

  it(
    'a dangerous command waits in phase waiting; approve lets it run, deny refuses it and the agent sees why',
    async () => {
      const pid = (await json(['spawn', '--goal', 'make a folder called build, then run `rm -rf build`']))
        .pid;
      await waitFor(
        () => of(pid).some((e) => e.type === 'approval.requested'),
        60_000,
        'the approval request',
      );
      expect(existsSync(join(home(pid), 'build'))).toBe(true);
      expect((await api().call('process.get', { pid })).phase).toBe('waiting');
      const { approvals: pending } = await api().call('agent.approvals', {});
      expect(pending).toMatchObject([{ pid, tool: 'run_command', args: { command: 'rm -rf build' } }]);
      const table = await run(['approvals']);
      expect(table.stdout).toMatch(new RegExp(`^${pid}\\s+\\S+\\s+run_command`, 'm'));

      // someone watches live while a person approves
      const watcher = run(['watch', String(pid)]);
      await new Promise((r) => setTimeout(r, 1500));
      const approved = await run(['approve', String(pid)]);
      expect(approved.code, approved.stderr).toBe(EXIT.ok);
      expect(approved.stdout).toContain('approved: run_command');
      const watched = await watcher;
      expect(watched.code, watched.stderr).toBe(EXIT.ok);
      expect(watched.stdout).toMatch(/WAITING for approval[\s\S]*approved \(person\)[\s\S]*END completed/);
      await ended(pid);
      expect(existsSync(join(home(pid), 'build'))).toBe(false);
      expect(of(pid).find((e) => e.type === 'approval.resolved')).toMatchObject({
        approved: true,
        by: 'person',
      });

      // deny: the command does not run, the agent reads the refusal and gives up
      const denied = (await api().call('process.spawn', { goal: 'run `rm -rf notes`' })).pid;
      await waitFor(
        () => of(denied).some((e) => e.type === 'approval.requested'),
        60_000,
        'the second request',
      );
      const refusal = await run(['deny', String(denied), '--reason', 'not now']);
      expect(refusal.code, refusal.stderr).toBe(EXIT.ok);
      await ended(denied);
      expect(of(denied).find((e) => e.type === 'tool.result')).toMatchObject({
        tool: 'run_command',
        ok: false,
        output: 'not run: a person denied it: not now',
      });
      expect(of(denied).at(-1)).toMatchObject({ type: 'end', outcome: 'failed' });
      const watchedDenied = await run(['watch', String(denied)]);
      expect(watchedDenied.code).toBe(EXIT.error); // the run failed

      // nothing waits any more
      const nothing = await run(['approve', String(denied)]);
      expect(nothing.code).toBe(EXIT.error);
      expect(nothing.stderr).toMatch(/E_NOT_FOUND: process \d+ is not waiting for approval/);
      expect(await api().call('agent.approvals', {})).toEqual({ approvals: [] });
    },
    SLOW,
  );

  it(
    'STOP mid-run holds the agent between steps with no tool running; CONT lets it finish; KILL ends one',
    async () => {
      const pid = (
        await json([
          'spawn',
          '--approval',
          'never',
          '--goal',
          "run `sleep 3`, then write 'after' to after.txt",
        ])
      ).pid;
      await waitFor(
        () => of(pid).some((e) => e.type === 'tool.call' && e.tool === 'run_command'),
        60_000,
        'the sleep to start',
      );
      // process.signal over the open WebSocket: a CLI process would take seconds to start on a busy machine
      const stopped = await host.client().call('process.signal', { pid, signal: 'STOP' });
      expect(stopped.state).toBe('stopped');
      const callsWhenStopped = of(pid).filter((e) => e.type === 'tool.call').length;
      await new Promise((r) => setTimeout(r, 6000)); // twice the sleep: it would have finished and moved on
      expect(of(pid).filter((e) => e.type === 'tool.call')).toHaveLength(callsWhenStopped);
      expect(existsSync(join(home(pid), 'after.txt'))).toBe(false);
      expect(of(pid).some((e) => e.type === 'end')).toBe(false);
      expect((await api().call('process.get', { pid })).state).toBe('stopped');

      expect((await json(['kill', '-s', 'CONT', String(pid)])).state).toBe('running');
      await ended(pid);
      expect(of(pid).at(-1)).toMatchObject({ type: 'end', outcome: 'completed' });
      expect(readFileSync(join(home(pid), 'after.txt'), 'utf8')).toBe('after\n');

      const victim = (await api().call('process.spawn', { approvalPolicy: 'never', goal: 'run `sleep 60`' }))
        .pid;
      await waitFor(() => of(victim).some((e) => e.type === 'tool.call'), 60_000, 'the long sleep to start');
      expect((await run(['kill', '-s', 'KILL', String(victim)])).code).toBe(EXIT.ok);
      await ended(victim, 15_000);
      expect(of(victim).at(-1)).toMatchObject({ type: 'end', outcome: 'killed' });
      expect(await api().call('process.get', { pid: victim })).toMatchObject({
        state: 'zombie',
        phase: 'failed',
      });
    },
    SLOW,
  );

  it(
    'watch interrupted by SIGINT or SIGTERM exits 1 (the run was not seen to complete); the run goes on',
    async () => {
      const pid = (await api().call('process.spawn', { approvalPolicy: 'never', goal: 'run `sleep 60`' }))
        .pid;
      await waitFor(() => of(pid).some((e) => e.type === 'tool.call'), 60_000, 'the long sleep to start');
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const dataDir = join(home(pid), '..', '..');
        const watcher = spawn(process.execPath, [...CLI, '--data-dir', dataDir, 'watch', String(pid)]);
        let stdout = '';
        watcher.stdout.on('data', (c) => (stdout += c));
        const exited = new Promise<number | null>((r) => watcher.once('exit', (code) => r(code)));
        await waitFor(() => stdout.includes('run_command'), 30_000, `watch's history (${signal})`);
        // its handlers are set once the history is printed; a moment more so the signal cannot beat them
        await new Promise((r) => setTimeout(r, 300));
        watcher.kill(signal);
        expect(await exited, signal).toBe(EXIT.error);
      }
      expect((await api().call('process.get', { pid })).state).toBe('running');
      await api().call('process.signal', { pid, signal: 'KILL' });
      await ended(pid, 15_000);
    },
    SLOW,
  );

  it(
    'bad inputs are clear error values: unknown provider, Gemini without a key, settings without a goal, nothing to approve',
    async () => {
      const count = async () => (await api().call('process.list', {})).processes.length;
      const before = await count();

      const usage = await run(['spawn', '--goal', 'x', '--provider', 'gpt']);
      expect(usage.code).toBe(EXIT.usage);
      expect(usage.stderr).toMatch(/heuristic, gemini, ollama/);
      const raw = await run([
        '--json',
        'call',
        'process.spawn',
        JSON.stringify({ goal: 'x', provider: 'gpt' }),
      ]);
      expect(raw.code).toBe(EXIT.error);
      expect(JSON.parse(raw.stdout).error).toMatchObject({
        code: 'E_INVALID',
        details: { issues: [{ path: 'provider' }] },
      });

      const keyless = await run(['--json', 'spawn', '--goal', 'say hi', '--provider', 'gemini']);
      expect(keyless.code).toBe(EXIT.error);
      expect(JSON.parse(keyless.stdout).error).toMatchObject({
        code: 'E_UNAVAILABLE',
        message: expect.stringContaining('GEMINI_API_KEY'),
      });
      const noGoal = await run(['spawn', '--max-steps', '3']);
      expect(noGoal.code).toBe(EXIT.error);
      expect(noGoal.stderr).toContain('E_INVALID: maxSteps apply to an agent with a goal');
      const zero = await run(['spawn', '--goal', 'x', '--max-steps', '0']);
      expect(zero.code).toBe(EXIT.usage); // checked by the CLI; noGoal only the host can judge: 1
      expect(zero.stderr).toContain('--max-steps must be a positive integer');
      expect(await count()).toBe(before); // no refused spawn left a process

      const nobody = await run(['approve', '999']);
      expect(nobody.code).toBe(EXIT.error);
      expect(nobody.stderr).toContain('E_NOT_FOUND: no process 999');
      const shell = (await api().call('process.spawn', {})).pid;
      const idle = await run(['deny', String(shell), '--reason', 'why not']);
      expect(idle.code).toBe(EXIT.error);
      expect(idle.stderr).toContain(`E_NOT_FOUND: process ${shell} is not waiting for approval`);
      const goalless = await run(['watch', String(shell)]);
      expect(goalless.code).toBe(EXIT.error);
      expect(goalless.stderr).toContain('has no goal');
    },
    SLOW,
  );
});
