import type { Kernel } from '../../kernel/index.js';
import type { AgentSupervisor } from '../../runtime/index.js';
import { DEFAULT_CHECKPOINTS_KEPT } from '../../shared/protocol/index.js';
import type { Handlers } from '../bridge/index.js';

export function processHandlers(kernel: Kernel, agents: AgentSupervisor): Handlers {
  const { processes } = kernel;
  return {
    'process.spawn': async (args) => {
      kernel.assertRunning();
      // with a goal, the agent runs it (agents); without, it is a shell in a sandbox
      const run = {
        provider: args.provider,
        model: args.model,
        approvalPolicy: args.approvalPolicy,
        maxSteps: args.maxSteps,
      };
      return agents.spawn(
        {
          sandbox: args.sandbox,
          image: args.image,
          limits: {
            memoryBytes: args.memoryBytes,
            cpus: args.cpus,
            processes: args.pids,
          },
          name: args.name,
          role: args.role,
          goal: args.goal,
          parent: args.parent,
          network: args.network,
          gpus: args.gpus,
          engine: args.engine,
          workspaces: args.workspaces,
          graphical: args.graphical,
          checkpoints:
            args.checkpoints === true
              ? { keep: DEFAULT_CHECKPOINTS_KEPT }
              : typeof args.checkpoints === 'number'
                ? { keep: args.checkpoints }
                : undefined,
        },
        run,
      );
    },
    'process.list': (args) => ({ processes: processes.list(args) }),
    'process.get': ({ pid }) => processes.get(pid),
    'process.signal': ({ pid, signal }) => processes.signal(pid, signal),
    'process.reap': ({ pid }) => processes.reap(pid),
    'process.exec': ({ pid, argv, input, timeoutMs, maxOutputBytes }) =>
      processes.exec(pid, argv, { timeoutMs, maxOutputBytes, input }),
    'process.logs': ({ pid, limit, after }) => {
      processes.get(pid); // E_NOT_FOUND for a PID that never existed
      const records =
        after === undefined
          ? kernel.store.latestEvents(pid, limit)
          : kernel.store.eventsSince(pid, after, limit);
      return {
        entries: records.map((r) => ({ seq: r.seq, pid: r.pid, type: r.type, at: r.at, payload: r.payload })),
      };
    },
  };
}
