import { afterEach, describe, expect, it } from 'vitest';
import { HabitatError, MSG_MAX_BODY_BYTES, type Message } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import { Store } from '../store/index.js';
import { Mailboxes } from './index.js';

// Mailboxes on the real SQLite store: through the kernel with real agents, and alone with a small limit.
describe('mailboxes', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const dataDir = () => {
    const dir = tempDir('habitat-mail-');
    dirs.push(dir);
    return dir.path;
  };
  const open = async (path: string) => {
    const kernel = await Kernel.open({ dataDir: path, mode: 'headless', version: 'test', termGraceMs: 500 });
    closers.push(() => kernel.close());
    return kernel;
  };
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  it('sends, broadcasts, pages unread mail and acknowledges it; deliveries are events', async () => {
    const kernel = await open(dataDir());
    const [a, b, c] = [
      await kernel.processes.spawn({ network: false }),
      await kernel.processes.spawn({ network: false }),
      await kernel.processes.spawn({ network: false }),
    ];
    const received: Message[] = [];
    kernel.events.on(`msg.received.${b.pid}`, (m) => received.push(m as Message));

    for (let i = 0; i < 5; i++)
      kernel.mailboxes.send({ to: b.pid, from: a.pid, body: `hello ${i}`, subject: 's' });
    const everyone = kernel.mailboxes.broadcast({ from: a.pid, body: 'all hands' });
    expect(everyone.map((m) => m.to).sort()).toEqual([b.pid, c.pid]); // not the sender
    expect(received.map((m) => m.body)).toEqual([
      'hello 0',
      'hello 1',
      'hello 2',
      'hello 3',
      'hello 4',
      'all hands',
    ]);

    const first = kernel.mailboxes.check(b.pid, { limit: 4 });
    expect(first).toMatchObject({ unread: 6, more: true });
    expect(first.messages.map((m) => m.body)).toEqual(['hello 0', 'hello 1', 'hello 2', 'hello 3']);
    expect(first.messages[0]).toMatchObject({
      from: a.pid,
      to: b.pid,
      subject: 's',
      readAt: null,
      broadcast: false,
    });
    const second = kernel.mailboxes.check(b.pid, { limit: 4, after: first.messages.at(-1)!.id });
    expect(second.messages.map((m) => m.body)).toEqual(['hello 4', 'all hands']);
    expect(second.more).toBe(false);

    expect(kernel.mailboxes.ack(b.pid, { ids: first.messages.map((m) => m.id) })).toEqual({
      acknowledged: 4,
      unread: 2,
    });
    // ids of another mailbox are not this one's to acknowledge
    expect(kernel.mailboxes.ack(c.pid, { ids: [second.messages[0]!.id] })).toEqual({
      acknowledged: 0,
      unread: 1,
    });
    expect(kernel.mailboxes.check(b.pid).messages.map((m) => m.body)).toEqual(['hello 4', 'all hands']);
    expect(kernel.mailboxes.check(b.pid, { all: true }).messages).toHaveLength(6);
    expect(kernel.mailboxes.ack(b.pid, { all: true })).toEqual({ acknowledged: 2, unread: 0 });

    expect(() => kernel.mailboxes.send({ to: 999, body: 'x' })).toThrow(
      expect.objectContaining({ code: 'E_NOT_FOUND' }),
    );
    await kernel.processes.signal(c.pid, 'KILL');
    // its end is noticed when its shell exits: a moment, or longer on a loaded machine
    await waitFor(() => !kernel.processes.livePids().has(c.pid), 10_000, 'the killed agent to end');
    expect(() => kernel.mailboxes.send({ to: c.pid, body: 'x' })).toThrow(
      expect.objectContaining({ code: 'E_CONFLICT' }),
    );
  });

  it('refuses bodies over the limit and mail beyond a full mailbox with E_LIMIT', async () => {
    const kernel = await open(dataDir());
    const agent = await kernel.processes.spawn({ network: false });
    const big = 'x'.repeat(MSG_MAX_BODY_BYTES + 1);
    expect(() => kernel.mailboxes.send({ to: agent.pid, body: big })).toThrow(
      expect.objectContaining({ code: 'E_LIMIT' }),
    );
    expect(() =>
      kernel.mailboxes.send({ to: agent.pid, body: 'é'.repeat(MSG_MAX_BODY_BYTES / 2 + 1) }),
    ).toThrow(/bytes/); // counted in bytes, not characters

    const store = Store.open(':memory:');
    closers.push(() => store.close());
    const small = new Mailboxes({
      db: store.database,
      agents: { get: () => ({}), livePids: () => new Set([1, 2]) },
      maxUnread: 3,
    });
    for (let i = 0; i < 3; i++) small.send({ to: 1, body: `m${i}` });
    let error: unknown;
    try {
      small.send({ to: 1, body: 'one too many' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(HabitatError);
    expect(error).toMatchObject({ code: 'E_LIMIT', message: expect.stringMatching(/full/) });
    expect(small.broadcast({ body: 'hi' }).map((m) => m.to)).toEqual([2]); // a full mailbox is passed over
    small.ack(1, { ids: [small.check(1).messages[0]!.id] });
    expect(small.send({ to: 1, body: 'room again' }).body).toBe('room again');
  });

  it('keeps mailboxes across a kernel restart', async () => {
    const path = dataDir();
    const first = await open(path);
    const agent = await first.processes.spawn({ network: false });
    first.mailboxes.send({ to: agent.pid, body: 'survive this' });
    first.mailboxes.send({ to: agent.pid, body: 'and this, read' });
    first.mailboxes.ack(agent.pid, { ids: [first.mailboxes.check(agent.pid).messages[1]!.id] });
    await first.close();
    closers.splice(0);

    const second = await open(path);
    const mail = second.mailboxes.check(agent.pid, { all: true });
    expect(mail.unread).toBe(1);
    expect(mail.messages.map((m) => [m.body, m.readAt === null])).toEqual([
      ['survive this', true],
      ['and this, read', false],
    ]);
  });
});
