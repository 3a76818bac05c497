import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { bubblewrapArgs, detectBubblewrap, HOME_INSIDE } from './bubblewrap.js';
import { scrubbedEnvironment } from './environment.js';
import { prlimitArgs } from './limits.js';
import type { Isolation, LaunchPlan, SandboxBackend, SandboxSpec } from './types.js';

export interface HostSandboxOptions {
  /** Path of bwrap; undefined to detect, null to run without it (tests of the fallback). */
  bubblewrap?: string | null;
  prlimit?: string;
}

/**
 * Runs agents on the host: under bubblewrap where it is installed, otherwise as plain child processes in their home
 * with a scrubbed environment (and a loud warning, surfaced in system.info).
 */
export class HostSandbox implements SandboxBackend {
  readonly kind = 'host' as const;
  readonly isolation: Isolation;
  readonly warning: string | undefined;
  /**
   * Commands of the processes that launch an agent's programs rather than being them (bwrap): a signal its programs
   * may catch (TERM, INT, WINCH) passes them over, since they would die of it and take the whole sandbox with them.
   */
  readonly launchers: ReadonlySet<string>;
  private readonly bwrap: string | undefined;
  private readonly prlimit: string | undefined;

  constructor(options: HostSandboxOptions = {}) {
    this.bwrap = options.bubblewrap === null ? undefined : (options.bubblewrap ?? detectBubblewrap());
    const prlimit = options.prlimit ?? '/usr/bin/prlimit';
    this.prlimit = existsSync(prlimit) ? prlimit : undefined;
    this.isolation = this.bwrap ? 'bubblewrap' : 'none';
    // /proc names a process by its file's name, cut to 15 characters
    this.launchers = new Set(this.bwrap ? [basename(this.bwrap).slice(0, 15)] : []);
    this.warning = this.bwrap
      ? undefined
      : 'bubblewrap is not installed: host agents run as plain processes with full access to your files and network. Install bubblewrap (apt-get install bubblewrap) for isolation.';
  }

  plan(spec: SandboxSpec, argv: string[]): LaunchPlan {
    const home = this.bwrap ? HOME_INSIDE : spec.home;
    const env = scrubbedEnvironment(spec, home);
    const inner = this.bwrap ? [this.bwrap, ...bubblewrapArgs(spec), '--', ...argv] : argv;
    const wrapped = this.prlimit ? [this.prlimit, ...prlimitArgs(spec.limits), '--', ...inner] : inner;
    const [file, ...args] = wrapped;
    return { file: file!, args, env, cwd: spec.home };
  }
}
