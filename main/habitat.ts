import { Kernel, type EngineConfig } from '../kernel/index.js';
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
}

export interface Habitat {
  kernel: Kernel;
  bridge: Bridge;
  close(): Promise<void>;
}

/** The composition root shared by the desktop app, the headless host and tests: a kernel and its bridge. */
export async function createHabitat(options: HabitatOptions): Promise<Habitat> {
  const kernel = await Kernel.open({
    dataDir: options.dataDir,
    mode: options.mode,
    version: HABITAT_VERSION,
    statsIntervalMs: options.statsIntervalMs,
    warmPool: options.warmPool,
    dockerEngines: options.dockerEngines,
  });
  const handlers = { ...createHandlers(kernel), ...options.extraHandlers?.(kernel) };
  const bridge = new Bridge({ handlers, events: kernel.events });
  return {
    kernel,
    bridge,
    close: async () => {
      bridge.closeAll();
      await kernel.close();
    },
  };
}
