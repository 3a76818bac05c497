import { describe, expect, it } from 'vitest';
import {
  BINARY_FRAME_KIND,
  decodeAckFrame,
  decodeBinaryFrame,
  encodeAckFrame,
  terminalText,
} from '../../shared/protocol/index.js';
import { encodeServerMessage } from './transports/websocket.js';

const ptyEvent = (terminal: number, data: string | Uint8Array, topic = `pty.data.${terminal}`) =>
  ({ type: 'event', topic, payload: { terminal, data } }) as const;

/** A decoded frame with its output as text, to compare. */
const asText = (decoded: ReturnType<typeof decodeBinaryFrame>) =>
  decoded && {
    topic: decoded.topic,
    payload: { ...decoded.payload, data: terminalText(decoded.payload.data) },
  };

describe('binary terminal frames', () => {
  it('carries terminal output as header plus UTF-8, and decodes back to the same event', () => {
    const data = 'caf\u00e9 \u2713 \u{1F680}\u001b[0m\r\n';
    const frame = encodeServerMessage(ptyEvent(4_000_000_000, data));
    expect(Buffer.isBuffer(frame)).toBe(true);
    const bytes = frame as Buffer;
    expect(bytes[0]).toBe(BINARY_FRAME_KIND.ptyData);
    expect(bytes.readUInt32BE(1)).toBe(4_000_000_000);
    expect(bytes.subarray(5).toString('utf8')).toBe(data);
    const decoded = decodeBinaryFrame(bytes);
    expect(decoded?.payload.data).toBeInstanceOf(Uint8Array); // bytes for the client: nothing decoded on the way
    expect(asText(decoded)).toEqual({
      topic: 'pty.data.4000000000',
      payload: { terminal: 4_000_000_000, data },
    });
  });

  it('puts output that is already bytes into the frame as it is: the same frame as its text would make', () => {
    const data = 'caf\u00e9 \u{1F680}\r\n';
    const fromBytes = encodeServerMessage(ptyEvent(3, Buffer.from(data, 'utf8')));
    expect(fromBytes).toEqual(encodeServerMessage(ptyEvent(3, data)));
    expect(Buffer.from(decodeBinaryFrame(fromBytes as Buffer)!.payload.data).toString('utf8')).toBe(data);
  });

  it('keeps every other message, and anything that does not look like terminal output, as JSON text', () => {
    const others = [
      { type: 'event', topic: 'process.changed', payload: { pid: 1 } },
      { type: 'event', topic: 'pty.exit.3', payload: { terminal: 3, exitCode: 0, signal: null } },
      ptyEvent(5, 'x', 'pty.data.6'), // topic and payload disagree
      { type: 'event', topic: 'pty.data.2', payload: { terminal: 2, data: 42 } },
      ptyEvent(0, 'x'),
      { type: 'result', id: 1, ok: true, result: { data: 'pty.data.1' } },
    ] as const;
    for (const message of others) expect(encodeServerMessage(message)).toBe(JSON.stringify(message));
  });

  it('ignores malformed frames instead of trusting them', () => {
    const valid = encodeServerMessage(ptyEvent(1, 'ok')) as Buffer;
    const wrongKind = Buffer.from(valid);
    wrongKind[0] = 9;
    const zeroTerminal = Buffer.from(valid);
    zeroTerminal.writeUInt32BE(0, 1);
    for (const bad of [Buffer.alloc(0), valid.subarray(0, 4), wrongKind, zeroTerminal]) {
      expect(decodeBinaryFrame(bad)).toBeUndefined();
    }
    expect(asText(decodeBinaryFrame(valid.subarray(0, 5)))).toEqual({
      topic: 'pty.data.1',
      payload: { terminal: 1, data: '' },
    });
    // bytes that are not UTF-8 (a program may write anything) reach a text consumer as U+FFFD, never as more
    const notUtf8 = Buffer.concat([valid.subarray(0, 5), Buffer.from([0xc3, 0x28, 0xff])]);
    expect(terminalText(decodeBinaryFrame(notUtf8)!.payload.data)).toBe('\ufffd(\ufffd');
  });

  it('decodes from an ArrayBuffer view at any offset (how browsers and Node hand frames over)', () => {
    const frame = encodeServerMessage(ptyEvent(9, '\u00fcber')) as Buffer;
    const padded = new Uint8Array(frame.length + 3);
    padded.set(frame, 3);
    expect(asText(decodeBinaryFrame(padded.subarray(3)))).toEqual({
      topic: 'pty.data.9',
      payload: { terminal: 9, data: '\u00fcber' },
    });
  });

  it('carries a terminal acknowledgement from the client in nine bytes, and refuses anything else', () => {
    const frame = encodeAckFrame(4_000_000_000, 1e9)!;
    expect([...frame]).toEqual([BINARY_FRAME_KIND.ptyAck, 0xee, 0x6b, 0x28, 0x00, 0x3b, 0x9a, 0xca, 0x00]);
    expect(decodeAckFrame(frame)).toEqual({ terminal: 4_000_000_000, chars: 1e9 });
    const padded = new Uint8Array(12);
    padded.set(frame, 3);
    expect(decodeAckFrame(padded.subarray(3))).toEqual({ terminal: 4_000_000_000, chars: 1e9 });
    // what pty.ack would refuse does not become a frame (the client then sends a call, which is refused)
    for (const [terminal, chars] of [
      [0, 1],
      [1, 0],
      [1, 1.5],
      [2 ** 32, 1],
      [1, 1e9 + 1],
    ] as const) {
      expect(encodeAckFrame(terminal, chars)).toBeUndefined();
    }
    const ptyData = encodeServerMessage(ptyEvent(1, 'ok')) as Buffer;
    const zeroChars = Uint8Array.from(frame);
    zeroChars.fill(0, 5);
    for (const bad of [
      new Uint8Array(0),
      frame.subarray(0, 8),
      Uint8Array.of(...frame, 0),
      ptyData,
      zeroChars,
    ]) {
      expect(decodeAckFrame(bad)).toBeUndefined();
    }
  });
});
