import { signalNumber, type Kernel, type TerminalConsumer } from '../../kernel/index.js';
import { HabitatError } from '../../shared/protocol/index.js';
import type { CallContext, Handlers } from '../bridge/index.js';

/**
 * Terminals over the bridge. Output goes only to connections that attached (a session-scoped stream, never one
 * broadcast per chunk); each such connection is a flow-control consumer that acknowledges what it rendered.
 */
export function ptyHandlers(kernel: Kernel): Handlers {
  const { terminals, processes } = kernel;
  const consumers = new Map<string, TerminalConsumer>();
  const key = (context: CallContext, terminal: number): string => `${context.sessionId}:${terminal}`;
  const consumerFor = (context: CallContext, terminal: number): TerminalConsumer => {
    const consumer = consumers.get(key(context, terminal));
    if (!consumer)
      throw new HabitatError('E_CONFLICT', `terminal ${terminal} is not attached on this connection`);
    return consumer;
  };

  return {
    'pty.list': ({ pid }) => ({ terminals: terminals.list(pid) }),
    'pty.open': ({ pid, cols, rows }) => {
      kernel.assertRunning();
      const info = processes.get(pid);
      if (info.state !== 'running') throw new HabitatError('E_CONFLICT', `process ${pid} is ${info.state}`);
      const entry = terminals.open(
        pid,
        processes.terminalLaunch(pid, ['/bin/bash', '--noprofile', '--norc', '-i']),
        {
          cols,
          rows,
          main: false,
        },
      );
      return terminals.list(pid).find((t) => t.terminal === entry.id)!;
    },
    'pty.attach': async ({ terminal }, context) => {
      const entry = terminals.get(terminal);
      const id = key(context, terminal);
      consumers.get(id)?.detach();
      const topic = `pty.data.${terminal}`;
      // over WebSocket the output stays bytes into its binary frame (shared/protocol/frames.ts); elsewhere text
      const consumer =
        context.transport === 'websocket'
          ? entry.session.attachBytes((data) => context.push(topic, { terminal, data }), { replay: true })
          : entry.session.attach((data) => context.push(topic, { terminal, data }), { replay: true });
      consumers.set(id, consumer);
      const exitWatch = entry.session.onExit((exit) =>
        context.push(`pty.exit.${terminal}`, {
          terminal,
          exitCode: exit.exitCode,
          signal: signalNumber(exit.signal),
        }),
      );
      context.onClose(() => {
        exitWatch.dispose();
        consumers.get(id)?.detach();
        consumers.delete(id);
      });
      const replay = (await consumer.replay) ?? '';
      return { terminal, cols: entry.session.cols, rows: entry.session.rows, replay };
    },
    'pty.detach': ({ terminal }, context) => {
      consumers.get(key(context, terminal))?.detach();
      consumers.delete(key(context, terminal));
      return {};
    },
    'pty.ack': ({ terminal, chars }, context) => {
      consumerFor(context, terminal).ack(chars);
      return {};
    },
    'pty.input': async ({ terminal, data }) => {
      await terminals.get(terminal).session.write(data);
      return {};
    },
    'pty.resize': ({ terminal, cols, rows }) => {
      terminals.get(terminal).session.resize(cols, rows);
      return {};
    },
    'pty.screen': async (args) => {
      let entry;
      if ('pid' in args) {
        processes.get(args.pid); // E_NOT_FOUND for an unknown agent
        entry = terminals.current(args.pid);
        if (!entry) throw new HabitatError('E_NOT_FOUND', `process ${args.pid} has no terminal`);
      } else entry = terminals.get(args.terminal);
      const { cols, rows, cursor, lines } = await entry.session.screen();
      return { cols, rows, cursor, lines, terminal: entry.id };
    },
    'pty.close': async ({ terminal }) => {
      const entry = terminals.get(terminal);
      if (entry.main)
        throw new HabitatError('E_CONFLICT', 'the main terminal ends with its process: signal it instead');
      await terminals.close(terminal);
      return {};
    },
  };
}
