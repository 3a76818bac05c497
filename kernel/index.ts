// The kernel's public surface: runtime/ and main/ import only from here.
export { Kernel, type KernelOptions } from './Kernel.js';
export { EventBus, type Disposable, type EventListener } from './events/index.js';
export { defaultDataDir, dataDirLayout, ensureDataDir, type DataDirLayout } from './datadir/index.js';
