import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';

/** Agent mailboxes: persistent, bounded; deliveries are published on msg.received.<pid>. */
export function msgHandlers(kernel: Kernel): Handlers {
  const { mailboxes } = kernel;
  return {
    'msg.send': (args) => mailboxes.send(args),
    'msg.broadcast': (args) => ({ messages: mailboxes.broadcast(args) }),
    'msg.check': ({ pid, ...options }) => mailboxes.check(pid, options),
    'msg.ack': ({ pid, ids, all }) => mailboxes.ack(pid, { ...(ids ? { ids } : {}), all }),
  };
}
