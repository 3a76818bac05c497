import type { Kernel } from '../../kernel/index.js';
import type { AgentSupervisor } from '../../runtime/index.js';
import { DEFAULT_CHECKPOINTS_KEPT, EXEC_MAX_INPUT_BYTES, HabitatError } from '../../shared/protocol/index.js';
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
    'process.exec': ({ pid, argv, input, encoding, timeoutMs, maxOutputBytes }) =>
      processes.exec(pid, argv, {
        timeoutMs,
        maxOutputBytes,
        encoding,
        input: execInput(input, encoding),
        viaShell: true, // a missing command exits 127 in every sandbox
      }),
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

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** process.exec's input as bytes: base64 checked (Buffer.from would skip bad characters), its size bounded. */
function execInput(input: string | undefined, encoding: 'utf8' | 'base64'): string | Buffer | undefined {
  if (input === undefined) return undefined;
  if (encoding === 'utf8') {
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > EXEC_MAX_INPUT_BYTES)
      throw new HabitatError(
        'E_LIMIT',
        `exec input is capped at ${EXEC_MAX_INPUT_BYTES} bytes of UTF-8; this one has ${bytes}`,
      );
    return input;
  }
  if (input.length % 4 !== 0 || !BASE64.test(input))
    throw new HabitatError('E_INVALID', 'input is not valid base64');
  const bytes = Buffer.from(input, 'base64');
  if (bytes.length > EXEC_MAX_INPUT_BYTES) {
    throw new HabitatError(
      'E_LIMIT',
      `exec input is capped at ${EXEC_MAX_INPUT_BYTES} bytes; this one has ${bytes.length}`,
    );
  }
  return bytes;
}
