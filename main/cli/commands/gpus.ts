import { HabitatError, type GpuInfo, type GpuStats } from '../../../shared/protocol/index.js';
import { EXIT, intArg, type CliContext } from '../context.js';
import { formatBytes, table } from '../format.js';

/**
 * `--gpus` of spawn: a count (`2`), device ids (`0,1`, `GPU-…`), or Docker's `device=1` for one index alone (a
 * bare `1` is a count).
 */
export function parseGpus(text: string): number | string[] {
  const value = text.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const ids = value
    .replace(/^device=/, '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new HabitatError('E_INVALID', `not a GPU count or list of GPUs: ${text}`);
  return ids;
}

const orDash = (value: number | null, show: (v: number) => string): string =>
  value === null ? '-' : show(value);

function memory(gpu: GpuInfo): string {
  if (gpu.memoryTotal === null) return orDash(gpu.memoryUsed, formatBytes);
  return `${orDash(gpu.memoryUsed, formatBytes)} / ${formatBytes(gpu.memoryTotal)}`;
}

const figures = (gpu: GpuInfo): string[] => [
  orDash(gpu.utilization, (u) => `${Math.round(u * 100)}%`),
  memory(gpu),
  orDash(gpu.temperatureC, (t) => `${Math.round(t)}C`),
  orDash(gpu.powerW, (w) => `${Math.round(w)} W`),
  gpu.heldBy === null ? '-' : String(gpu.heldBy),
];

export function formatGpus(gpus: GpuInfo[]): string {
  if (gpus.length === 0) return 'no GPUs detected (nvidia-smi is not installed or reports none)';
  return table(
    ['GPU', 'NAME', 'UUID', 'UTIL', 'MEMORY', 'TEMP', 'POWER', 'HELD BY'],
    gpus.map((gpu) => [String(gpu.index), gpu.name, gpu.uuid, ...figures(gpu)]),
  );
}

export function formatGpuStats(stats: GpuStats): string {
  const time = new Date(stats.at).toISOString().slice(11, 19);
  const rows = stats.gpus.map((gpu) => [String(gpu.index), ...figures(gpu)]);
  return `${time}\n${table(['GPU', 'UTIL', 'MEMORY', 'TEMP', 'POWER', 'HELD BY'], rows)}`;
}

export function registerGpus(ctx: CliContext): void {
  const { program, print, withClient, io, globals, setExit } = ctx;
  const gpu = program.command('gpu').description('GPUs: what nvidia-smi reports, and which agent holds each');

  gpu
    .command('ls')
    .description('list the GPUs with their memory, utilization, temperature, power and holder')
    .action(
      withClient(async (client) => {
        const { gpus, warning } = await client.call('gpu.list', {});
        if (warning) io.err(`habitat: warning: ${warning}`);
        print(gpus, () => formatGpus(gpus));
      }),
    );

  gpu
    .command('stats')
    .description('follow GPU figures as the kernel polls them (Ctrl-C stops)')
    .option('-n, --count <n>', 'stop after this many samples', intArg('--count', 1))
    .action(
      withClient(async (client, flags: { count?: number }) => {
        const count = flags.count ?? Infinity;
        const show = (stats: GpuStats): void =>
          io.out(globals().json ? JSON.stringify(stats) : formatGpuStats(stats));
        const samples: GpuStats[] = [];
        // subscribed first, so no sample falls between the list and the stream
        const unsubscribe = client.subscribe('gpu.stats', (payload) => samples.push(payload as GpuStats));
        try {
          const { gpus, warning } = await client.call('gpu.list', {});
          if (warning) io.err(`habitat: warning: ${warning}`);
          const now = { at: new Date().toISOString(), gpus };
          if (gpus.length === 0) {
            // nothing will ever be polled: say so rather than wait forever
            print(now, () => formatGpus(gpus));
            return;
          }
          show(now);
          let shown = 1;
          await new Promise<void>((resolve) => {
            const drain = (): void => {
              for (const sample of samples.splice(0)) {
                if (shown >= count) break;
                show(sample);
                shown++;
              }
              if (shown >= count) stop();
            };
            const timer = setInterval(drain, 50);
            const stop = (): void => {
              clearInterval(timer);
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              resolve();
            };
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
            client.onConnectionChange((state) => {
              if (state === 'closed') stop();
            });
            drain();
          });
        } finally {
          unsubscribe();
        }
        setExit(EXIT.ok);
      }),
    );
}
