import {
  HabitatError,
  type FsEncoding,
  type FsEntry,
  type FsListResult,
  type FsReadResult,
} from '../../../shared/protocol/index.js';
import type { AgentFiles, AgentHost, ExecResult, HostExecOptions } from '../types.js';

/**
 * An AgentHost without a kernel: files in a Map (home-relative paths, the kernel's error codes), and commands
 * answered by a function. For tool and loop tests that must not depend on a sandbox.
 */
export class FakeHost implements AgentHost {
  readonly homeAliases = ['/home/agent'];
  readonly files: MemoryFiles;
  readonly commands: { argv: string[]; options: HostExecOptions }[] = [];

  constructor(
    readonly pid = 1,
    private readonly run: (
      command: string,
      options: HostExecOptions,
    ) => Promise<Partial<ExecResult>> | Partial<ExecResult> = () => ({}),
  ) {
    this.files = new MemoryFiles();
  }

  async exec(argv: string[], options: HostExecOptions): Promise<ExecResult> {
    this.commands.push({ argv, options });
    const partial = await this.run(argv.at(-1) ?? '', options);
    return {
      exitCode: 0,
      signal: null,
      stdout: '',
      stderr: '',
      truncated: false,
      timedOut: false,
      durationMs: 1,
      ...partial,
    };
  }
}

export class MemoryFiles implements AgentFiles {
  /** The files' bytes, as the kernel keeps them: a file need not be UTF-8. */
  readonly bytes = new Map<string, Buffer>();
  readonly dirs = new Set<string>(['.']);

  /** The files as UTF-8 text (what tests usually compare). */
  get data(): ReadonlyMap<string, string> {
    return new Map([...this.bytes].map(([key, bytes]) => [key, bytes.toString('utf8')]));
  }

  async read(
    path: string,
    options: { encoding?: FsEncoding; offset?: number; length?: number } = {},
  ): Promise<FsReadResult> {
    const key = norm(path);
    const bytes = this.bytes.get(key);
    if (bytes === undefined)
      throw new HabitatError(this.dirs.has(key) ? 'E_CONFLICT' : 'E_NOT_FOUND', `~/${key} does not exist`);
    const encoding = options.encoding ?? 'utf8';
    const offset = Math.min(options.offset ?? 0, bytes.length);
    const slice = bytes.subarray(offset, options.length === undefined ? undefined : offset + options.length);
    return {
      path: key,
      content: slice.toString(encoding),
      encoding,
      size: bytes.length,
      offset,
      length: slice.length,
      truncated: offset + slice.length < bytes.length,
    };
  }

  async write(
    path: string,
    content: string | Uint8Array,
    options: { encoding?: FsEncoding; createParents?: boolean } = {},
  ): Promise<FsEntry> {
    const key = norm(path);
    const parent = parentOf(key);
    if (!this.dirs.has(parent)) {
      if (!options.createParents) throw new HabitatError('E_NOT_FOUND', `~/${parent} does not exist`);
      await this.mkdir(parent, { recursive: true });
    }
    this.bytes.set(
      key,
      typeof content === 'string' ? Buffer.from(content, options.encoding ?? 'utf8') : Buffer.from(content),
    );
    return this.stat(key);
  }

  async list(path = '.'): Promise<FsListResult> {
    const key = norm(path);
    if (!this.dirs.has(key)) throw new HabitatError('E_NOT_FOUND', `~/${key} does not exist`);
    const names = new Set<string>();
    for (const p of [...this.bytes.keys(), ...this.dirs]) if (p !== key && parentOf(p) === key) names.add(p);
    const entries = await Promise.all([...names].sort().map((p) => this.stat(p)));
    return { path: key, entries, truncated: false };
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<FsEntry> {
    const key = norm(path);
    const parts = key.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!this.dirs.has(dir) && i < parts.length && !options.recursive)
        throw new HabitatError('E_NOT_FOUND', `~/${dir} does not exist`);
      this.dirs.add(dir);
    }
    return this.stat(key);
  }

  async stat(path: string): Promise<FsEntry> {
    const key = norm(path);
    const content = this.bytes.get(key);
    if (content === undefined && !this.dirs.has(key))
      throw new HabitatError('E_NOT_FOUND', `~/${key} does not exist`);
    return {
      name: key.split('/').pop()!,
      path: key,
      type: content === undefined ? 'dir' : 'file',
      size: content === undefined ? 0 : content.length,
      mtime: new Date(0).toISOString(),
      mode: 0o644,
    };
  }
}

function norm(path: string): string {
  if (path.startsWith('/')) throw new HabitatError('E_DENIED', 'absolute paths are refused');
  const parts: string[] = [];
  for (const part of path.replace(/^~\/?/, '').split('/')) {
    if (part === '..') {
      if (!parts.length) throw new HabitatError('E_DENIED', `'${path}' climbs out of the agent's home`);
      parts.pop();
    } else if (part && part !== '.') parts.push(part);
  }
  return parts.join('/') || '.';
}

function parentOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i === -1 ? '.' : key.slice(0, i);
}
