import { cpus, freemem, hostname, totalmem, platform, arch, release } from 'node:os';
import type { SystemInfo, SystemStats } from '../shared/protocol/index.js';
import { ensureDataDir, type DataDirLayout } from './datadir/index.js';
import { EventBus } from './events/index.js';

export interface KernelOptions {
  dataDir: string;
  mode: 'desktop' | 'headless';
  version: string;
  /** How often system.stats is published while someone listens. */
  statsIntervalMs?: number;
}

/** Wires the kernel's subsystems together and stays small: each subsystem lives in its own folder. */
export class Kernel {
  readonly events = new EventBus();
  readonly layout: DataDirLayout;
  private readonly startedAt = Date.now();
  private state: 'running' | 'stopping' = 'running';
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastCpu = sampleCpu();

  private constructor(private readonly options: KernelOptions) {
    this.layout = ensureDataDir(options.dataDir);
  }

  static async open(options: KernelOptions): Promise<Kernel> {
    const kernel = new Kernel(options);
    kernel.statsTimer = setInterval(() => kernel.publishStats(), options.statsIntervalMs ?? 2000);
    kernel.statsTimer.unref();
    return kernel;
  }

  info(): SystemInfo {
    return {
      name: 'Habitat',
      version: this.options.version,
      mode: this.options.mode,
      kernel: {
        state: this.state,
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeMs: Date.now() - this.startedAt,
        pid: process.pid,
      },
      host: {
        hostname: hostname(),
        platform: platform(),
        arch: arch(),
        release: release(),
        node: process.versions.node,
        cpus: cpus().length,
        memoryTotal: totalmem(),
        memoryFree: freemem(),
      },
      dataDir: this.layout.root,
      agents: { total: 0, running: 0 },
    };
  }

  stats(): SystemStats {
    const now = sampleCpu();
    const busy = now.busy - this.lastCpu.busy;
    const total = now.total - this.lastCpu.total;
    this.lastCpu = now;
    return {
      at: new Date().toISOString(),
      uptimeMs: Date.now() - this.startedAt,
      cpu: total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0,
      memoryTotal: totalmem(),
      memoryFree: freemem(),
      kernelRss: process.memoryUsage.rss(),
      agents: { total: 0, running: 0 },
    };
  }

  async close(): Promise<void> {
    this.state = 'stopping';
    if (this.statsTimer) clearInterval(this.statsTimer);
  }

  private publishStats(): void {
    if (this.events.hasListeners('system.stats')) this.events.emit('system.stats', this.stats());
  }
}

function sampleCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}
