import { writeFileSync } from 'node:fs';
import {
  HabitatError,
  VNC_SUBPROTOCOL,
  VNC_TOKEN_PREFIX,
  type ScreenSize,
  type VncDisplay,
  type VncTicket,
} from '../../../shared/protocol/index.js';
import { resolveTarget } from '../connect.js';
import { parsePid, type CliContext } from '../context.js';
import { formatBytes, table } from '../format.js';

/** `1280x800` (or `1280X800`) to a screen size; the protocol checks the bounds. */
export function parseScreen(text: string): ScreenSize {
  const match = /^(\d{3,4})[xX](\d{3,4})$/.exec(text.trim());
  if (!match) throw new HabitatError('E_INVALID', `not a screen size: ${text} (try 1280x800)`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function formatDisplays(displays: VncDisplay[]): string {
  return table(
    ['PID', 'STATE', 'SCREEN', 'DISPLAY', 'RESTARTS', 'VIEWERS', 'REASON'],
    displays.map((d) => [
      String(d.pid),
      d.state,
      `${d.width}x${d.height}`,
      d.display,
      String(d.restarts),
      `${d.viewers.view} view, ${d.viewers.control} control`,
      d.reason ?? '-',
    ]),
  );
}

/** Where a ticket's WebSocket lives, on the host the CLI talks to. */
export function ticketUrl(bridgeUrl: string, ticket: VncTicket): string {
  const url = new URL(bridgeUrl);
  url.pathname = ticket.path;
  url.search = '';
  url.hash = '';
  return url.toString();
}

export function registerVnc(ctx: CliContext): void {
  const { program, print, withClient, io, globals } = ctx;
  const vnc = program
    .command('vnc')
    .description("graphical agents' desktops: view, take over, start programs");

  vnc
    .command('ls')
    .description('the displays of graphical agents')
    .action(
      withClient(async (client) => {
        const { displays } = await client.call('vnc.list', {});
        print(displays, () => formatDisplays(displays));
      }),
    );

  vnc
    .command('open')
    .description(
      'a single-use token for one viewer connection to the display (view-only unless --control: takeover)',
    )
    .argument('<pid>', 'kernel PID')
    .option('--control', 'take over: keyboard and mouse reach the desktop')
    .action(
      withClient(async (client, pidText: string, flags: { control?: boolean }) => {
        const ticket = await client.call('vnc.open', {
          pid: parsePid(pidText),
          mode: flags.control ? 'control' : 'view',
        });
        const url = ticketUrl(resolveTarget(globals()).url, ticket);
        print({ ...ticket, url }, () =>
          [
            `${url}  (${ticket.mode}, ${ticket.width}x${ticket.height})`,
            `subprotocols: ${VNC_SUBPROTOCOL}, ${VNC_TOKEN_PREFIX}${ticket.token}`,
            `single use; expires ${new Date(ticket.expiresAt).toISOString()}`,
          ].join('\n'),
        );
      }),
    );

  vnc
    .command('handback')
    .description('end every control session on the display: the agent has it back')
    .argument('<pid>', 'kernel PID')
    .action(
      withClient(async (client, pidText: string) => {
        const result = await client.call('vnc.handBack', { pid: parsePid(pidText) });
        print(result, () => `${result.closed} control session(s) ended`);
      }),
    );

  vnc
    .command('exec')
    .description("start a graphical program on the agent's display (returns at once)")
    .argument('<pid>', 'kernel PID')
    .argument('<command...>', 'the program and its arguments (put -- before them)')
    .action(
      withClient(async (client, pidText: string, argv: string[]) => {
        const result = await client.call('vnc.exec', { pid: parsePid(pidText), argv });
        print(result, () => `started ${argv[0]} (pid ${result.osPid} in the sandbox)`);
      }),
    );

  vnc
    .command('screenshot')
    .description("the agent's screen as a PNG")
    .argument('<pid>', 'kernel PID')
    .requiredOption('-o, --output <file>', 'where to write the PNG (- for standard output)')
    .action(
      withClient(async (client, pidText: string, flags: { output: string }) => {
        const shot = await client.call('vnc.screenshot', { pid: parsePid(pidText) });
        const png = Buffer.from(shot.data, 'base64');
        if (flags.output === '-') return void io.write(png);
        writeFileSync(flags.output, png);
        const { data: _, ...rest } = shot;
        print(
          { ...rest, file: flags.output, bytes: png.length },
          () => `${flags.output}: ${shot.width}x${shot.height} PNG, ${formatBytes(png.length)}`,
        );
      }),
    );
}
