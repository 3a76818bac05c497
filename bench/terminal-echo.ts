import { attachTerminal, startServedHost } from './lib/servedHost.js';
import { summarize } from './lib/stats.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import type { BenchResult } from './lib/types.js';

export const name = 'keystroke echo latency while another agent floods its terminal';

const SAMPLES = 200;
const X = 'x'.charCodeAt(0);

export async function run(): Promise<BenchResult> {
  const host = await startServedHost();
  try {
    const flooder = await host.client.call('process.spawn', { name: 'flood' });
    const typist = await host.client.call('process.spawn', { name: 'typist' });
    // The flood is watched on its own connection (another Mission Control tile), acknowledged as it renders.
    const floodClient = await host.connect();
    let flooded = 0;
    const offFlood = await attachTerminal(floodClient, flooder.terminal!, (data) => (flooded += data.length));
    await floodClient.call('pty.input', {
      terminal: flooder.terminal!,
      data: 'yes "flooding the terminal"\n',
    });

    let echoed: (() => void) | undefined;
    const offTypist = await attachTerminal(host.client, typist.terminal!, (data) => {
      if (typeof data === 'string' ? data.includes('x') : data.includes(X)) echoed?.();
    });
    await new Promise((r) => setTimeout(r, 500));
    const floodedBefore = flooded;
    const latencies = new Float64Array(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) {
      const arrived = new Promise<void>((resolve) => (echoed = resolve));
      const start = now();
      void host.client.call('pty.input', { terminal: typist.terminal!, data: 'x' });
      await arrived;
      latencies[i] = nsToMs(elapsedNs(start));
      await new Promise((r) => setTimeout(r, 10));
      if (i % 50 === 49) await host.client.call('pty.input', { terminal: typist.terminal!, data: '\x15' }); // clear line
    }
    const floodRate = flooded - floodedBefore;
    await floodClient.call('pty.input', { terminal: flooder.terminal!, data: '\x03' });
    offFlood();
    offTypist();
    floodClient.close();
    const summary = summarize(latencies);
    return {
      metrics: [
        { name: 'echo latency p50', value: summary.p50, unit: 'ms' },
        { name: 'echo latency p99', value: summary.p99, unit: 'ms', aimAtMost: 10 },
      ],
      notes: [
        `${SAMPLES} keystrokes into one agent's shell while another agent's terminal streams \`yes\` to a second client`,
        `the flood delivered ${(floodRate / 1024 / 1024).toFixed(1)} MiB to its client during the measurement`,
      ],
    };
  } finally {
    await host.close();
  }
}
