import { createHabitat } from './habitat.js';
import { hostKernel, type ParentPortLike } from './kernelProcess/index.js';

// Entry of the kernel's utility process (utilityProcess.fork from main/index.ts): the kernel, runtime and bridge run
// here, off the app's main thread. Its data folder comes from main.

const dataDir = process.env.HABITAT_DATA_DIR;
if (!dataDir) throw new Error('the kernel process needs HABITAT_DATA_DIR');
const parent = process.parentPort as unknown as ParentPortLike;

// keys live in main's keychain store; main sends them here, where the agents' runtime reads them at each spawn
let providerSettings: { geminiApiKey?: string } = {};
await hostKernel(
  parent,
  (appHandlers) =>
    createHabitat({
      dataDir,
      mode: 'desktop',
      extraHandlers: () => appHandlers,
      agents: { providerSettings: () => providerSettings },
    }),
  undefined,
  (settings) => (providerSettings = settings),
);
