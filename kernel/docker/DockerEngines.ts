import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import { DEFAULT_SANDBOX_IMAGE } from '../images/index.js';
import type { AgentSandbox, SandboxProvider, SandboxSpec } from '../sandbox/index.js';
import type { ProcessRecord } from '../store/index.js';
import { DockerEngine } from './DockerEngine.js';
import { DockerProvider } from './DockerProvider.js';
import { DockerSandbox } from './DockerSandbox.js';
import { LOCAL_ENGINE, type EngineConfig } from './engineUrl.js';
import { containerName } from './labels.js';
import { removeManaged } from './reconcile.js';
import { WarmPool } from './WarmPool.js';

export interface DockerEnginesOptions {
  /** The local engine's client (the local socket, or DOCKER_HOST). */
  local: Dockerode;
  /** Other engines, by name. */
  engines?: EngineConfig[];
  instance: string;
  version: string;
  bootId: string;
  /** The kernel's homes folder (spares' homes live in it too: they are renamed into agents' homes). */
  homes: string;
  /** Spares per image on each engine that shares the kernel's view of the homes folder. */
  poolSize: number;
  /** Images whose pools fill at start (on the local engine). */
  prefill?: string[];
  onPoolError(engine: string, error: unknown): void;
  /**
   * A container of this kernel's that should be gone could not be removed (a busy filesystem, an engine timeout):
   * reported once per container, which is tried again every `removalRetryMs` and when the kernel closes. Default:
   * a line on stderr.
   */
  onRemovalFailed?(engine: string, container: string, error: unknown): void;
  /** How often containers that could not be removed are tried again (default a minute). */
  removalRetryMs?: number;
}

interface Engine {
  provider: DockerProvider;
  pool: WarmPool | undefined;
  /** Containers to remove that the engine refused so far, by id: their names and the last error. */
  leftovers: Map<string, { name: string; error: unknown }>;
}

const REMOVAL_RETRY_MS = 60_000;

/**
 * Every Docker engine this kernel runs agents on, as one sandbox provider: a spawn names its engine (the local one
 * by default), and each engine has its own sandbox and warm pool. One kernel so drives agents on several machines
 * at once.
 */
export class DockerEngines implements SandboxProvider {
  readonly kind = 'docker' as const;
  readonly isolation = 'container' as const;
  private readonly engines = new Map<string, Engine>();
  private retryTimer: ReturnType<typeof setInterval> | undefined;
  private retrying: Promise<void> | undefined;

  constructor(private readonly options: DockerEnginesOptions) {
    const configs: (EngineConfig & { client?: Dockerode })[] = [
      { name: LOCAL_ENGINE, endpoint: { socketPath: '' }, client: options.local },
      ...(options.engines ?? []),
    ];
    for (const config of configs) {
      if (this.engines.has(config.name))
        throw new HabitatError('E_INVALID', `two engines named ${config.name}`);
      const engine = config.client ? new DockerEngine(config.client) : DockerEngine.connect(config.endpoint);
      const sandbox = new DockerSandbox(engine, {
        instance: options.instance,
        version: options.version,
        ...(config.homes ? { homesOnEngine: { local: options.homes, engine: config.homes } } : {}),
        remote: config.name !== LOCAL_ENGINE, // its paths and GPUs are not this machine's
      });
      // a spare's home is renamed into place, which only an engine that sees this very folder can follow
      const pool = config.homes
        ? undefined
        : new WarmPool(sandbox, {
            size: options.poolSize,
            dir: join(options.homes, '.spares', config.name),
            bootId: options.bootId,
            defaultImage: DEFAULT_SANDBOX_IMAGE,
            prefill: config.name === LOCAL_ENGINE ? options.prefill : undefined,
            onError: (error) => options.onPoolError(config.name, error),
          });
      this.engines.set(config.name, {
        provider: new DockerProvider(sandbox, options.bootId, pool),
        pool,
        leftovers: new Map(),
      });
    }
  }

  /** Says which containers could not be removed and are still being tried (for the kernel's warnings). */
  get warning(): string | undefined {
    const stuck = [...this.engines].flatMap(([engine, { leftovers }]) =>
      [...leftovers].map(
        ([id, { name, error }]) => `${name || id.slice(0, 12)} on ${engine} (${errorText(error)})`,
      ),
    );
    if (stuck.length === 0) return undefined;
    return `${stuck.length} Docker container(s) of this kernel could not be removed and are tried again: ${stuck.join('; ')}`;
  }

  get names(): string[] {
    return [...this.engines.keys()];
  }

  get(name: string = LOCAL_ENGINE): DockerProvider {
    const engine = this.engines.get(name);
    if (!engine) {
      throw new HabitatError(
        'E_NOT_FOUND',
        `no Docker engine named ${name}; this kernel has ${this.names.join(', ')} (see habitat serve --docker-engine)`,
      );
    }
    return engine.provider;
  }

  /** The warm pool of an engine (undefined for one that does not share the homes folder). */
  pool(name: string = LOCAL_ENGINE): WarmPool | undefined {
    return this.engines.get(name)?.pool;
  }

  check(spec: Pick<SandboxSpec, 'engine'>): void {
    this.get(spec.engine);
  }

  create(spec: SandboxSpec): Promise<AgentSandbox> {
    return this.get(spec.engine).create(spec);
  }

  /**
   * On boot, engine by engine: containers of live agents still running are re-attached, every other container of
   * this kernel's is removed. An engine that does not answer is skipped (its agents are then marked lost). A
   * container that cannot be re-attached is removed too (its agent is marked lost). A container that cannot be
   * removed is reported and tried again later: it never stops the boot.
   */
  async reconcile(
    records: ProcessRecord[],
    adopt: (record: ProcessRecord, sandbox: AgentSandbox) => Promise<unknown>,
    onError: (record: ProcessRecord, error: unknown) => void,
  ): Promise<void> {
    for (const [name, { provider }] of this.engines) {
      try {
        await provider.sandbox.engine.ping();
      } catch {
        continue;
      }
      const candidates = records.filter(
        (r) =>
          r.sandbox.kind === 'docker' && (r.sandbox.engine ?? LOCAL_ENGINE) === name && r.sandbox.containerId,
      );
      const live = new Set(candidates.map((r) => r.pid));
      const { reattached, failed } = await provider.sandbox.reconcile({
        bootId: this.options.bootId,
        isLive: (pid) => live.has(pid),
        liveContainers: new Set(candidates.map((r) => r.sandbox.containerId!)),
      });
      for (const { id, name: container, error } of failed) this.removalFailed(name, id, container, error);
      for (const id of reattached) {
        const record = candidates.find((r) => r.sandbox.containerId === id);
        if (!record) continue;
        try {
          await adopt(record, await provider.attach(id, record.pid));
        } catch (error) {
          onError(record, error);
          // its agent is marked lost, and reconciliation kept the container for it: nothing else would remove it
          const container = containerName(this.options.instance, record.pid);
          await removeManaged(provider.sandbox.engine, { id, name: container }).catch((failure: unknown) =>
            this.removalFailed(name, id, container, failure),
          );
        }
      }
    }
  }

  async startPools(): Promise<void> {
    for (const { pool } of this.engines.values()) await pool?.start();
  }

  /** Removes the spares, and makes a last try at the containers that could not be removed. */
  async closePools(): Promise<void> {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    await Promise.allSettled([...this.engines.values()].map(({ pool }) => pool?.close()));
    await this.retryRemovals();
  }

  /** Tries again to remove every container the engines refused so far; those removed are forgotten. */
  retryRemovals(): Promise<void> {
    this.retrying ??= Promise.all(
      [...this.engines.values()].map(({ provider, leftovers }) =>
        Promise.all(
          [...leftovers].map(async ([id, leftover]) => {
            try {
              await removeManaged(provider.sandbox.engine, { id, name: leftover.name });
              leftovers.delete(id);
            } catch (error) {
              leftover.error = error;
            }
          }),
        ),
      ),
    ).then(() => {
      this.retrying = undefined;
      if (this.retryTimer && !this.hasLeftovers()) {
        clearInterval(this.retryTimer);
        this.retryTimer = undefined;
      }
    });
    return this.retrying;
  }

  private removalFailed(engine: string, id: string, name: string, error: unknown): void {
    const { leftovers } = this.engines.get(engine)!;
    if (leftovers.has(id)) return;
    leftovers.set(id, { name, error });
    if (this.options.onRemovalFailed) this.options.onRemovalFailed(engine, id, error);
    else console.error(`[kernel] could not remove container ${name || id} on ${engine}: ${errorText(error)}`);
    this.retryTimer ??= setInterval(
      () => void this.retryRemovals(),
      this.options.removalRetryMs ?? REMOVAL_RETRY_MS,
    );
    this.retryTimer.unref();
  }

  private hasLeftovers(): boolean {
    return [...this.engines.values()].some(({ leftovers }) => leftovers.size > 0);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
