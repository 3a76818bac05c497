import { Kernel } from '../../kernel/index.js';
import { tempDir } from '../../test/helpers.js';
import { kernelHost } from '../tools/host.js';
import type { AgentHost } from '../tools/types.js';

export interface KernelAgent {
  kernel: Kernel;
  pid: number;
  host: AgentHost;
}

/**
 * Real kernels on temporary data folders, with host agents (bubblewrap where installed): what runtime tests run
 * tools and loops against. close() ends every kernel and removes its folder.
 */
export class KernelAgents {
  private readonly kernels: Kernel[] = [];
  private readonly dirs: ReturnType<typeof tempDir>[] = [];

  async spawn(request: { network?: boolean; goal?: string } = {}): Promise<KernelAgent> {
    const dir = tempDir('habitat-runtime-');
    this.dirs.push(dir);
    const kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 500,
    });
    this.kernels.push(kernel);
    const info = await kernel.processes.spawn({
      network: request.network ?? false,
      ...(request.goal ? { goal: request.goal } : {}),
    });
    return { kernel, pid: info.pid, host: kernelHost(kernel, info.pid) };
  }

  async close(): Promise<void> {
    for (const kernel of this.kernels.splice(0)) await kernel.close();
    for (const dir of this.dirs.splice(0)) dir.cleanup();
  }
}
