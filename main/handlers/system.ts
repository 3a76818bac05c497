import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';

export function systemHandlers(kernel: Kernel): Handlers {
  return {
    'system.ping': ({ nonce }) => ({ pong: true, nonce, at: Date.now() }),
    'system.info': () => kernel.info(),
  };
}
