import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Kernel } from '../kernel/index.js';
import { changeOnePercent, populateMixedHome } from './lib/mixedHome.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import type { BenchResult } from './lib/types.js';

export const name = 'snapshot create, re-snapshot and restore of an agent home';

const run$ = promisify(execFile);
/** HABITAT_BENCH_SNAPSHOT_MB=1024 measures the 1 GB home; the default keeps `npm run bench` short. */
const TOTAL_BYTES = Number(process.env.HABITAT_BENCH_SNAPSHOT_MB ?? 50) * 1024 * 1024;

/**
 * Times a task from a clean start: `sync` first, so the write-back of what the previous step wrote does not throttle
 * this one (on a shared VM disk it otherwise decides the figures).
 */
const ms = async (task: () => Promise<unknown>): Promise<number> => {
  await run$('sync');
  const start = now();
  await task();
  return nsToMs(elapsedNs(start));
};

export async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-snap-'));
  const kernel = await Kernel.open({
    dataDir,
    mode: 'headless',
    version: 'bench',
    homeQuotaBytes: 64 * 1024 ** 3,
  });
  try {
    const agent = await kernel.processes.spawn({ network: false });
    const home = kernel.processes.home(agent.pid);
    const mixed = await populateMixedHome(home, TOTAL_BYTES);
    const snapshot = async () => {
      let info: Awaited<ReturnType<typeof kernel.snapshots.create>> | undefined;
      const took = await ms(async () => (info = await kernel.snapshots.create(agent.pid)));
      return { ...info!, took };
    };

    // reference: tar -czf of the same folder, then tar -xzf of it into an empty one
    const archive = join(dataDir, 'home.tgz');
    const tarCreate = await ms(() => run$('tar', ['-C', home, '-czf', archive, '.']));
    const unpacked = join(dataDir, 'unpacked');
    await mkdir(unpacked);
    const tarExtract = await ms(() => run$('tar', ['-C', unpacked, '-xzf', archive]));
    const tgzBytes = (await stat(archive)).size;
    await rm(unpacked, { recursive: true, force: true });

    // how long the kernel's event loop (terminals, the bridge) waits while snapshots and restores run, beside the
    // same measure over a second of doing nothing (a busy machine delays an idle loop too)
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    idle.disable();
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    let first = await snapshot();
    const unchanged = await snapshot();
    // 1% of the files changed: new content in the same places
    const changed = await changeOnePercent(home, mixed);
    const resnap = await snapshot();

    const restoreMs = await ms(async () => {
      const restored = await kernel.snapshots.restore(first.id);
      await kernel.processes.signal(restored.process.pid, 'KILL');
    });
    delay.disable();
    first = { ...(await kernel.snapshots.get(first.id)), took: first.took };
    const { storeBytes } = await kernel.snapshots.list();

    return {
      reference: `tar -czf / tar -xzf of the same home (${first.files} files, ${(first.bytes / 2 ** 20).toFixed(1)} MiB)`,
      metrics: [
        {
          name: 'first snapshot',
          value: first.took,
          unit: 'ms',
          reference: tarCreate,
          ratio: first.took / tarCreate,
          aimRatio: 1,
        },
        {
          name: `re-snapshot, ${changed.length} files (1%) changed`,
          value: resnap.took,
          unit: 'ms',
          reference: first.took,
          ratio: resnap.took / first.took,
          aimRatio: 0.1,
        },
        { name: 're-snapshot, nothing changed', value: unchanged.took, unit: 'ms' },
        {
          name: 'event loop delay meanwhile, p99',
          value: delay.percentile(99) / 1e6,
          unit: 'ms',
          reference: idle.percentile(99) / 1e6,
        },
        {
          name: 'event loop delay meanwhile, max',
          value: delay.max / 1e6,
          unit: 'ms',
          reference: idle.max / 1e6,
        },
        {
          name: 'restore to a new agent (verified)',
          value: restoreMs,
          unit: 'ms',
          reference: tarExtract,
          ratio: restoreMs / tarExtract,
          aimRatio: 1,
        },
        {
          name: 'stored by the first snapshot',
          value: first.storedBytes / 2 ** 20,
          unit: 'MiB',
          reference: tgzBytes / 2 ** 20,
        },
        { name: 'stored by the unchanged re-snapshot', value: unchanged.storedBytes / 1024, unit: 'KiB' },
        { name: 'stored by the 1% re-snapshot', value: resnap.storedBytes / 1024, unit: 'KiB' },
        { name: 'store on disk, 3 snapshots', value: storeBytes / 2 ** 20, unit: 'MiB' },
      ],
      notes: [
        'snapshots store files uncompressed, deduplicated by sha256; the reference for stored bytes is the .tgz size',
        'restore includes checking every file against its sha256 and spawning the agent; tar -xzf checks nothing',
        'event loop delay: its reference is the same process idle for a second before',
        'warm page cache and `sync` before each timed step, for both; the disk is shared, so figures vary from run to run',
        'the home: source files, documents, binaries (incompressible), copies of some (10% of the bytes) and four ' +
          'large files; HABITAT_BENCH_SNAPSHOT_MB sets its size (default 50 MiB)',
      ],
    };
  } finally {
    await kernel.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
