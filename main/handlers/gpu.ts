import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';

/** GPUs: nvidia-smi's figures with the agent holding each; gpu.stats events come from the kernel's poller. */
export function gpuHandlers(kernel: Kernel): Handlers {
  return {
    'gpu.list': () => kernel.gpus.list(),
  };
}
