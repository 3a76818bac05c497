export interface PtyDisposable {
  dispose(): void;
}

/** The part of node-pty's IPty that a terminal session uses: small, so tests and sandboxes can supply their own. */
export interface PtyProcess {
  /** The child's pid; the child is a session leader, so this is also its process group id. */
  readonly pid: number;
  /** Output, decoded from UTF-8 with a streaming decoder (a character never straddles two events). */
  onData(listener: (data: string) => void): PtyDisposable;
  /**
   * The same output as it was read, undecoded (a character's bytes may straddle two events), where the spawner can
   * tell it: for a consumer that decodes once per batch rather than once per read. Listening here costs the spawner
   * no decoding.
   */
  onBytes?(listener: (data: Uint8Array) => void): PtyDisposable;
  /** Fires once the child has exited, after its last output has been delivered through onData. */
  onExit(listener: (event: { exitCode: number; signal?: number }) => void): PtyDisposable;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Stops reading output, so the child blocks once the kernel's buffer is full. */
  pause(): void;
  resume(): void;
  kill(signal?: string): void;
  /**
   * Whether the program (or one it started) is blocked reading the terminal, for spawners whose programs have no
   * host PID to inspect (a container's exec); undefined where that cannot be told.
   */
  readingInput?(): Promise<boolean | undefined>;
}

export interface PtySpawnOptions {
  cols: number;
  rows: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** $TERM for the child. */
  name: string;
}

/** Starts a program on a new pseudo-terminal. The kernel passes `bwrap` with its arguments for sandboxed ones. */
export interface PtySpawner {
  spawn(file: string, args: readonly string[], options: PtySpawnOptions): PtyProcess;
}

// kept here too for modules that import the default from this file
export { nodePtySpawner } from './nodePtySpawner.js';
