import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';
import { fsHandlers } from './fs.js';
import { gpuHandlers } from './gpu.js';
import { imageHandlers } from './images.js';
import { processHandlers } from './process.js';
import { ptyHandlers } from './pty.js';
import { systemHandlers } from './system.js';
import { vncHandlers } from './vnc.js';

/** Every domain's handlers, composed. Each domain module maps protocol commands onto kernel or runtime calls. */
export function createHandlers(kernel: Kernel): Handlers {
  return {
    ...systemHandlers(kernel),
    ...processHandlers(kernel),
    ...ptyHandlers(kernel),
    ...fsHandlers(kernel),
    ...imageHandlers(kernel.docker, kernel.events),
    ...gpuHandlers(kernel),
    ...vncHandlers(kernel),
  };
}
