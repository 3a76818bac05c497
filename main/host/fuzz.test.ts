import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, decodeAckFrame } from '../../shared/protocol/index.js';
import { nextMessage, opened, rawSocket, tempDir, waitFor } from '../../test/helpers.js';
import { startHeadlessHost, type HeadlessHost } from './HeadlessHost.js';

const TOTAL = 10_000;
/**
 * Well-formed calls use commands without side effects: the fuzz exercises the protocol layer, and a valid
 * image.build or process.spawn would start real builds and agents. Mutations still hit every other name.
 */
const SAFE_COMMANDS = COMMAND_NAMES.filter((name) =>
  /^(system\.|process\.(list|get|logs)$|pty\.(list|screen)$|fs\.(stat|list|read)$)/.test(name),
);

/** Valid messages to start from; mutations then break them in the ways clients (and attackers) do. */
const validMessage = fc.oneof(
  fc.record({
    type: fc.constant('call'),
    id: fc.nat(),
    command: fc.constantFrom(...SAFE_COMMANDS),
    args: fc.oneof(
      fc.constant({}),
      fc.record({ nonce: fc.string({ maxLength: 20 }) }),
      fc.record({ pid: fc.integer() }),
    ),
  }),
  fc.record({
    type: fc.constantFrom('subscribe', 'unsubscribe'),
    id: fc.nat(),
    topics: fc.array(fc.constantFrom('system.stats', 'process.*', '*', 'x', ''), {
      minLength: 0,
      maxLength: 3,
    }),
  }),
);

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('drop' as const),
    key: fc.constantFrom('type', 'id', 'command', 'args', 'topics'),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    key: fc.constantFrom('type', 'id', 'command', 'args', 'topics', 'extra'),
    value: fc.jsonValue({ maxDepth: 3 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: 200 }) }),
  fc.record({ kind: fc.constant('bigString' as const), size: fc.integer({ min: 1000, max: 60_000 }) }),
  fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 50, max: 2000 }) }),
);

type Frame = { data: string | Buffer; binary: boolean };
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(message: Record<string, unknown>, m: Mutation): Frame {
  const copy: Record<string, unknown> = { ...message };
  switch (m.kind) {
    case 'drop':
      delete copy[m.key];
      return { data: JSON.stringify(copy), binary: false };
    case 'replace':
      copy[m.key] = m.value;
      return { data: JSON.stringify(copy), binary: false };
    case 'truncate':
      return { data: JSON.stringify(copy).slice(0, m.at), binary: false };
    case 'bigString':
      copy.command = 'c'.repeat(m.size);
      return { data: JSON.stringify(copy), binary: false };
    default: {
      let nested: unknown = 1;
      for (let i = 0; i < m.depth; i++) nested = [nested];
      copy.args = nested;
      return { data: JSON.stringify(copy), binary: false };
    }
  }
}

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(validMessage, mutation).map(([msg, m]) => mutate(msg, m)) },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 4 })
      .map((v) => ({ data: JSON.stringify(v) ?? 'null', binary: false })),
  },
  { weight: 1, arbitrary: validMessage.map((v) => ({ data: JSON.stringify(v), binary: false })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((s) => ({ data: s, binary: false })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ data: Buffer.from(b), binary: true })),
  },
);

describe('bridge fuzzing over WebSocket', () => {
  let host: HeadlessHost;
  const dir = tempDir();
  beforeAll(async () => {
    host = await startHeadlessHost({ port: 0, dataDir: dir.path, statsIntervalMs: 60_000 });
  });
  afterAll(async () => {
    await host.close();
    dir.cleanup();
  });

  it(`answers each of ${TOTAL} random and mutated messages exactly once, and keeps serving`, async () => {
    const frames = fc.sample(frame, { numRuns: TOTAL, seed: 20261121 });
    expect(frames).toHaveLength(TOTAL);
    // random bytes that happen to form a terminal acknowledgement get no answer (see shared/protocol/frames.ts)
    const unanswered = frames.filter((f) => f.binary && decodeAckFrame(f.data as Buffer)).length;
    const ws = rawSocket(host.wsUrl, { token: host.token });
    await opened(ws);
    let answers = 0;
    let malformedReplies = 0;
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type === 'event') return;
      answers++;
      if (message.type === 'error') malformedReplies++;
    });
    let expected = 0;
    for (let i = 0; i < frames.length; i += 500) {
      const batch = frames.slice(i, i + 500);
      for (const f of batch) ws.send(f.data, { binary: f.binary });
      expected += batch.filter((f) => !(f.binary && decodeAckFrame(f.data as Buffer))).length;
      await waitFor(() => answers >= expected, 20_000, `answers to the first ${i + 500}`);
    }
    await new Promise((r) => setTimeout(r, 100)); // nothing extra arrives
    expect(answers).toBe(TOTAL - unanswered);
    expect(malformedReplies).toBeGreaterThan(100);
    expect(ws.readyState).toBe(ws.OPEN);

    const reply = nextMessage(ws);
    ws.send(
      JSON.stringify({ type: 'call', id: 'final', command: 'system.ping', args: { nonce: 'still here' } }),
    );
    expect(await reply).toMatchObject({ id: 'final', ok: true, result: { nonce: 'still here' } });
    ws.close();
  });
});
