import { afterAll, describe, expect, it } from 'vitest';
import { AgentLoop } from '../AgentLoop.js';
import { ApprovalGate, type ApprovalPolicy } from '../approvals/index.js';
import { InMemoryConversation } from '../conversation/index.js';
import type { AgentEvent } from '../events.js';
import { HomeFileMemory } from '../memory/index.js';
import { KernelAgents, type KernelAgent } from '../testing/kernelAgent.js';
import { coreTools } from '../tools/index.js';
import { HeuristicProvider } from './heuristic.js';

/** The offline planner completing real goals: a real kernel, a real agent home, commands in its real sandbox. */
describe('heuristic planner on a real kernel', () => {
  const agents = new KernelAgents();
  afterAll(() => agents.close());

  async function runGoal(
    goal: string,
    options: {
      agent?: KernelAgent;
      policy?: ApprovalPolicy;
      gate?: ApprovalGate;
      conversation?: InMemoryConversation;
      maxSteps?: number;
    } = {},
  ) {
    const agent = options.agent ?? (await agents.spawn({ goal }));
    const events: AgentEvent[] = [];
    const loop = new AgentLoop({
      goal,
      provider: new HeuristicProvider(),
      tools: coreTools(),
      host: agent.host,
      control: agent.kernel.processes.control(agent.pid),
      sink: (e) => events.push(e),
      memory: new HomeFileMemory(agent.host.files),
      ...(options.conversation ? { conversation: options.conversation } : {}),
      ...(options.maxSteps ? { budgets: { maxSteps: options.maxSteps } } : {}),
      ...(options.gate ? { approvals: { policy: options.policy ?? 'dangerous', gate: options.gate } } : {}),
    });
    const result = await loop.run();
    const results = events.filter(
      (e): e is Extract<AgentEvent, { type: 'tool.result' }> => e.type === 'tool.result',
    );
    return {
      agent,
      events,
      result,
      results,
      read: (path: string) =>
        agent.kernel
          .fs(agent.pid)
          .read(path)
          .then((r) => r.content),
    };
  }

  it('"create notes/todo.md listing three tasks, then show it with cat": the file exists and cat’s output is in the log', async () => {
    const { result, results, read, events } = await runGoal(
      'create notes/todo.md listing three tasks, then show it with cat',
    );
    expect(result).toMatchObject({ outcome: 'completed', steps: 3 });
    const todo = '# Todo\n\n- [ ] Task 1\n- [ ] Task 2\n- [ ] Task 3\n';
    expect(await read('notes/todo.md')).toBe(todo);
    const cat = results.find((r) => r.tool === 'run_command')!;
    expect(cat).toMatchObject({
      ok: true,
      data: { command: 'cat notes/todo.md', exitCode: 0, output: todo }, // on a terminal: one transcript
    });
    expect(result.summary).toContain('- [ ] Task 3');
    expect(events.filter((e) => e.type === 'thought.delta').map((e) => (e as { text: string }).text)).toEqual(
      [
        'Step 1 of 2: write notes/todo.md.',
        'Step 2 of 2: run `cat notes/todo.md`.',
        expect.stringMatching(/^Done:\n1\. write notes\/todo\.md/),
      ],
    );
  });

  it('creates, appends, edits, reads and lists files, makes folders and runs the commands the goal names', async () => {
    const goal =
      "Create data.txt with 'alpha'. Append 'beta' to it, then replace 'alpha' with 'gamma' in it. " +
      'Make a folder called out/reports. Read data.txt, list files, and run `wc -l data.txt`. Finally run: echo "hi $((6*7))"';
    const { result, results, read, agent } = await runGoal(goal);
    expect(result.outcome).toBe('completed');
    expect(await read('data.txt')).toBe('gamma\nbeta\n');
    expect((await agent.kernel.fs(agent.pid).stat('out/reports')).type).toBe('dir');
    expect(results.map((r) => r.tool)).toEqual([
      'write_file',
      'write_file',
      'edit_file',
      'mkdir',
      'read_file',
      'list_files',
      'run_command',
      'run_command',
      'complete',
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[4]!.output).toBe('gamma\nbeta\n');
    expect(results[5]!.output).toMatch(/data\.txt\s+11 B/);
    expect(results[6]!.data).toMatchObject({ output: '2 data.txt\n' });
    expect(results[7]!.data).toMatchObject({ output: 'hi 42\n' });
    expect(result.summary).toContain('hi 42');
  });

  it('completes with a clear explanation, once, when it does not understand the goal', async () => {
    const { result, events } = await runGoal('Write a sonnet about the sea and email it to my aunt');
    expect(result).toMatchObject({ outcome: 'failed', steps: 1 });
    expect(result.summary).toMatch(/^I could not work out what to do from the goal: "Write a sonnet/);
    expect(result.summary).toMatch(/Configure a language model/);
    expect(events.filter((e) => e.type === 'tool.call')).toHaveLength(1);
  });

  it('stops at the first failed step and says why', async () => {
    const { result, read } = await runGoal('read missing.txt, then create after.txt with "x"');
    expect(result.outcome).toBe('failed');
    expect(result.summary).toMatch(
      /Step 1 \(read missing\.txt\) failed: E_NOT_FOUND: ~\/missing\.txt does not exist/,
    );
    await expect(read('after.txt')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('a dangerous command waits for approval: approved, it runs', async () => {
    const gate = new ApprovalGate();
    const agent = await agents.spawn();
    await agent.kernel.fs(agent.pid).write('build/out.o', 'x', { createParents: true });
    const run = runGoal('run `rm -rf build`', { agent, gate });
    await waitFor(() => gate.list(agent.pid).length === 1);
    expect(agent.kernel.processes.get(agent.pid).state).toBe('running');
    gate.approve(agent.pid);
    const { result } = await run;
    expect(result.outcome).toBe('completed');
    await expect(agent.kernel.fs(agent.pid).stat('build')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('a dangerous command waits for approval: denied, the agent sees the refusal and the files stay', async () => {
    const gate = new ApprovalGate();
    const agent = await agents.spawn();
    await agent.kernel.fs(agent.pid).write('build/out.o', 'x', { createParents: true });
    const run = runGoal('run `rm -rf build`', { agent, gate });
    await waitFor(() => gate.list(agent.pid).length === 1);
    gate.deny(agent.pid, undefined, 'I still need it');
    const { result } = await run;
    expect(result.outcome).toBe('failed');
    expect(result.summary).toMatch(
      /Step 1 \(run `rm -rf build`\) failed: not run: a person denied it: I still need it/,
    );
    expect((await agent.kernel.fs(agent.pid).stat('build/out.o')).type).toBe('file');
  });

  it('resumes from its conversation: a restarted run does not redo finished steps', async () => {
    const conversation = new InMemoryConversation();
    const agent = await agents.spawn();
    const goal = 'append "one" to log.txt, then append "two" to log.txt';
    const first = await runGoal(goal, { agent, conversation, maxSteps: 1 });
    expect(first.result.outcome).toBe('failed'); // out of steps after step 1
    const second = await runGoal(goal, { agent, conversation });
    expect(second.result.outcome).toBe('completed');
    expect(await second.read('log.txt')).toBe('one\ntwo\n');
  });
});

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
