import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import { processTree } from '../os/index.js';

describe('kernel crash under load', () => {
  it('after SIGKILL: integrity holds, acknowledged events are kept, no agent process survives, PIDs go on', async () => {
    const dir = tempDir();
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'testing', 'kernelUnderLoad.ts'), dir.path],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let agents: { pid: number; osPid: number }[] = [];
      let lastAck = 0;
      let acks = 0;
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('ack ')) {
          lastAck = Math.max(lastAck, Number(line.slice(4)));
          acks++;
        } else agents = JSON.parse(line).agents;
      });
      await waitFor(() => acks >= 20, 20_000, 'acknowledged commits under load');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      expect(agents).toHaveLength(2);

      // bubblewrap's --die-with-parent (or the reconcile below) ends every agent process
      const kernel = await Kernel.open({ dataDir: dir.path, mode: 'headless', version: 'test' });
      try {
        expect(kernel.store.integrityCheck()).toBe('ok');
        // seqs are assigned in order and committed in transactions: the last acknowledged one present means all are
        const acknowledged = agents.flatMap((a) => kernel.store.eventsSince(a.pid, lastAck - 1, 1));
        expect(acknowledged.map((e) => e.seq)).toContain(lastAck);
        for (const agent of agents) {
          await waitFor(
            () => processTree(agent.osPid).length === 0,
            5000,
            `agent ${agent.pid}'s processes gone`,
          );
          const record = kernel.processes.get(agent.pid);
          expect(record.state).toBe('dead');
          expect(record.exitReason).toMatch(/lost/);
        }
        const next = await kernel.processes.spawn({ network: false });
        expect(next.pid).toBeGreaterThan(Math.max(...agents.map((a) => a.pid)));
      } finally {
        await kernel.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
