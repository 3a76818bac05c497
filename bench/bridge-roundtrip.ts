import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadlessHost } from '../main/host/HeadlessHost.js';
import { WS_SUBPROTOCOL, WS_TOKEN_PREFIX } from '../shared/protocol/index.js';
import { startEchoServer } from './lib/echoServer.js';
import { JsonWsClient, type MessageBuilder } from './lib/jsonWsClient.js';
import { pipelinedCalls, sequentialCalls } from './lib/load.js';
import { summarize } from './lib/stats.js';
import { nsToUs, perSecond } from './lib/time.js';
import { slowdown, type BenchResult } from './lib/types.js';

export const name = 'bridge round trip (system.ping over WebSocket) vs bare ws echo';

const WARMUP_CALLS = 2_000;
// Rounds alternate which target goes first, so drift in machine load (CPU boost, other tenants) hits both equally.
const ROUNDS = 5;
const SEQUENTIAL_PER_ROUND = 4_000;
const PIPELINED_PER_ROUND = 8_000;
const IN_FLIGHT = 64;
/** The aim: the bridge within 1.5x of a bare echo on every figure. */
const AIM_RATIO = 1.5;

interface Target {
  label: string;
  client: JsonWsClient;
  build: MessageBuilder;
  latencies: Float64Array[];
  sequentialNs: number;
  pipelinedNs: number;
}

const ping: MessageBuilder = (id) => ({ type: 'call', id, command: 'system.ping', args: {} });

/** Echo message padded so each round trip moves as many bytes as the bridge's request plus reply. */
function echoBuilder(requestBytes: number, replyBytes: number): { build: MessageBuilder; bytes: number } {
  const target = Math.round((requestBytes + replyBytes) / 2);
  const base = JSON.stringify({ ...ping(1), pad: '' }).length;
  const pad = 'x'.repeat(Math.max(0, target - base));
  return { build: (id) => ({ ...ping(id), pad }), bytes: base + pad.length };
}

async function sequential(target: Target, count: number, record: boolean): Promise<void> {
  const { latenciesNs, totalNs, failures } = await sequentialCalls(target.client, target.build, count);
  if (failures > 0) throw new Error(`${target.label}: ${failures} calls failed`);
  if (!record) return;
  target.latencies.push(latenciesNs);
  target.sequentialNs += totalNs;
}

async function pipelined(target: Target, count: number, record: boolean): Promise<void> {
  const { totalNs, failures } = await pipelinedCalls(target.client, target.build, count, IN_FLIGHT);
  if (failures > 0) throw new Error(`${target.label}: ${failures} calls failed`);
  if (record) target.pipelinedNs += totalNs;
}

function joined(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

export async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-'));
  // Closed in reverse: clients before their servers, so no server waits on a live connection.
  const cleanups: (() => Promise<void>)[] = [];
  try {
    // A long stats interval keeps the kernel's periodic sampling out of the figures.
    const host = await startHeadlessHost({ port: 0, dataDir, statsIntervalMs: 3_600_000 });
    cleanups.push(() => host.close());
    const echo = await startEchoServer();
    cleanups.push(() => echo.close());
    const bridgeClient = await JsonWsClient.connect(host.wsUrl, [
      WS_SUBPROTOCOL,
      `${WS_TOKEN_PREFIX}${host.token}`,
    ]);
    cleanups.push(() => bridgeClient.close());
    const echoClient = await JsonWsClient.connect(echo.url);
    cleanups.push(() => echoClient.close());

    const probe = await bridgeClient.call(ping);
    if (probe.ok !== true) throw new Error(`system.ping failed: ${JSON.stringify(probe)}`);
    const requestBytes = JSON.stringify(ping(probe.id)).length;
    const replyBytes = JSON.stringify(probe).length; // the host sends JSON.stringify of the same object
    const echoMessage = echoBuilder(requestBytes, replyBytes);
    await echoClient.call(echoMessage.build); // keeps both clients' ids, hence message sizes, in step

    const bridge: Target = {
      label: 'bridge',
      client: bridgeClient,
      build: ping,
      latencies: [],
      sequentialNs: 0,
      pipelinedNs: 0,
    };
    const bare: Target = {
      label: 'echo',
      client: echoClient,
      build: echoMessage.build,
      latencies: [],
      sequentialNs: 0,
      pipelinedNs: 0,
    };

    for (const target of [bridge, bare]) await sequential(target, WARMUP_CALLS, false);
    for (const target of [bridge, bare]) await pipelined(target, WARMUP_CALLS, false);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [bridge, bare] : [bare, bridge];
      for (const target of order) await sequential(target, SEQUENTIAL_PER_ROUND, true);
      for (const target of order) await pipelined(target, PIPELINED_PER_ROUND, true);
    }

    const figures = (target: Target) => {
      const latency = summarize(joined(target.latencies));
      return {
        p50Us: nsToUs(latency.p50),
        p99Us: nsToUs(latency.p99),
        sequentialPerSec: perSecond(latency.count, target.sequentialNs),
        pipelinedPerSec: perSecond(ROUNDS * PIPELINED_PER_ROUND, target.pipelinedNs),
      };
    };
    const b = figures(bridge);
    const e = figures(bare);
    const row = (
      metric: string,
      unit: string,
      value: number,
      reference: number,
      better: 'lower' | 'higher',
    ) => ({
      name: metric,
      unit,
      value,
      reference,
      ratio: slowdown(value, reference, better),
      aimRatio: AIM_RATIO,
    });

    return {
      reference: 'bare ws echo server (same process, same client code)',
      metrics: [
        row('latency p50', 'µs', b.p50Us, e.p50Us, 'lower'),
        row('latency p99', 'µs', b.p99Us, e.p99Us, 'lower'),
        row('calls/s sequential', 'calls/s', b.sequentialPerSec, e.sequentialPerSec, 'higher'),
        row(
          `calls/s pipelined (${IN_FLIGHT} in flight)`,
          'calls/s',
          b.pipelinedPerSec,
          e.pipelinedPerSec,
          'higher',
        ),
      ],
      notes: [
        `ratio = bridge/echo for latency, echo/bridge for calls/s: above 1 means the bridge is slower`,
        `per target: ${(ROUNDS * SEQUENTIAL_PER_ROUND).toLocaleString('en-US')} sequential and ` +
          `${(ROUNDS * PIPELINED_PER_ROUND).toLocaleString('en-US')} pipelined calls in ${ROUNDS} alternating ` +
          `rounds, after ${WARMUP_CALLS.toLocaleString('en-US')} warm-up calls of each kind`,
        `bytes per round trip: bridge ${requestBytes} B request + ${replyBytes} B reply; ` +
          `echo ${echoMessage.bytes} B each way`,
      ],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rm(dataDir, { recursive: true, force: true });
  }
}
