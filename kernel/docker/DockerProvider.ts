import { HabitatError, type Signal } from '../../shared/protocol/index.js';
import type {
  AgentSandbox,
  SandboxExecOptions,
  SandboxExecResult,
  SandboxProgram,
  SandboxProvider,
  SandboxSpec,
  TerminalLaunch,
} from '../sandbox/index.js';
import type { ContainerAgent } from './ContainerAgent.js';
import { HOME_IN_CONTAINER, type ContainerSpec } from './containerConfig.js';
import type { DockerSandbox } from './DockerSandbox.js';
import type { WarmPool } from './WarmPool.js';

/** One agent's container as the process table drives it (kernel/docker/README.md has the table of calls). */
class ContainerAgentSandbox implements AgentSandbox {
  readonly kind = 'docker' as const;
  readonly isolation = 'container' as const;

  constructor(readonly agent: ContainerAgent) {}

  get containerId(): string {
    return this.agent.id;
  }

  terminal(argv: string[]): TerminalLaunch {
    const [file = 'bash', ...args] = argv;
    return { spawner: this.agent.ptySpawner(), file, args, env: {}, cwd: HOME_IN_CONTAINER };
  }

  exec(argv: string[], options: SandboxExecOptions): Promise<SandboxExecResult> {
    return this.agent.exec(argv, options);
  }

  spawn(argv: string[], env: Record<string, string>): SandboxProgram {
    return this.agent.spawn(argv, env);
  }

  async signal(signal: Signal): Promise<void> {
    switch (signal) {
      case 'STOP':
        return this.agent.pause(); // the cgroup freezer: nothing in the container escapes
      case 'CONT':
        return this.agent.unpause();
      case 'TERM':
        await this.agent.unpause();
        await this.agent.signal('SIGTERM');
        return;
      case 'KILL':
        return this.agent.kill();
      case 'INT':
      case 'WINCH':
        await this.agent.signal(`SIG${signal}`);
        return;
    }
  }

  destroy(): Promise<void> {
    return this.agent.remove();
  }
}

/** Docker's "could not select device driver" says what failed, not what to install. */
function withGpuHint(error: unknown): unknown {
  if (!(error instanceof HabitatError) || !/device driver/i.test(error.message)) return error;
  const hint = 'GPU containers need the NVIDIA Container Toolkit on the Docker host';
  return new HabitatError(error.code, `${error.message} (${hint})`, error.details);
}

/** Container sandboxes as a SandboxProvider: create() makes and starts the agent's container. */
export class DockerProvider implements SandboxProvider {
  readonly kind = 'docker' as const;
  readonly isolation = 'container' as const;
  readonly warning = undefined;

  constructor(
    readonly sandbox: DockerSandbox,
    private readonly bootId: string,
    /** Ready containers: a spawn that fits one takes it instead of waiting for a container to be created. */
    readonly pool?: WarmPool,
  ) {}

  async create(spec: SandboxSpec): Promise<AgentSandbox> {
    const containerSpec: ContainerSpec = {
      pid: spec.pid,
      bootId: this.bootId,
      home: spec.home,
      network: spec.network,
      image: spec.image,
      limits: {
        memoryBytes: spec.limits?.memoryBytes,
        cpus: spec.limits?.cpus,
        pids: spec.limits?.processes,
        openFiles: spec.limits?.openFiles,
      },
      env: spec.env,
      gpus: spec.gpus,
      mounts: spec.mounts,
    };
    // extra environment is fixed at creation, so an agent that brings its own is always made to measure
    const spare = spec.env === undefined ? await this.pool?.claim(containerSpec) : undefined;
    if (spare) return new ContainerAgentSandbox(spare);
    await this.sandbox.engine.ping();
    const agent = await this.sandbox.create(containerSpec);
    try {
      await agent.start();
    } catch (error) {
      await agent.remove().catch(() => {});
      throw spec.gpus?.length ? withGpuHint(error) : error;
    }
    return new ContainerAgentSandbox(agent);
  }

  /** The sandbox of an agent whose container outlived its kernel (its PID, for a claimed spare's sake). */
  async attach(containerId: string, pid: number): Promise<AgentSandbox> {
    return new ContainerAgentSandbox(await this.sandbox.attach(containerId, pid));
  }
}
