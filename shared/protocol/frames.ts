/**
 * Terminal output travels over WebSockets in binary frames rather than JSON: the bulk text is neither escaped on the
 * way out nor parsed on arrival, which is most of what a busy terminal costs both ends. Layout, big-endian:
 *
 *   u8 kind (1 = pty.data) | u32 terminal id | the output as UTF-8
 *
 * The output is the kernel's bytes as the pty gave them, never decoded and encoded again on the way, and reaches
 * the client's listeners as bytes too (payload.data a Uint8Array): xterm.js renders them as they are, a CLI writes
 * them out. Each frame ends with a whole character, so one that wants text can decode a frame on its own. The
 * client acknowledges what it got in the same unit: bytes.
 *
 * Its acknowledgements (pty.ack) go the other way in binary frames too, and get no answer: a flooding terminal is
 * acknowledged once per frame it sends, and an answer to each would double the messages, and the wake-ups of both
 * processes, that flow control costs. Layout, big-endian:
 *
 *   u8 kind (2 = pty.ack) | u32 terminal id | u32 amount (bytes of binary output, characters of text)
 *
 * Every other message stays a JSON text frame. In-process transports (memory, Electron MessagePorts) pass objects and
 * never see these frames.
 */
export const BINARY_FRAME_KIND = { ptyData: 1, ptyAck: 2 } as const;
export const BINARY_FRAME_HEADER_BYTES = 5;
export const ACK_FRAME_BYTES = 9;

const PTY_DATA_PREFIX = 'pty.data.';

/** The terminal a pty.data event is for, when this event goes out as a binary frame; undefined otherwise. */
export function binaryFrameTerminal(topic: string, payload: unknown): number | undefined {
  if (!topic.startsWith(PTY_DATA_PREFIX)) return undefined;
  const { terminal, data } = (payload ?? {}) as { terminal?: unknown; data?: unknown };
  if ((typeof data !== 'string' && !(data instanceof Uint8Array)) || typeof terminal !== 'number')
    return undefined;
  if (!Number.isInteger(terminal) || terminal < 1 || terminal > 0xffff_ffff) return undefined;
  return topic === `${PTY_DATA_PREFIX}${terminal}` ? terminal : undefined;
}

/**
 * Turns a binary frame back into the event it carries, its output as bytes (a view into the frame, not a copy);
 * undefined for anything malformed (ignored, never trusted).
 */
export function decodeBinaryFrame(
  bytes: Uint8Array,
): { topic: string; payload: { terminal: number; data: Uint8Array } } | undefined {
  if (bytes.byteLength < BINARY_FRAME_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== BINARY_FRAME_KIND.ptyData) return undefined;
  const terminal = view.getUint32(1);
  if (terminal === 0) return undefined;
  const data = bytes.subarray(BINARY_FRAME_HEADER_BYTES);
  return { topic: `${PTY_DATA_PREFIX}${terminal}`, payload: { terminal, data } };
}

const textDecoder = new TextDecoder('utf-8');

/** pty.data output as text, whichever way it came (each frame ends with a whole character; bad bytes become U+FFFD). */
export function terminalText(data: string | Uint8Array): string {
  return typeof data === 'string' ? data : textDecoder.decode(data);
}

/** A pty.ack as a binary frame; undefined for arguments pty.ack would refuse (they then go as a call, and fail). */
export function encodeAckFrame(terminal: number, chars: number): Uint8Array | undefined {
  const valid = (n: number, max: number): boolean => Number.isInteger(n) && n >= 1 && n <= max;
  if (!valid(terminal, 0xffff_ffff) || !valid(chars, 1e9)) return undefined;
  const frame = new Uint8Array(ACK_FRAME_BYTES);
  const view = new DataView(frame.buffer);
  view.setUint8(0, BINARY_FRAME_KIND.ptyAck);
  view.setUint32(1, terminal);
  view.setUint32(5, chars);
  return frame;
}

/** The pty.ack arguments a binary frame from a client carries; undefined for anything else. */
export function decodeAckFrame(bytes: Uint8Array): { terminal: number; chars: number } | undefined {
  if (bytes.byteLength !== ACK_FRAME_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== BINARY_FRAME_KIND.ptyAck) return undefined;
  const terminal = view.getUint32(1);
  const chars = view.getUint32(5);
  return terminal === 0 || chars === 0 ? undefined : { terminal, chars };
}
