import type { Disposable, Kernel } from '../../kernel/index.js';
import type { PluginInfo, PluginList } from '../../shared/protocol/index.js';
import { pluginTools, type ToolRegistry } from '../tools/index.js';

/**
 * Keeps an agent's plugin tools in its ToolRegistry: registered from its plugins at the start of its run, and again
 * whenever they change on disk (plugin.changed), so the model's next turn sees the new set. Each call runs in the
 * agent's own sandbox through kernel.plugins.run.
 */
export class PluginToolSync {
  /** Settles once the first list is in (or could not be read: the run goes on without plugins). */
  readonly ready: Promise<void>;
  private registered: string[] = [];
  private changed = false;
  private readonly subscription: Disposable;

  constructor(
    private readonly kernel: Kernel,
    private readonly pid: number,
    private readonly tools: ToolRegistry,
    private readonly warn: (message: string) => void,
  ) {
    this.subscription = kernel.events.on('plugin.changed', (payload) => {
      const list = payload as PluginList;
      if (list.pid !== pid) return;
      this.changed = true;
      this.apply(list.plugins);
    });
    this.ready = kernel.plugins.list(pid).then(
      (list) => {
        if (!this.changed) this.apply(list.plugins); // a change seen meanwhile is newer
        for (const error of list.errors)
          this.warn(`plugin folder ${error.folder} does not load: ${error.message}`);
      },
      (error: unknown) => this.warn(`the agent's plugins could not be listed: ${String(error)}`),
    );
  }

  /** The plugin tools registered now. */
  names(): string[] {
    return [...this.registered];
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private apply(plugins: PluginInfo[]): void {
    for (const name of this.registered) this.tools.unregister(name);
    this.registered = [];
    const run = (plugin: string, tool: string, args: Record<string, unknown>) =>
      this.kernel.plugins.run(this.pid, plugin, tool, args);
    for (const tool of pluginTools(plugins, run)) {
      if (this.tools.has(tool.name)) {
        this.warn(`plugin tool ${tool.name} is left out: another tool has that name`);
        continue;
      }
      this.tools.register(tool);
      this.registered.push(tool.name);
    }
  }
}
