import { HabitatError } from '../../../shared/protocol/index.js';
import { parsePid, type CliContext } from '../context.js';

const DETACH_KEY = '\x1d'; // Ctrl-]

/** An interactive terminal in the CLI: raw mode, resize, flow-control acknowledgements, Ctrl-] to detach. */
export function registerAttach({ program, withClient, io, setExit }: CliContext): void {
  program
    .command('attach')
    .description("attach to an agent's terminal (Ctrl-] detaches)")
    .argument('<pid>', 'kernel PID')
    .action(
      withClient(async (client, pidText: string) => {
        const info = await client.call('process.get', { pid: parsePid(pidText) });
        if (info.terminal === null)
          throw new HabitatError('E_CONFLICT', `process ${info.pid} has no live terminal`);
        const terminal = info.terminal;
        const stdin = process.stdin;
        const stdout = process.stdout;
        let exitCode = 0;
        await new Promise<void>((resolve, reject) => {
          const offData = client.subscribe(`pty.data.${terminal}`, (payload) => {
            // bytes over WebSocket (written out as they are), text elsewhere; acknowledged in the same unit
            const data = (payload as { data: string | Uint8Array }).data;
            stdout.write(
              data,
              () => void client.call('pty.ack', { terminal, chars: data.length }).catch(() => {}),
            );
          });
          const offExit = client.subscribe(`pty.exit.${terminal}`, (payload) => {
            exitCode = (payload as { exitCode: number | null }).exitCode ?? 0;
            finish();
          });
          const resize = (): void => {
            if (stdout.columns && stdout.rows) {
              void client
                .call('pty.resize', { terminal, cols: stdout.columns, rows: stdout.rows })
                .catch(() => {});
            }
          };
          const onInput = (chunk: Buffer): void => {
            const text = chunk.toString('utf8');
            if (text.includes(DETACH_KEY)) return finish();
            void client.call('pty.input', { terminal, data: text }).catch(() => {});
          };
          const finish = (): void => {
            offData();
            offExit();
            stdin.off('data', onInput);
            stdout.off('resize', resize);
            if (stdin.isTTY) stdin.setRawMode(false);
            stdin.pause();
            void client
              .call('pty.detach', { terminal })
              .catch(() => {})
              .finally(resolve);
          };
          client.onConnectionChange((state) => {
            if (state === 'closed') finish();
          });
          client
            .call('pty.attach', { terminal })
            .then((attached) => {
              stdout.write(attached.replay);
              if (stdin.isTTY) stdin.setRawMode(true);
              stdin.resume();
              stdin.on('data', onInput);
              stdout.on('resize', resize);
              resize();
            })
            .catch(reject);
        });
        io.err(`\r\n[detached from ${info.pid}]`);
        setExit(exitCode);
      }),
    );
}
