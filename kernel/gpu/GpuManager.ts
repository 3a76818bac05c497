import type { GpuDevice, GpuInfo, GpuList } from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import { queryGpus, type Detection } from './detect.js';
import { GpuAllocator } from './GpuAllocator.js';

export interface GpuOptions {
  /** The nvidia-smi to run: a path, or a name looked up on PATH (default 'nvidia-smi'). */
  nvidiaSmi?: string;
  /** How often gpu.stats is polled while anyone listens (default 2,000 ms). */
  pollMs?: number;
  /** How long one nvidia-smi call may take (default 5,000 ms). */
  timeoutMs?: number;
}

/**
 * The kernel's GPU subsystem: what nvidia-smi reports, the allocation table, and gpu.stats while anyone listens.
 * A machine without nvidia-smi simply has no GPUs: nothing is logged and nothing is polled.
 */
export class GpuManager {
  readonly allocator = new GpuAllocator();
  private devices: GpuDevice[] = [];
  private status: Detection['status'] = 'missing';
  private warning: string | null = null;
  private lastLogged: string | undefined;
  private inflight: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly events: EventBus,
    private readonly options: GpuOptions = {},
  ) {}

  /** Asks nvidia-smi what is there (at boot); later answers keep the inventory current. */
  detect(): Promise<void> {
    return this.refresh();
  }

  /** Fresh figures for every GPU, and the agent holding each. */
  async list(): Promise<GpuList> {
    await this.refresh();
    return { gpus: this.infos(), warning: this.warning };
  }

  /** The last known figures, without asking nvidia-smi. */
  snapshot(): GpuInfo[] {
    return this.infos();
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    // no nvidia-smi: nothing to poll until someone asks for gpu.list again
    if (this.status === 'missing' || !this.events.hasListeners('gpu.stats')) return;
    await this.refresh();
    if (this.status === 'ok' && this.devices.length > 0 && this.events.hasListeners('gpu.stats')) {
      this.events.emit('gpu.stats', { at: new Date().toISOString(), gpus: this.infos() });
    }
  }

  /** One nvidia-smi call at a time: concurrent callers share it. */
  private refresh(): Promise<void> {
    this.inflight ??= queryGpus(this.options)
      .then((found) => this.apply(found))
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private apply(found: Detection): void {
    this.status = found.status;
    if (found.status === 'failed') {
      // keep the last known GPUs: a transient failure must not make held GPUs vanish or free ones unusable
      this.warning = found.error.message;
      if (found.error.message !== this.lastLogged) console.error(`[gpu] ${found.error.message}`);
      this.lastLogged = found.error.message;
      return;
    }
    this.warning = null;
    this.lastLogged = undefined;
    this.devices = found.devices;
    this.allocator.setDevices(found.devices);
  }

  private infos(): GpuInfo[] {
    return this.devices.map((device) => ({ ...device, heldBy: this.allocator.holderOf(device.uuid) }));
  }
}
