import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Kernel } from '../../kernel/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import {
  GEMINI_STREAM_PATH,
  geminiCall,
  geminiDone,
  geminiStream,
  ScriptedServer,
} from '../llm/testing/index.js';
import { AgentSupervisor } from './AgentSupervisor.js';

// A container agent outlives a kernel that dies mid-run; the next kernel re-attaches it and its run resumes.
const docker = await dockerForTests('agent runs across a kernel restart');

describe.skipIf(!docker)('agent runs across a kernel restart', () => {
  const dir = tempDir('habitat-agent-restart-');
  const kernels: Kernel[] = [];
  let gemini: ScriptedServer;
  const open = async (): Promise<Kernel> => {
    const kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size: 0 },
    });
    kernels.push(kernel);
    return kernel;
  };
  afterAll(async () => {
    for (const kernel of kernels) await kernel.close().catch(() => {});
    await gemini?.close();
    dir.cleanup();
  });

  it('resumes from the saved conversation: the cut-off call is answered as interrupted, then the run completes', async () => {
    gemini = await ScriptedServer.start();
    const env = { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url };
    gemini.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiCall('run_command', { command: 'rm -rf build' }), geminiDone()]),
      geminiStream([geminiCall('run_command', { command: 'echo still-$((6*7))' }), geminiDone()]),
      geminiStream([geminiCall('complete', { summary: 'checked, nothing to remove' }), geminiDone()]),
    );
    const first = await open();
    const before = new AgentSupervisor(first, { env });
    const agent = await before.spawn(
      { sandbox: 'docker', network: false, goal: 'clean the build folder' },
      { provider: 'gemini' },
    );
    await waitFor(() => before.approvals(agent.pid).length === 1, 30_000, 'the approval request');
    expect(first.processes.get(agent.pid).phase).toBe('waiting');

    // the kernel dies (as after SIGKILL): nothing more reaches its database, its container keeps running
    first.store.close();
    kernels.splice(kernels.indexOf(first), 1);
    await before.close(); // what the dead kernel's loop would have lost anyway: it writes nowhere now

    // (the dead kernel's terminals are left alone: closing them would have it kill the container it lost)
    const second = await open();
    const after = new AgentSupervisor(second, { env });
    const results: unknown[] = [];
    second.events.on(`agent.event.${agent.pid}`, (event) => {
      if ((event as { type: string }).type === 'tool.result') results.push(event);
    });
    expect(second.processes.get(agent.pid)).toMatchObject({ state: 'running', phase: 'waiting' });
    expect(after.recover()).toEqual([agent.pid]);
    await waitFor(() => second.processes.get(agent.pid).state === 'zombie', 30_000, 'the resumed run to end');

    expect(second.processes.get(agent.pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
    expect(gemini.requests).toHaveLength(3);
    const resumed = JSON.stringify(gemini.requests[1]!.body);
    expect(resumed).toContain('clean the build folder'); // the goal and first turn came from the store
    expect(resumed).toContain('interrupted: the agent was restarted before this call finished');
    // the resumed run works in the re-attached container
    expect(results).toMatchObject([
      { tool: 'run_command', ok: true, output: expect.stringContaining('still-42') },
      { tool: 'complete' },
    ]);
    const log = second.store.latestEvents(agent.pid, 200).map((e) => e.type);
    expect(log).toContain('agent.warning');
    expect(log.at(-1)).toBe('process.exited');
    await after.close();

    // the agent's container went with its run, even though the kernel closed right after (the dead kernel's own
    // stream to it may still be removing it: a removal in progress is given a few seconds)
    const instance = second.store.instanceId();
    await second.close();
    kernels.splice(kernels.indexOf(second), 1);
    const left = () =>
      docker!.listContainers({ all: true, filters: { label: [`dev.habitat.instance=${instance}`] } });
    for (let tries = 0; (await left()).length > 0 && tries < 50; tries++) await sleep(100);
    expect(await left()).toEqual([]);
  });
});
