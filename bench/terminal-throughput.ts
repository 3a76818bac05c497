import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { spawn as spawnPty } from 'node-pty';
import { machineShares } from './lib/machine.js';
import { startPtyForwarder } from './lib/ptyForwarder.js';
import { attachTerminal, startServedHost } from './lib/servedHost.js';
import { elapsedNs, now } from './lib/time.js';
import { slowdown, type BenchResult } from './lib/types.js';

export const name = 'terminal throughput: PTY to WebSocket client vs raw node-pty reads';

const BYTES = 64 * 1024 * 1024;
const ROUNDS = 3;
/** The aim: at least 0.9 of raw node-pty, i.e. at most 1/0.9 times slower. */
const AIM_RATIO = 1 / 0.9;
const PRODUCER = `head -c ${BYTES} /dev/zero | tr '\\0' a`;
const MIB = BYTES / 1024 / 1024;

/** CPU milliseconds a process has used (user + system), from /proc; undefined where there is none. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** This process's CPU milliseconds (user + system) spent in `work`. */
async function ownCpuMs<T>(work: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(before);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

/** One line on how idle the machine was during one kind of run, and how much the hypervisor took; none without data. */
function sharesNote(kind: string, list: { idle: number; steal: number }[]): string[] {
  if (list.length === 0) return [];
  const percents = (pick: (share: { idle: number; steal: number }) => number): string =>
    list.map((share) => `${(100 * pick(share)).toFixed(0)}%`).join(', ');
  return [
    `the machine (${availableParallelism()} CPUs) during the ${kind} runs: idle ${percents((s) => s.idle)}; ` +
      `stolen by the hypervisor ${percents((s) => s.steal)} (counted as busy)`,
  ];
}

/**
 * Each round's Habitat run against the same round's raw run (at most a forwarder run apart, so under much the same
 * steal): how far the ratio swings from round to round, beside the best-of-rounds figures.
 */
function pairedNote(rawNs: number[], habitatNs: number[]): string {
  const ratios = rawNs.map((ns, round) => ns / habitatNs[round]!);
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  return (
    `Habitat's speed over raw, round by round: ${ratios.map((r) => r.toFixed(2)).join(', ')} ` +
    `(median ${median.toFixed(2)})`
  );
}

async function rawRead(): Promise<number> {
  const start = now();
  const pty = spawnPty('/bin/bash', ['-c', PRODUCER], {
    cols: 120,
    rows: 32,
    env: { PATH: '/usr/bin:/bin' },
  });
  let received = 0;
  await new Promise<void>((resolve) => {
    pty.onData((data) => {
      received += data.length;
    });
    pty.onExit(() => resolve());
  });
  // Plain node-pty can lose the last few KiB when a program exits (libuv reports EOF early on a pty; the kernel's
  // spawner reads the rest): the reference is credited with what it really received.
  if (received < BYTES * 0.99) throw new Error(`raw read got ${received} of ${BYTES} bytes`);
  return (elapsedNs(start) * BYTES) / received;
}

export async function run(): Promise<BenchResult> {
  const host = await startServedHost();
  const forwarder = await startPtyForwarder();
  try {
    const agent = await host.client.call('process.spawn', { name: 'throughput' });
    const kernelPid = (await host.client.call('system.info', {})).kernel.pid;
    const terminal = agent.terminal!;
    let received = 0;
    let waiter: (() => void) | undefined;
    let target = Infinity;
    const detach = await attachTerminal(host.client, terminal, (data) => {
      received += data.length;
      if (received >= target) waiter?.();
    });
    const throughHabitat = async (): Promise<number> => {
      received = 0;
      target = BYTES;
      const done = new Promise<void>((resolve) => (waiter = resolve));
      const start = now();
      await host.client.call('pty.input', { terminal, data: `${PRODUCER}; echo\n` });
      await done;
      return elapsedNs(start);
    };
    /** The same bytes through the bare forwarder: what the second hop costs a simple design. */
    const throughForwarder = async (): Promise<number> => {
      const start = now();
      let crossed: bigint | undefined;
      let sofar = 0;
      const received = await forwarder.run(PRODUCER, (bytes) => {
        sofar += bytes;
        if (sofar >= BYTES && crossed === undefined) crossed = now();
      });
      if (received < BYTES * 0.99) throw new Error(`the forwarder carried ${received} of ${BYTES} bytes`);
      return crossed === undefined ? (elapsedNs(start) * BYTES) / received : Number(crossed - start);
    };
    const raw: number[] = [];
    const habitat: number[] = [];
    const forwarded: number[] = [];
    // CPU spent per run, to tell a busy kernel from a pipeline that waits
    const cpu = { raw: 0, kernel: 0 as number | undefined, client: 0 };
    // how much of the machine sat idle, and how much the hypervisor took, during each kind of run (steal swings
    // single runs on a shared virtual machine)
    const shares = {
      raw: [] as { idle: number; steal: number }[],
      habitat: [] as { idle: number; steal: number }[],
    };
    const measureRaw = async (): Promise<void> => {
      const { value: measured, shares: share } = await machineShares(() => ownCpuMs(rawRead));
      const { value, cpuMs } = measured;
      if (share) shares.raw.push(share);
      raw.push(value);
      cpu.raw += cpuMs;
    };
    const measureHabitat = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 300)); // let the prompt settle, outside what is measured
      const kernelBefore = processCpuMs(kernelPid);
      const { value: measured, shares: share } = await machineShares(() => ownCpuMs(throughHabitat));
      const { value, cpuMs } = measured;
      if (share) shares.habitat.push(share);
      const kernelAfter = processCpuMs(kernelPid);
      habitat.push(value);
      cpu.client += cpuMs;
      cpu.kernel =
        cpu.kernel === undefined || kernelBefore === undefined || kernelAfter === undefined
          ? undefined
          : cpu.kernel + kernelAfter - kernelBefore;
    };
    const measureForwarder = async (): Promise<void> => {
      forwarded.push(await throughForwarder());
    };
    await rawRead(); // warm up the page cache and the JIT
    await throughForwarder();
    // each round in another order, so that no one of the three always runs first
    const orders = [
      [measureRaw, measureHabitat, measureForwarder],
      [measureHabitat, measureForwarder, measureRaw],
      [measureForwarder, measureRaw, measureHabitat],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const measure of orders[round % orders.length]!) await measure();
    }
    detach();
    const perMib = (ms: number): string => `${(ms / ROUNDS / MIB).toFixed(1)} ms`;
    const mbps = (ns: number): number => MIB / (ns / 1e9);
    const best = (list: number[]): number => Math.min(...list);
    const rawMbps = mbps(best(raw));
    const habitatMbps = mbps(best(habitat));
    const forwarderMbps = mbps(best(forwarded));
    return {
      reference: 'raw node-pty reads of the same producer in this process',
      metrics: [
        {
          name: 'throughput',
          value: habitatMbps,
          unit: 'MiB/s',
          reference: rawMbps,
          ratio: slowdown(habitatMbps, rawMbps, 'higher'),
          aimRatio: AIM_RATIO,
        },
        {
          name: 'throughput, bare forwarder',
          value: forwarderMbps,
          unit: 'MiB/s',
          reference: rawMbps,
          ratio: slowdown(forwarderMbps, rawMbps, 'higher'),
        },
      ],
      notes: [
        `${MIB} MiB of output per run, best of ${ROUNDS} alternating runs each`,
        'through Habitat: a host-sandbox agent in a headless host (its own process), output batched and sent in binary',
        'frames to a WebSocket client that acknowledges what it received (binary frames, from 16 KiB or at the end',
        'of its turn); the kernel also feeds its headless screen',
        `ratio aim ${AIM_RATIO.toFixed(2)} = at least 0.9 of raw`,
        "bare forwarder: node-pty in a process of its own sending each turn's reads as one WebSocket frame, no flow",
        `control, no screen: what the second hop costs a simple design; Habitat carries ${(
          (100 * habitatMbps) /
          forwarderMbps
        ).toFixed(0)}% of what it does`,
        pairedNote(raw, habitat),
        ...sharesNote('raw', shares.raw),
        ...sharesNote('Habitat', shares.habitat),
        `CPU per MiB: raw reader ${perMib(cpu.raw)}; through Habitat: kernel ${
          cpu.kernel === undefined ? 'n/a' : perMib(cpu.kernel)
        }, client ${perMib(cpu.client)} (the producer's own CPU not counted)`,
      ],
    };
  } finally {
    await forwarder.close();
    await host.close();
  }
}
