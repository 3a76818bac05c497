import { HabitatError, type Message } from '../../../shared/protocol/index.js';
import { intArg, parsePid, usageError, type CliContext } from '../context.js';

export function formatMessage(m: Message): string {
  const from = m.from === null ? 'user' : String(m.from);
  const flags = [m.readAt === null ? 'unread' : '', m.broadcast ? 'broadcast' : '']
    .filter(Boolean)
    .join(', ');
  const subject = m.subject ? ` "${m.subject}"` : '';
  return `#${m.id} ${m.sentAt.slice(0, 19).replace('T', ' ')} from ${from}${subject}${flags ? ` (${flags})` : ''}\n  ${m.body.replaceAll('\n', '\n  ')}`;
}

const optionalPid = (text: string | undefined) => (text === undefined ? undefined : parsePid(text));

/** A message id as msg check prints it (`#12`) or bare; anything else is a usage error. */
function parseMessageId(text: string): number {
  const id = Number(text.replace(/^#/, ''));
  if (!/^#?\d+$/.test(text) || !Number.isSafeInteger(id) || id <= 0)
    throw usageError(`not a message id: ${text}`);
  return id;
}

export function registerMessages(ctx: CliContext): void {
  const { program, print, withClient } = ctx;
  const msg = program.command('msg').description("agents' persistent mailboxes");

  msg
    .command('send')
    .description("put a message in an agent's mailbox")
    .argument('<pid>', 'the recipient')
    .argument('<text>', 'the message')
    .option('--subject <subject>', 'a subject line')
    .option('--from <pid>', 'send it as this agent (default: you)')
    .action(
      withClient(
        async (client, pidText: string, body: string, flags: { subject?: string; from?: string }) => {
          const message = await client.call('msg.send', {
            to: parsePid(pidText),
            body,
            subject: flags.subject,
            from: optionalPid(flags.from),
          });
          print(message, () => `#${message.id} to ${message.to}`);
        },
      ),
    );

  msg
    .command('broadcast')
    .description('send a message to every live agent')
    .argument('<text>', 'the message')
    .option('--subject <subject>', 'a subject line')
    .option('--from <pid>', 'send it as this agent (it does not get a copy)')
    .action(
      withClient(async (client, body: string, flags: { subject?: string; from?: string }) => {
        const { messages } = await client.call('msg.broadcast', {
          body,
          subject: flags.subject,
          from: optionalPid(flags.from),
        });
        print(
          messages,
          () => `sent to ${messages.length} agents: ${messages.map((m) => m.to).join(', ') || '-'}`,
        );
      }),
    );

  msg
    .command('check')
    .description("an agent's unread messages, oldest first")
    .argument('<pid>', 'kernel PID')
    .option('-a, --all', 'read ones too')
    .option('-n, --limit <n>', 'at most this many', intArg('--limit', 1), 50)
    .option('--after <id>', 'those after this message id (the next page)', intArg('--after', 0))
    .action(
      withClient(async (client, pidText: string, flags: { all?: boolean; limit: number; after?: number }) => {
        const result = await client.call('msg.check', {
          pid: parsePid(pidText),
          all: flags.all ?? false,
          limit: flags.limit,
          ...(flags.after === undefined ? {} : { after: flags.after }),
        });
        print(result, () => {
          const lines = result.messages.map(formatMessage);
          lines.push(
            `${result.unread} unread${result.more ? `; more after #${result.messages.at(-1)?.id}` : ''}`,
          );
          return lines.join('\n');
        });
      }),
    );

  msg
    .command('ack')
    .description('mark messages read')
    .argument('<pid>', 'kernel PID')
    .argument('[ids...]', 'message ids')
    .option('-a, --all', 'every unread message')
    .action(
      withClient(async (client, pidText: string, ids: string[], flags: { all?: boolean }) => {
        if (!flags.all && ids.length === 0) throw new HabitatError('E_INVALID', 'name message ids, or --all');
        const result = await client.call('msg.ack', {
          pid: parsePid(pidText),
          all: flags.all ?? false,
          ...(ids.length ? { ids: ids.map(parseMessageId) } : {}),
        });
        print(result, () => `${result.acknowledged} acknowledged, ${result.unread} unread`);
      }),
    );
}
