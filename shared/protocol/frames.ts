/**
 * Terminal output travels over WebSockets in binary frames rather than JSON: the bulk text is neither escaped on the
 * way out nor parsed on arrival, which is most of what a busy terminal costs both ends. Layout, big-endian:
 *
 *   u8 kind (1 = pty.data) | u32 terminal id | the output as UTF-8
 *
 * Every other message stays a JSON text frame. In-process transports (memory, Electron MessagePorts) pass objects and
 * never see these frames.
 */
export const BINARY_FRAME_KIND = { ptyData: 1 } as const;
export const BINARY_FRAME_HEADER_BYTES = 5;

const PTY_DATA_PREFIX = 'pty.data.';

/** The terminal a pty.data event is for, when this event goes out as a binary frame; undefined otherwise. */
export function binaryFrameTerminal(topic: string, payload: unknown): number | undefined {
  if (!topic.startsWith(PTY_DATA_PREFIX)) return undefined;
  const { terminal, data } = (payload ?? {}) as { terminal?: unknown; data?: unknown };
  if (typeof data !== 'string' || typeof terminal !== 'number') return undefined;
  if (!Number.isInteger(terminal) || terminal < 1 || terminal > 0xffff_ffff) return undefined;
  return topic === `${PTY_DATA_PREFIX}${terminal}` ? terminal : undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Turns a binary frame back into the event it carries; undefined for anything malformed (ignored, never trusted). */
export function decodeBinaryFrame(bytes: Uint8Array): { topic: string; payload: unknown } | undefined {
  if (bytes.byteLength < BINARY_FRAME_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== BINARY_FRAME_KIND.ptyData) return undefined;
  const terminal = view.getUint32(1);
  if (terminal === 0) return undefined;
  let data: string;
  try {
    data = decoder.decode(bytes.subarray(BINARY_FRAME_HEADER_BYTES));
  } catch {
    return undefined; // not UTF-8: the kernel never cuts a character in two, so this is not ours
  }
  return { topic: `${PTY_DATA_PREFIX}${terminal}`, payload: { terminal, data } };
}
