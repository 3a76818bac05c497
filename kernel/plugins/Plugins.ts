import { randomBytes } from 'node:crypto';
import {
  describeIssues,
  HabitatError,
  pluginParametersSchema,
  type PluginInfo,
  type PluginList,
  type PluginRunResult,
} from '../../shared/protocol/index.js';
import type { Disposable, EventBus } from '../events/index.js';
import type { AgentFs, FsWatch } from '../fs/index.js';
import type { SandboxExecResult } from '../sandbox/index.js';
import { loadPlugins, PLUGINS_DIR } from './load.js';
import { interpret, runnerArgv } from './runner.js';
import { readPluginSource } from './source.js';

/** What plugins need of the kernel: an agent's safe file view, and commands in its sandbox. */
export interface PluginHost {
  fs(pid: number): AgentFs;
  exec(
    pid: number,
    argv: string[],
    options: { timeoutMs: number; maxOutputBytes: number; input?: string },
  ): Promise<SandboxExecResult>;
}

export interface PluginsOptions {
  host: PluginHost;
  /** plugin.changed out; process.changed in (an agent that ended is forgotten). */
  events?: EventBus;
  /** The longest a call may run, whatever its manifest says. */
  maxTimeoutMs?: number;
  /** Bytes kept of a handler's stdout and of its stderr. */
  maxOutputBytes?: number;
}

interface Watched {
  list: Promise<PluginList> | undefined;
  watch: Promise<FsWatch | undefined> | undefined;
}

/**
 * Plugins found in each agent's ~/.config/plugins/<name>/manifest.json. Lists are cached per agent and loaded
 * again when files under the folder change (a watch starts with the first list). A handler runs only inside the
 * agent's own sandbox, through the runner, as the agent, with a timeout and an output cap: never in the kernel.
 */
export class Plugins {
  private readonly agents = new Map<number, Watched>();
  private readonly subscription: Disposable | undefined;

  constructor(private readonly options: PluginsOptions) {
    this.subscription = options.events?.on('process.changed', (payload) => {
      const { pid, state } = payload as { pid: number; state: string };
      if (state === 'zombie' || state === 'dead') this.forget(pid);
    });
  }

  list(pid: number): Promise<PluginList> {
    const known = this.agents.get(pid) ?? { list: undefined, watch: undefined };
    this.agents.set(pid, known);
    known.list ??= this.load(pid);
    return known.list;
  }

  /** Copies a plugin folder from the kernel host into the home; the manifest is validated first. */
  async install(pid: number, source: string, replace = false): Promise<PluginInfo> {
    const plugin = await readPluginSource(source);
    const files = this.options.host.fs(pid);
    const dest = `${PLUGINS_DIR}/${plugin.manifest.name}`;
    const exists = await files.stat(dest).then(
      () => true,
      () => false,
    );
    if (exists && !replace)
      throw new HabitatError(
        'E_CONFLICT',
        `plugin ${plugin.manifest.name} is installed (replace to update it)`,
      );
    // staged beside the others under a hidden name (skipped by discovery), then moved into place at once
    const staging = `${PLUGINS_DIR}/.install-${randomBytes(6).toString('hex')}`;
    await files.mkdir(staging, { recursive: true });
    try {
      for (const dir of plugin.dirs) await files.mkdir(`${staging}/${dir}`);
      for (const file of plugin.files) await files.write(`${staging}/${file.path}`, file.data);
      if (exists) await files.delete(dest, { recursive: true });
      await files.move(staging, dest);
    } catch (error) {
      await files.delete(staging, { recursive: true }).catch(() => {});
      throw error;
    }
    const executables = plugin.files.filter((f) => f.executable).map((f) => `${dest}/${f.path}`);
    if (executables.length > 0) {
      // the execute bit is set from inside the sandbox, as the agent: the kernel never chmods through a path
      await this.options.host
        .exec(pid, ['chmod', '+x', '--', ...executables], { timeoutMs: 10_000, maxOutputBytes: 4096 })
        .catch(() => undefined);
    }
    await this.refresh(pid);
    const list = await this.list(pid);
    const installed = list.plugins.find((p) => p.name === plugin.manifest.name);
    if (!installed) {
      const error = list.errors.find((e) => e.folder === plugin.manifest.name);
      throw new HabitatError(
        'E_INVALID',
        `the plugin was copied but does not load: ${error?.message ?? 'unknown'}`,
      );
    }
    return installed;
  }

  /** Calls a tool: arguments checked against its JSON Schema, the handler run in the agent's sandbox. */
  async run(
    pid: number,
    name: string,
    tool: string,
    args: Record<string, unknown>,
  ): Promise<PluginRunResult> {
    const { plugins, errors } = await this.list(pid);
    const plugin = plugins.find((p) => p.name === name);
    if (!plugin) {
      const broken = errors.find((e) => e.folder === name);
      if (broken)
        throw new HabitatError('E_INVALID', `plugin ${name} does not load: ${broken.message}`, broken);
      throw new HabitatError('E_NOT_FOUND', `process ${pid} has no plugin ${name}`);
    }
    const spec = plugin.tools.find((t) => t.name === tool);
    if (!spec) throw new HabitatError('E_NOT_FOUND', `plugin ${name} has no tool ${tool}`);
    // a manifest's parameters were held to a subset whose checking is linear when it loaded; this also bounds args
    const checked = pluginParametersSchema(spec.parameters).safeParse(args);
    if (!checked.success) {
      throw new HabitatError('E_INVALID', `invalid arguments for ${name}.${tool}`, {
        issues: describeIssues(checked.error),
      });
    }
    const timeoutMs = Math.min(plugin.timeoutMs, this.options.maxTimeoutMs ?? 120_000);
    const result = await this.options.host.exec(pid, runnerArgv(plugin, tool, args), {
      timeoutMs,
      maxOutputBytes: this.options.maxOutputBytes ?? 256 * 1024,
      input: JSON.stringify({ tool, arguments: args }),
    });
    return interpret(result, timeoutMs);
  }

  /** Drops an agent's cache and watch (it ended). */
  forget(pid: number): void {
    void this.agents.get(pid)?.watch?.then((watch) => watch?.dispose());
    this.agents.delete(pid);
  }

  close(): void {
    this.subscription?.dispose();
    for (const pid of [...this.agents.keys()]) this.forget(pid);
  }

  private async load(pid: number): Promise<PluginList> {
    const files = this.options.host.fs(pid);
    const known = this.agents.get(pid);
    if (known) {
      known.watch ??= files
        .mkdir(PLUGINS_DIR, { recursive: true })
        .then(() => files.watch(PLUGINS_DIR, () => void this.refresh(pid)))
        .catch(() => undefined); // a home that cannot be watched still lists its plugins
      await known.watch;
    }
    return { pid, ...(await loadPlugins(files)) };
  }

  /** Loads the agent's plugins again and tells listeners. */
  private async refresh(pid: number): Promise<void> {
    const known = this.agents.get(pid);
    if (!known) return;
    const loading = this.load(pid);
    known.list = loading;
    const list = await loading.catch(() => undefined);
    // a burst of changes (a folder removed file by file) starts several loads: only the latest may speak, or an
    // older list that finished last would be the one listeners keep
    if (list && this.agents.get(pid) === known && known.list === loading)
      this.options.events?.emit('plugin.changed', list);
  }
}
