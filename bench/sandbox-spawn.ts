import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn as spawnPty } from 'node-pty';
import { Kernel } from '../kernel/index.js';
import { summarize } from './lib/stats.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import { slowdown, type BenchResult } from './lib/types.js';

export const name = 'host-sandbox spawn to shell prompt';

const SAMPLES = 40;
// bash prints # instead of $ for uid 0, which an agent is inside its user namespace
const PROMPT = /agent@\d+:.*[$#] $/;
const PROMPT_TIMEOUT_MS = 10_000;

/** Resolves when the prompt appears; rejects (instead of hanging the run) when it never does. */
function promptSeen(subscribe: (onData: (data: string) => void) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      stop();
      reject(
        new Error(
          `no prompt within ${PROMPT_TIMEOUT_MS} ms; output so far: ${JSON.stringify(seen.slice(-200))}`,
        ),
      );
    }, PROMPT_TIMEOUT_MS);
    const stop = subscribe((data) => {
      seen += data;
      if (PROMPT.test(seen)) {
        clearTimeout(timer);
        stop();
        resolve();
      }
    });
  });
}

export async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-'));
  const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'bench' });
  try {
    const habitat = new Float64Array(SAMPLES);
    const bare = new Float64Array(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) {
      // Habitat: PID, home from the skeleton, sandbox, PTY, until the shell's prompt arrives.
      let start = now();
      const info = await kernel.processes.spawn({ network: false });
      const session = kernel.terminals.get(info.terminal!).session;
      await promptSeen((onData) => {
        const consumer = session.attach(onData, { flowControl: false });
        return () => consumer.detach();
      });
      habitat[i] = nsToMs(elapsedNs(start));
      await kernel.processes.signal(info.pid, 'KILL');

      // Reference: the same sandbox command line in a bare node-pty, no kernel around it.
      const plan = kernel.sandbox.backend.plan(
        { pid: info.pid, home: kernel.processes.home(info.pid), network: false },
        ['/bin/bash', '--noprofile', '--norc', '-i'],
      );
      start = now();
      const pty = spawnPty(plan.file, plan.args, { cwd: plan.cwd, env: plan.env, cols: 120, rows: 32 });
      await promptSeen((onData) => {
        const subscription = pty.onData(onData);
        return () => subscription.dispose();
      });
      bare[i] = nsToMs(elapsedNs(start));
      pty.kill('SIGKILL');
    }
    const h = summarize(habitat);
    const b = summarize(bare);
    return {
      reference: 'the same bubblewrap + bash command line spawned in a bare node-pty',
      metrics: [
        {
          name: 'spawn to prompt p50',
          value: h.p50,
          unit: 'ms',
          reference: b.p50,
          ratio: slowdown(h.p50, b.p50, 'lower'),
          aimAtMost: 50,
        },
        {
          name: 'spawn to prompt p99',
          value: h.p99,
          unit: 'ms',
          reference: b.p99,
          ratio: slowdown(h.p99, b.p99, 'lower'),
        },
      ],
      notes: [
        `${SAMPLES} agents, isolation: ${kernel.sandbox.isolation}; includes PID allocation (fsync) and home creation`,
      ],
    };
  } finally {
    await kernel.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
