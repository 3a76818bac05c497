import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureSandboxImage, Kernel } from '../../kernel/index.js';
import { AgentEventSchema, type AgentEvent } from '../../shared/protocol/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { AgentSupervisor } from './AgentSupervisor.js';

// The example goal, worked on by the offline planner inside a container sandbox.
const docker = await dockerForTests('agent goals in containers');

describe.skipIf(!docker)('agent goals in a container', () => {
  const dir = tempDir('habitat-agents-docker-');
  let kernel: Kernel | undefined;
  let agents: AgentSupervisor | undefined;
  afterAll(async () => {
    await agents?.close();
    await kernel?.close();
    dir.cleanup();
  });

  it('creates notes/todo.md listing three tasks and shows it with cat, in the container', async () => {
    await ensureSandboxImage(docker as Dockerode);
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      warmPool: { size: 0 },
    });
    agents = new AgentSupervisor(kernel, { env: {} });
    const seen: AgentEvent[] = [];
    kernel.events.on('agent.event.*', (payload) => seen.push(AgentEventSchema.parse(payload)));
    const info = await agents.spawn(
      {
        sandbox: 'docker',
        network: false,
        goal: 'create notes/todo.md listing three tasks, then show it with cat',
      },
      {},
    );
    expect(info.sandbox).toMatchObject({ kind: 'docker', isolation: 'container' });
    const k = kernel;
    await waitFor(() => k.processes.get(info.pid).state === 'zombie', 60_000, 'the run to end');
    expect(k.processes.get(info.pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
    const todo = readFileSync(join(k.processes.home(info.pid), 'notes', 'todo.md'), 'utf8');
    expect(todo.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(3);
    // the cat ran in the container, and its output is in the agent's log
    const cat = seen.find((e) => e.type === 'tool.result' && e.tool === 'run_command');
    expect(cat).toMatchObject({ ok: true });
    const logged = k.store.latestEvents(info.pid, 500).filter((e) => e.type === 'agent.tool.result');
    expect(JSON.stringify(logged)).toContain('Task 3');
  }, 120_000);
});
