import { HabitatError, type GpuDevice, type GpuRequest } from '../../shared/protocol/index.js';

/** The devices the allocator hands out: enough of GpuDevice to name them. */
export type AllocatableGpu = Pick<GpuDevice, 'index' | 'uuid'>;

/**
 * The GPU allocation table: which live agent holds which GPU, exclusively. It is memory only; the process records
 * carry each agent's UUIDs, and rebuild() restores the table from them after a restart.
 */
export class GpuAllocator {
  private devices: AllocatableGpu[] = [];
  /** pid → UUIDs it holds. */
  private readonly holders = new Map<number, string[]>();
  /** UUID → pid holding it. */
  private readonly heldBy = new Map<string, number>();

  constructor(devices: AllocatableGpu[] = []) {
    this.setDevices(devices);
  }

  /**
   * The GPUs that exist now (at boot, and whenever nvidia-smi answers again). Allocations stay: a GPU that
   * vanished and comes back is still held by its agent.
   */
  setDevices(devices: AllocatableGpu[]): void {
    this.devices = [...devices].sort((a, b) => a.index - b.index);
  }

  get total(): number {
    return this.devices.length;
  }

  /** GPUs that exist and nobody holds, by index. */
  free(): AllocatableGpu[] {
    return this.devices.filter((d) => !this.heldBy.has(d.uuid));
  }

  holderOf(uuid: string): number | null {
    return this.heldBy.get(uuid) ?? null;
  }

  held(pid: number): string[] {
    return [...(this.holders.get(pid) ?? [])];
  }

  /**
   * The UUIDs a request would get, without taking them: a count takes the lowest free indexes; ids (index or UUID)
   * name the GPUs. E_LIMIT when not enough are free, E_NOT_FOUND for a GPU that does not exist, E_INVALID for one
   * named twice.
   */
  pick(request: GpuRequest): string[] {
    if (this.devices.length === 0) {
      throw new HabitatError(
        'E_LIMIT',
        'no GPUs were detected on this host (nvidia-smi is not installed or reports none)',
        { requested: request, free: 0, total: 0 },
      );
    }
    const free = this.free();
    if (typeof request === 'number') {
      if (!Number.isInteger(request) || request < 1) {
        throw new HabitatError('E_INVALID', `a GPU count is a positive integer, not ${request}`);
      }
      if (request > free.length) {
        throw new HabitatError(
          'E_LIMIT',
          `${request} GPU${request === 1 ? '' : 's'} requested but ${this.freeText(free)}`,
          {
            requested: request,
            free: free.length,
            total: this.total,
          },
        );
      }
      return free.slice(0, request).map((d) => d.uuid);
    }
    const uuids = request.map((id) => this.resolve(id).uuid);
    if (new Set(uuids).size !== uuids.length) {
      throw new HabitatError('E_INVALID', `a GPU is named twice in ${request.join(', ')}`);
    }
    const busy = uuids.filter((uuid) => this.heldBy.has(uuid));
    if (busy.length > 0) {
      const who = busy.map((uuid) => `${this.describe(uuid)} is held by process ${this.heldBy.get(uuid)}`);
      throw new HabitatError('E_LIMIT', `${who.join('; ')}: ${this.freeText(free)}`, {
        requested: request,
        free: free.length,
        total: this.total,
      });
    }
    return uuids;
  }

  /** Gives the requested GPUs to pid and returns their UUIDs; a refusal leaves the table as it was. */
  allocate(pid: number, request: GpuRequest): string[] {
    if (this.holders.has(pid)) throw new HabitatError('E_CONFLICT', `process ${pid} already holds GPUs`);
    const uuids = this.pick(request);
    this.assign(pid, uuids);
    return [...uuids];
  }

  /** Frees what pid holds (nothing if it holds nothing) and returns those UUIDs. */
  release(pid: number): string[] {
    const uuids = this.holders.get(pid) ?? [];
    this.holders.delete(pid);
    for (const uuid of uuids) if (this.heldBy.get(uuid) === pid) this.heldBy.delete(uuid);
    return uuids;
  }

  /**
   * Replaces the table with what live agents hold (after a restart, from their records). A GPU claimed twice
   * stays with the first claimant; the conflicts are returned so the caller can log them.
   */
  rebuild(entries: Iterable<{ pid: number; gpus: readonly string[] }>): { pid: number; uuid: string }[] {
    this.holders.clear();
    this.heldBy.clear();
    const conflicts: { pid: number; uuid: string }[] = [];
    for (const { pid, gpus } of entries) {
      const mine = gpus.filter((uuid) => {
        if (!this.heldBy.has(uuid)) return true;
        conflicts.push({ pid, uuid });
        return false;
      });
      if (mine.length > 0) this.assign(pid, mine);
    }
    return conflicts;
  }

  private assign(pid: number, uuids: string[]): void {
    this.holders.set(pid, [...uuids]);
    for (const uuid of uuids) this.heldBy.set(uuid, pid);
  }

  private resolve(id: string): AllocatableGpu {
    const found = /^\d+$/.test(id)
      ? this.devices.find((d) => d.index === Number(id))
      : this.devices.find((d) => d.uuid.toLowerCase() === id.toLowerCase());
    if (found) return found;
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(id)) {
      throw new HabitatError('E_INVALID', `not a GPU index or UUID: ${JSON.stringify(id.slice(0, 80))}`);
    }
    const known = this.devices.map((d) => String(d.index)).join(', ');
    throw new HabitatError('E_NOT_FOUND', `no GPU ${id} on this host (its GPUs: ${known})`, { id });
  }

  private describe(uuid: string): string {
    const device = this.devices.find((d) => d.uuid === uuid);
    return device ? `GPU ${device.index}` : uuid;
  }

  private freeText(free: AllocatableGpu[]): string {
    const which = free.length > 0 ? ` (${free.map((d) => d.index).join(', ')})` : '';
    return `only ${free.length} of ${this.total} ${this.total === 1 ? 'is' : 'are'} free${which}`;
  }
}
