import type { Signal } from '../../shared/protocol/index.js';
import { nvidiaDeviceNodes } from '../gpu/index.js';
import { queueSignalTree } from '../os/index.js';
import { HostSandbox, type HostSandboxOptions } from './HostSandbox.js';
import { execPlan } from './hostExec.js';
import type {
  AgentSandbox,
  SandboxExecOptions,
  SandboxExecResult,
  SandboxMount,
  SandboxProvider,
  SandboxSpec,
  TerminalLaunch,
} from './types.js';

const OS_SIGNAL: Record<Signal, NodeJS.Signals> = {
  STOP: 'SIGSTOP',
  CONT: 'SIGCONT',
  TERM: 'SIGTERM',
  KILL: 'SIGKILL',
  INT: 'SIGINT',
  WINCH: 'SIGWINCH',
};

/** Signals a program may handle, which must not end the sandbox around it (see HostSandbox.launchers). */
const CATCHABLE: ReadonlySet<Signal> = new Set(['TERM', 'INT', 'WINCH']);

/** Agents as host processes (bubblewrap where installed): signals reach the shell's whole tree and every exec. */
class HostAgentSandbox implements AgentSandbox {
  readonly kind = 'host' as const;
  readonly containerId = null;
  /** Process groups of running execs, so that signals reach them as well as the shell. */
  private readonly execGroups = new Set<number>();

  constructor(
    private readonly backend: HostSandbox,
    private spec: SandboxSpec,
  ) {}

  addMount(mount: SandboxMount): void {
    const others = (this.spec.mounts ?? []).filter((m) => m.target !== mount.target);
    this.spec = { ...this.spec, mounts: [...others, mount] };
  }

  get isolation() {
    return this.backend.isolation;
  }

  terminal(argv: string[]): TerminalLaunch {
    return this.backend.plan(this.spec, argv);
  }

  async exec(argv: string[], options: SandboxExecOptions): Promise<SandboxExecResult> {
    let group: number | undefined;
    return execPlan(this.backend.plan(this.spec, argv), {
      ...options,
      track: (pgid) => {
        if (pgid) this.execGroups.add((group = pgid));
        else if (group) this.execGroups.delete(group);
      },
    });
  }

  async signal(
    signal: Signal,
    terminals: readonly number[],
    options: { endSandbox?: boolean } = {},
  ): Promise<void> {
    const os = OS_SIGNAL[signal];
    const spare = CATCHABLE.has(signal) && !options.endSandbox ? this.backend.launchers : undefined;
    // queued: the signals of every agent asked for in this turn share their walks of /proc
    const roots = [...terminals, ...this.execGroups];
    await Promise.all(roots.map((root) => queueSignalTree(root, os, spare)));
  }

  async destroy(): Promise<void> {
    const groups = [...this.execGroups];
    this.execGroups.clear();
    await Promise.all(groups.map((group) => queueSignalTree(group, 'SIGKILL')));
  }
}

export class HostProvider implements SandboxProvider {
  readonly kind = 'host' as const;
  readonly backend: HostSandbox;

  constructor(options: HostSandboxOptions = {}) {
    this.backend = new HostSandbox(options);
  }

  get isolation() {
    return this.backend.isolation;
  }

  get warning() {
    return this.backend.warning;
  }

  async create(spec: SandboxSpec): Promise<AgentSandbox> {
    // looked up once: every terminal and exec of the agent binds the same GPU nodes
    const devices = spec.devices ?? nvidiaDeviceNodes(spec.gpus ?? []);
    return new HostAgentSandbox(this.backend, { ...spec, devices });
  }
}
