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
}

interface Engine {
  provider: DockerProvider;
  pool: WarmPool | undefined;
}

/**
 * Every Docker engine this kernel runs agents on, as one sandbox provider: a spawn names its engine (the local one
 * by default), and each engine has its own sandbox and warm pool. One kernel so drives agents on several machines
 * at once.
 */
export class DockerEngines implements SandboxProvider {
  readonly kind = 'docker' as const;
  readonly isolation = 'container' as const;
  readonly warning = undefined;
  private readonly engines = new Map<string, Engine>();

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
      this.engines.set(config.name, { provider: new DockerProvider(sandbox, options.bootId, pool), pool });
    }
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
   * this kernel's is removed. An engine that does not answer is skipped (its agents are then marked lost).
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
      const { reattached } = await provider.sandbox.reconcile({
        bootId: this.options.bootId,
        isLive: (pid) => live.has(pid),
        liveContainers: new Set(candidates.map((r) => r.sandbox.containerId!)),
      });
      for (const id of reattached) {
        const record = candidates.find((r) => r.sandbox.containerId === id);
        if (!record) continue;
        try {
          await adopt(record, await provider.attach(id, record.pid));
        } catch (error) {
          onError(record, error);
        }
      }
    }
  }

  async startPools(): Promise<void> {
    for (const { pool } of this.engines.values()) await pool?.start();
  }

  async closePools(): Promise<void> {
    await Promise.allSettled([...this.engines.values()].map(({ pool }) => pool?.close()));
  }
}
