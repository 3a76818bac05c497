import { HabitatError } from '../../../shared/protocol/index.js';
import { parsePid, type CliContext } from '../context.js';

const DETACH_KEY = '\x1d'; // Ctrl-]
/**
 * When standard input ends (a pipe, `< file`, `</dev/null`), attach has sent everything it read; it detaches once
 * the terminal has printed nothing for this long, so the output of what was typed comes back first. The shell runs
 * on (it is the agent's), unlike `ssh host < script`, which ends the remote shell: send `exit` to end it.
 */
const QUIET_AFTER_INPUT_MS = 500;

/** An interactive terminal in the CLI: raw mode, resize, flow-control acknowledgements, Ctrl-] to detach. */
export function registerAttach({ program, withClient, io, setExit }: CliContext): void {
  program
    .command('attach')
    .description("attach to an agent's terminal (Ctrl-] detaches; so does the end of piped input)")
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
          let finished = false;
          let inputEnded = false;
          let quiet: ReturnType<typeof setTimeout> | undefined;
          const sent: Promise<unknown>[] = [];
          const detachWhenQuiet = (): void => {
            clearTimeout(quiet);
            quiet = setTimeout(finish, QUIET_AFTER_INPUT_MS);
          };
          const offData = client.subscribe(`pty.data.${terminal}`, (payload) => {
            if (inputEnded) detachWhenQuiet();
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
            sent.push(client.call('pty.input', { terminal, data: text }).catch(() => {}));
          };
          const onEnd = (): void => {
            inputEnded = true;
            void Promise.all(sent).then(detachWhenQuiet);
          };
          const finish = (): void => {
            if (finished) return;
            finished = true;
            clearTimeout(quiet);
            offData();
            offExit();
            stdin.off('data', onInput);
            stdin.off('end', onEnd);
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
              stdin.once('end', onEnd);
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
