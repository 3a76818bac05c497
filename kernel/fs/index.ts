export {
  AgentFs,
  type AgentFsOptions,
  type FsWatch,
  type ReadOptions,
  type WriteOptions,
} from './AgentFs.js';
export { createHome, HOME_SKELETON } from './createHome.js';
export type { FsChange, FsChangeListener } from './HomeWatcher.js';
export { joinHomePath, parseHomePath } from './homePath.js';
export { HomeResolver, type FileOwner, type ResolutionMode, type ResolverHooks } from './resolver.js';
