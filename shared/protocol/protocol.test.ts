import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  COMMAND_NAMES,
  ClientMessageSchema,
  ERROR_CODES,
  EVENT_NAMES,
  HabitatError,
  ServerMessageSchema,
  commands,
  readServerMessage,
  events,
  isCommandName,
  topicMatches,
} from './index.js';

describe('protocol registry', () => {
  it('names every command domain.verb and gives each an args and a result schema', () => {
    expect(COMMAND_NAMES.length).toBeGreaterThanOrEqual(7);
    for (const name of COMMAND_NAMES) {
      expect(name).toMatch(/^[a-z]+\.[a-z][a-zA-Z]*$/);
      const spec = commands[name];
      expect(spec.args).toBeInstanceOf(z.ZodType);
      expect(spec.result).toBeInstanceOf(z.ZodType);
      expect(spec.description.length).toBeGreaterThan(10);
    }
    for (const name of EVENT_NAMES) expect(events[name].payload).toBeInstanceOf(z.ZodType);
  });

  it('does not treat inherited properties as commands', () => {
    expect(isCommandName('toString')).toBe(false);
    expect(isCommandName('__proto__')).toBe(false);
    expect(isCommandName('system.ping')).toBe(true);
  });

  it('refuses unknown keys in arguments (strict schemas)', () => {
    expect(commands['system.ping'].args.safeParse({ nonce: 'a', extra: 1 }).success).toBe(false);
    expect(commands['process.signal'].args.safeParse({ pid: 1, signal: 'HUP' }).success).toBe(false);
    expect(commands['process.signal'].args.safeParse({ pid: 0, signal: 'KILL' }).success).toBe(false);
    expect(commands['process.spawn'].args.parse({})).toEqual({ sandbox: 'host', network: false });
  });
});

describe('wire messages', () => {
  it('accepts the three client message kinds and refuses the rest', () => {
    expect(
      ClientMessageSchema.safeParse({ type: 'call', id: 1, command: 'system.ping', args: {} }).success,
    ).toBe(true);
    expect(ClientMessageSchema.safeParse({ type: 'subscribe', id: 'x', topics: ['process.*'] }).success).toBe(
      true,
    );
    expect(ClientMessageSchema.safeParse({ type: 'unsubscribe', id: 2, topics: ['*'] }).success).toBe(true);
    expect(ClientMessageSchema.safeParse({ type: 'call', id: -1, command: 'a' }).success).toBe(false);
    expect(ClientMessageSchema.safeParse({ type: 'subscribe', id: 1, topics: [] }).success).toBe(false);
    expect(ClientMessageSchema.safeParse({ type: 'subscribe', id: 1, topics: ['a/../b'] }).success).toBe(
      false,
    );
    expect(ClientMessageSchema.safeParse({ type: 'shutdown', id: 1 }).success).toBe(false);
  });

  it('parses every server message kind', () => {
    expect(ServerMessageSchema.safeParse({ type: 'result', id: 1, ok: true, result: {} }).success).toBe(true);
    expect(
      ServerMessageSchema.safeParse({
        type: 'result',
        id: 1,
        ok: false,
        error: { code: 'E_DENIED', message: 'no' },
      }).success,
    ).toBe(true);
    expect(
      ServerMessageSchema.safeParse({
        type: 'result',
        id: 1,
        ok: false,
        error: { code: 'E_WHAT', message: '' },
      }).success,
    ).toBe(false);
    expect(ServerMessageSchema.safeParse({ type: 'event', topic: 'a.b', payload: null }).success).toBe(true);
  });

  it('reads exactly the server messages the schema accepts, without zod', () => {
    const error = { code: 'E_DENIED', message: 'no' };
    const messages: unknown[] = [
      { type: 'result', id: 1, ok: true, result: { a: 1 } },
      { type: 'result', id: 'x', ok: true },
      { type: 'result', id: 0, ok: false, error },
      { type: 'result', id: 2, ok: false, error: { ...error, details: [1] } },
      { type: 'event', topic: 'process.changed', payload: { pid: 1 } },
      { type: 'event', topic: 'a' },
      { type: 'error', error },
      // refused
      null,
      'result',
      [],
      [{ type: 'event', topic: 'a' }],
      {},
      { type: 'result', id: -1, ok: true },
      { type: 'result', id: 1.5, ok: true },
      { type: 'result', id: Number.MAX_SAFE_INTEGER + 2, ok: true },
      { type: 'result', id: 'x'.repeat(65), ok: true },
      { type: 'result', id: null, ok: true },
      { type: 'result', ok: true },
      { type: 'result', id: 1, ok: 'yes' },
      { type: 'result', id: 1 },
      { type: 'result', id: 1, ok: false },
      { type: 'result', id: 1, ok: false, error: { code: 'E_WHAT', message: '' } },
      { type: 'result', id: 1, ok: false, error: { code: 'E_DENIED' } },
      { type: 'result', id: 1, ok: false, error: [] },
      { type: 'event', topic: 3 },
      { type: 'event' },
      { type: 'error', error: 'boom' },
      { type: 'error' },
      { type: 'call', id: 1, command: 'process.list' },
    ];
    let accepted = 0;
    for (const message of messages) {
      const read = readServerMessage(message);
      expect(read !== undefined, JSON.stringify(message)).toBe(
        ServerMessageSchema.safeParse(message).success,
      );
      if (read) {
        accepted++;
        expect(read).toMatchObject(ServerMessageSchema.parse(message));
      }
    }
    expect(accepted).toBe(7);
  });

  it('matches topics exactly, by domain wildcard, or all', () => {
    expect(topicMatches('process.changed', 'process.changed')).toBe(true);
    expect(topicMatches('process.*', 'process.changed')).toBe(true);
    expect(topicMatches('process.*', 'processx.changed')).toBe(false);
    expect(topicMatches('*', 'system.stats')).toBe(true);
    expect(topicMatches('process.changed', 'process.spawned')).toBe(false);
  });
});

describe('error values', () => {
  it('has a closed set of codes and round-trips through its value', () => {
    expect(ERROR_CODES).toContain('E_INTERNAL');
    const error = new HabitatError('E_LIMIT', 'quota', { limit: 5 });
    const back = HabitatError.fromValue(JSON.parse(JSON.stringify(error.toValue())));
    expect(back).toBeInstanceOf(HabitatError);
    expect(back.toValue()).toEqual({ code: 'E_LIMIT', message: 'quota', details: { limit: 5 } });
    expect(JSON.stringify(error.toValue())).not.toContain('stack');
  });
});
