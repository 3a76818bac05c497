import { HabitatError, type Signal } from '../../shared/protocol/index.js';
import type { PtyProcess, PtySpawner } from '../pty/index.js';
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

/** SIGTERM's number: a terminal whose sandbox a TERM ended reports 128 + it, as a shell does. */
const SIGTERM = 15;

/** One agent's container as the process table drives it (kernel/docker/README.md has the table of calls). */
class ContainerAgentSandbox implements AgentSandbox {
  readonly kind = 'docker' as const;
  readonly isolation = 'container' as const;
  /** A TERM ended the container (endSandbox): its terminals' programs were killed with it, and say TERM did it. */
  private endedByTerm = false;

  constructor(readonly agent: ContainerAgent) {}

  get containerId(): string {
    return this.agent.id;
  }

  terminal(argv: string[]): TerminalLaunch {
    const [file = 'bash', ...args] = argv;
    return { spawner: this.spawner(), file, args, env: {}, cwd: HOME_IN_CONTAINER };
  }

  exec(argv: string[], options: SandboxExecOptions): Promise<SandboxExecResult> {
    return this.agent.exec(argv, options);
  }

  spawn(argv: string[], env: Record<string, string>): SandboxProgram {
    return this.agent.spawn(argv, env);
  }

  async signal(
    signal: Signal,
    _terminals: readonly number[] = [],
    options: { endSandbox?: boolean } = {},
  ): Promise<void> {
    switch (signal) {
      case 'STOP':
        return this.agent.pause(); // the cgroup freezer: nothing in the container escapes
      case 'CONT':
        return this.agent.unpause();
      case 'TERM':
        await this.agent.unpause();
        if (options.endSandbox) return this.endByTerm();
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

  /**
   * TERM to an agent with no loop to let finish its step (a shell agent): as a host sandbox's launcher dies of the
   * TERM and takes its namespace along, the programs get the TERM and the container ends right after, and its
   * terminals exit as killed by TERM (143). An interactive shell would ignore the TERM, and the agent wait for the
   * KILL at the end of the grace period.
   */
  private async endByTerm(): Promise<void> {
    this.endedByTerm = true;
    try {
      await this.agent.signal('SIGTERM');
    } finally {
      await this.agent.kill();
    }
  }

  /** The container's terminals, whose exit says TERM once a TERM ended the container. */
  private spawner(): PtySpawner {
    const spawner = this.agent.ptySpawner();
    return {
      spawn: (file, args, options) => {
        const pty = spawner.spawn(file, args, options);
        return withExit(pty, (exit) =>
          this.endedByTerm ? { exitCode: 128 + SIGTERM, signal: SIGTERM } : exit,
        );
      },
    };
  }
}

type PtyExit = Parameters<Parameters<PtyProcess['onExit']>[0]>[0];

/** The same terminal, its exit as `map` tells it. */
function withExit(pty: PtyProcess, map: (exit: PtyExit) => PtyExit): PtyProcess {
  return {
    get pid() {
      return pty.pid;
    },
    onData: (listener) => pty.onData(listener),
    ...(pty.onBytes ? { onBytes: (listener: (data: Uint8Array) => void) => pty.onBytes!(listener) } : {}),
    onExit: (listener) => pty.onExit((exit) => listener(map(exit))),
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    kill: (signal) => pty.kill(signal),
    ...(pty.readingInput ? { readingInput: () => pty.readingInput!() } : {}),
  };
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
