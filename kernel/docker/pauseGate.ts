import type Dockerode from 'dockerode';

interface ContainerGate {
  /** Exec starts (create and start) in flight. */
  starting: number;
  /** Whoever waits for `starting` to reach 0 (a pause). */
  idle: (() => void) | undefined;
  /** Started execs whose process may not run yet: Docker answers an exec start before runc has started it. */
  unconfirmed: Set<Dockerode.Exec>;
  /** The pause in progress: exec starts asked meanwhile wait for its end. */
  pausing: Promise<void> | undefined;
}

/**
 * Keeps a container's pause from falling inside an exec's start. runc starts an exec through a helper that joins
 * the container's cgroup; frozen there by a pause, it never finishes, runc waits for it forever and holds the
 * container's lock in containerd, so every later call on that container (unpause, kill, remove) hangs and the engine
 * is wedged for it (seen with dockerd 20.10 and runc 1.1.5, `runc init` left in state D; writing THAWED to the
 * container's freezer.state freed it). So a pause waits until every exec start in flight has its process running,
 * and exec starts asked while a pause is on its way wait for it to end (and then meet a paused container: 409).
 */
export class PauseGate {
  private readonly containers = new Map<string, ContainerGate>();

  /** Runs an exec's start (create + start) outside any pause of the container; `exec` is what it started. */
  async startExec<T extends { exec: Dockerode.Exec }>(
    containerId: string,
    start: () => Promise<T>,
  ): Promise<T> {
    let gate = this.gate(containerId);
    while (gate.pausing) {
      await gate.pausing.catch(() => undefined);
      gate = this.gate(containerId);
    }
    gate.starting++; // synchronously with the call: a pause asked after this waits for it
    try {
      const started = await start();
      gate.unconfirmed.add(started.exec);
      return started;
    } finally {
      gate.starting--;
      if (gate.starting === 0) gate.idle?.();
      this.forget(containerId, gate);
    }
  }

  /**
   * Pauses once no exec is starting: every start in flight has ended and every started exec's process runs or has
   * ended (`started` resolves when it does: polling the exec, with a deadline). Pauses of one container run in turn.
   */
  async pause<T>(
    containerId: string,
    pause: () => Promise<T>,
    started: (exec: Dockerode.Exec) => Promise<void>,
  ): Promise<T> {
    let gate = this.gate(containerId);
    while (gate.pausing) {
      await gate.pausing.catch(() => undefined);
      gate = this.gate(containerId);
    }
    let done!: () => void;
    gate.pausing = new Promise<void>((resolve) => (done = resolve));
    try {
      if (gate.starting > 0) await new Promise<void>((resolve) => (gate.idle = resolve));
      gate.idle = undefined;
      const execs = [...gate.unconfirmed];
      await Promise.all(execs.map((exec) => started(exec).catch(() => undefined)));
      for (const exec of execs) gate.unconfirmed.delete(exec);
      return await pause();
    } finally {
      gate.pausing = undefined;
      done();
      this.forget(containerId, gate);
    }
  }

  /** The exec has ended (its connection closed): its process is past its start. */
  settled(containerId: string, exec: Dockerode.Exec): void {
    const gate = this.containers.get(containerId);
    if (!gate) return;
    gate.unconfirmed.delete(exec);
    this.forget(containerId, gate);
  }

  /** The container is gone: nothing of it is kept. */
  drop(containerId: string): void {
    const gate = this.containers.get(containerId);
    if (gate && gate.starting === 0 && !gate.pausing) this.containers.delete(containerId);
    else gate?.unconfirmed.clear();
  }

  private gate(containerId: string): ContainerGate {
    let gate = this.containers.get(containerId);
    if (!gate) {
      gate = { starting: 0, idle: undefined, unconfirmed: new Set(), pausing: undefined };
      this.containers.set(containerId, gate);
    }
    return gate;
  }

  /** Unconfirmed execs are kept until the next pause looks at them; an idle gate with none goes. */
  private forget(containerId: string, gate: ContainerGate): void {
    if (gate.starting === 0 && !gate.pausing && gate.unconfirmed.size === 0)
      this.containers.delete(containerId);
  }
}
