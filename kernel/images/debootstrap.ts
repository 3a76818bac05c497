import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';
import { abortedError } from './errors.js';

export interface DebootstrapOptions {
  target: string;
  mirror: string;
  suite: string;
  packages: readonly string[];
  signal?: AbortSignal;
  /** Every line debootstrap prints, as it prints it. */
  onLine?(line: string): void;
}

/** debootstrap lives in /usr/sbin, which a non-login PATH often lacks. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = [...path.split(delimiter).filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function requireDebootstrap(): string {
  const found = findExecutable('debootstrap');
  if (!found) {
    throw new HabitatError(
      'E_UNAVAILABLE',
      'debootstrap is not installed: `apt-get install debootstrap` (it builds the sandbox image from Debian ' +
        'packages where no registry is reachable)',
    );
  }
  if (process.getuid?.() !== 0) {
    throw new HabitatError(
      'E_UNAVAILABLE',
      'building the sandbox image with debootstrap needs root (it creates device nodes and chroots): run ' +
        '`habitat image build` against a kernel running as root, or where a registry is reachable ' +
        '`docker build -t habitat/sandbox:base resources/sandbox`',
    );
  }
  return found;
}

/**
 * Runs `debootstrap --variant=minbase` into target. It runs in its own process group, so an abort stops it and
 * the dpkg and chroot processes it started.
 */
export function runDebootstrap(options: DebootstrapOptions): Promise<void> {
  const { target, mirror, suite, packages, signal, onLine } = options;
  const executable = requireDebootstrap();
  const args = ['--variant=minbase', `--include=${packages.join(',')}`, suite, target, mirror];
  if (signal?.aborted) return Promise.reject(abortedError(signal, 'debootstrap'));

  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' },
    });
    const tail: string[] = [];
    const line = (text: string): void => {
      tail.push(text);
      if (tail.length > 20) tail.shift();
      onLine?.(text);
    };
    splitLines(child.stdout, line);
    splitLines(child.stderr, line);

    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      killGroup(child.pid, 'SIGTERM');
      // debootstrap traps TERM to unmount what it mounted; KILL only if it does not finish.
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5_000);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new HabitatError('E_UNAVAILABLE', `debootstrap could not start: ${error.message}`));
    });
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (signal?.aborted) return reject(abortedError(signal, 'debootstrap'));
      if (code === 0) return resolve();
      reject(debootstrapFailure(code, killedBy, tail, mirror));
    });
  });
}

function debootstrapFailure(
  code: number | null,
  killedBy: NodeJS.Signals | null,
  tail: string[],
  mirror: string,
): HabitatError {
  const lastError = [...tail].reverse().find((l) => l.startsWith('E:')) ?? tail.at(-1) ?? '';
  const how = code === null ? `killed by ${killedBy}` : `exit ${code}`;
  // A mirror that cannot be reached is a missing dependency, not a bug.
  const network = /Failed getting release file|Couldn't download|Failure trying to run|Temporary failure/i;
  return new HabitatError(
    network.test(lastError) ? 'E_UNAVAILABLE' : 'E_INTERNAL',
    `debootstrap failed (${how}) with mirror ${mirror}: ${lastError.replace(/^E:\s*/, '')}`,
    { log: tail },
  );
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, end).trimEnd();
      buffer = buffer.slice(end + 1);
      if (text) onLine(text);
    }
  });
  stream.on('end', () => {
    if (buffer.trim()) onLine(buffer.trimEnd());
    buffer = '';
  });
}

type Stage = 'retrieve' | 'extract' | 'unpack' | 'configure';

/** Where each stage starts, in percent of the debootstrap run; retrieval dominates on a slow mirror. */
const STAGE_START: Record<Stage, number> = { retrieve: 3, extract: 45, unpack: 55, configure: 72 };
const STAGE_END: Record<Stage, number> = { retrieve: 45, extract: 55, unpack: 72, configure: 99 };
const STAGE_OF: Record<string, Stage> = {
  Retrieving: 'retrieve',
  Validating: 'retrieve',
  Extracting: 'extract',
  Unpacking: 'unpack',
  Configuring: 'configure',
};
/** Stage markers and index files that debootstrap reports with the same verbs as packages. */
const NOT_PACKAGES = new Set(['InRelease', 'Release', 'Release.gpg', 'Packages', 'required', 'the']);
/** minbase plus the sandbox's packages is about this many; only the first stage needs a guess. */
const EXPECTED_PACKAGES = 110;

/**
 * Turns debootstrap's `I:` lines into a rough percent of its run. The package count is unknown until retrieval
 * ends, so retrieval is measured against a guess and the later stages against the real count.
 */
export class DebootstrapProgress {
  private readonly seen: Record<Stage, Set<string>> = {
    retrieve: new Set(),
    extract: new Set(),
    unpack: new Set(),
    configure: new Set(),
  };
  private percent = 0;

  /** expected: about how many packages the run installs (only retrieval, the first stage, needs a guess). */
  constructor(private readonly expected = EXPECTED_PACKAGES) {}

  /** The percent after this line (never decreasing), or undefined for lines that are not progress. */
  feed(line: string): number | undefined {
    const text = line.replace(/^I:\s*/, '').trim();
    if (/^Base system installed successfully/.test(text)) return (this.percent = 100);
    const match = /^(Retrieving|Validating|Extracting|Unpacking|Configuring)\s+(\S+)/.exec(text);
    const stage = match?.[1] ? STAGE_OF[match[1]] : undefined;
    if (!stage || !match?.[2]) return undefined;
    const name = match[2].replace(/\.\.\.$/, '');
    if (!NOT_PACKAGES.has(name)) this.seen[stage].add(name);
    const total = Math.max(
      stage === 'retrieve' ? this.expected : this.seen.retrieve.size,
      this.seen[stage].size + 1,
    );
    // Extraction covers only the required set, about four fifths of all packages.
    const expected = stage === 'extract' ? Math.max(1, Math.round(total * 0.8)) : total;
    const share = Math.min(1, this.seen[stage].size / expected);
    const value = STAGE_START[stage] + (STAGE_END[stage] - STAGE_START[stage]) * share;
    this.percent = Math.max(this.percent, Math.round(value));
    return this.percent;
  }
}
