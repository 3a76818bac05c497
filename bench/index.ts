import { arch, cpus, platform } from 'node:os';
import * as bridgeRoundtrip from './bridge-roundtrip.js';
import * as agentLoop from './agent-loop.js';
import * as agentMemory from './agent-memory.js';
import * as checkpoint from './checkpoint.js';
import * as containerSpawn from './container-spawn.js';
import * as missionControl from './mission-control.js';
import * as sandboxSpawn from './sandbox-spawn.js';
import * as signals from './signals.js';
import * as snapshot from './snapshot.js';
import * as storeEventlog from './store-eventlog.js';
import * as terminalEcho from './terminal-echo.js';
import * as terminalThroughput from './terminal-throughput.js';
import * as vncProxy from './vnc-proxy.js';
import * as vncWall from './vnc-wall.js';
import { formatNumber, formatTable } from './lib/table.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import { aimsMet, describeAim, type Benchmark, type BenchResult } from './lib/types.js';

// Benchmarks run one after another: running them side by side would make each one's figures depend on the others.
const all: Benchmark[] = [
  bridgeRoundtrip,
  storeEventlog,
  terminalThroughput,
  terminalEcho,
  sandboxSpawn,
  signals,
  agentMemory,
  agentLoop,
  containerSpawn,
  vncProxy,
  snapshot,
  checkpoint,
  vncWall,
  missionControl,
];
// `npm run bench -- terminal` runs the benchmarks whose name contains "terminal".
const filter = process.argv[2]?.toLowerCase();
const benchmarks = filter ? all.filter((b) => b.name.toLowerCase().includes(filter)) : all;

function printResult(result: BenchResult): void {
  if (result.reference) console.log(`reference: ${result.reference}`);
  const rows = result.metrics.map((m) => [
    m.name,
    formatNumber(m.value),
    m.unit,
    m.reference === undefined ? '' : formatNumber(m.reference),
    m.ratio === undefined ? '' : `${m.ratio.toFixed(2)}x`,
    describeAim(m),
  ]);
  console.log(
    formatTable(['metric', 'value', 'unit', 'reference', 'ratio', 'aim'], rows, [
      'left',
      'right',
      'left',
      'right',
      'right',
      'left',
    ]),
  );
  for (const note of result.notes ?? []) console.log(`  ${note}`);
}

interface Outcome {
  name: string;
  ms: number;
  result?: BenchResult;
  error?: unknown;
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `Habitat benchmarks: node ${process.versions.node}, ${platform()}/${arch()}, ${cpus().length} x ${cpu}`,
  );
  const outcomes: Outcome[] = [];
  for (const bench of benchmarks) {
    console.log(`\n== ${bench.name} ==`);
    const start = now();
    try {
      const result = await bench.run();
      outcomes.push({ name: bench.name, ms: nsToMs(elapsedNs(start)), result });
      printResult(result);
    } catch (error) {
      outcomes.push({ name: bench.name, ms: nsToMs(elapsedNs(start)), error });
      console.error('failed:', error);
    }
  }

  console.log('\n== summary ==');
  const rows = outcomes.map((o) => {
    const aims = o.result ? aimsMet(o.result) : undefined;
    return [
      o.name,
      (o.ms / 1000).toFixed(1),
      aims && aims.total > 0 ? `${aims.met}/${aims.total}` : '-',
      o.error === undefined ? 'ok' : 'FAILED',
    ];
  });
  console.log(
    formatTable(['benchmark', 'seconds', 'aims met', 'status'], rows, ['left', 'right', 'right', 'left']),
  );
  // A missed aim is a finding to report, not a failure; only a benchmark that could not run fails the process.
  if (outcomes.some((o) => o.error !== undefined)) process.exitCode = 1;
}

await main();
