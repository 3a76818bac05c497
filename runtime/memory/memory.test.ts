import { afterAll, describe, expect, it } from 'vitest';
import { KernelAgents } from '../testing/kernelAgent.js';
import { HomeFileMemory } from './memory.js';

describe('HomeFileMemory', () => {
  const agents = new KernelAgents();
  afterAll(() => agents.close());

  it('keeps notes in notes/MEMORY.md of the agent home, empty until written', async () => {
    const { host, kernel, pid } = await agents.spawn();
    const memory = new HomeFileMemory(host.files);
    expect(await memory.read()).toBe('');
    await memory.write('- remember the milk\n');
    expect(await memory.read()).toBe('- remember the milk\n');
    expect((await kernel.fs(pid).read('notes/MEMORY.md')).content).toBe('- remember the milk\n');
    expect(await new HomeFileMemory(host.files).read()).toBe('- remember the milk\n');
  });
});
