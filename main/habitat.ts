import { Kernel, type EngineConfig } from '../kernel/index.js';
import { AgentSupervisor, type AgentSupervisorOptions } from '../runtime/index.js';
import { Bridge, type Handlers } from './bridge/index.js';
import { createHandlers } from './handlers/index.js';
import { HABITAT_VERSION } from './version.js';

export interface HabitatOptions {
  dataDir: string;
  mode: 'desktop' | 'headless';
  statsIntervalMs?: number;
  /** Ready containers per image (see KernelOptions.warmPool). */
  warmPool?: { size?: number; prefill?: string[] };
  dockerEngines?: EngineConfig[];
  /** Commands only this host answers (the desktop app's windows, updates and secrets). */
  extraHandlers?: (kernel: Kernel) => Handlers;
  /** How agents' goals run: provider keys from the environment (headless) or settings, the approval timeout. */
  agents?: AgentSupervisorOptions;
}

export interface Habitat {
  kernel: Kernel;
  agents: AgentSupervisor;
  bridge: Bridge;
  close(): Promise<void>;
}

/** The composition root shared by the desktop app, the headless host and tests: a kernel, its agents' runs, the bridge. */
export async function createHabitat(options: HabitatOptions): Promise<Habitat> {
  const kernel = await Kernel.open({
    dataDir: options.dataDir,
    mode: options.mode,
    version: HABITAT_VERSION,
    statsIntervalMs: options.statsIntervalMs,
    warmPool: options.warmPool,
    dockerEngines: options.dockerEngines,
  });
  const agents = new AgentSupervisor(kernel, options.agents);
  // agents a restart left mid-run (re-attached containers) carry on from their saved conversation
  agents.recover();
  const handlers = { ...createHandlers(kernel, agents), ...options.extraHandlers?.(kernel) };
  const bridge = new Bridge({ handlers, events: kernel.events });
  return {
    kernel,
    agents,
    bridge,
    close: async () => {
      bridge.closeAll();
      await agents.close();
      await kernel.close();
    },
  };
}
