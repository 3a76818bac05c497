/**
 * The client-to-server half of RFB (RFC 6143), tracked so a view-only connection can drop input and forward the rest.
 * It fails closed: a handshake or message it does not know makes it stop, because guessing a length wrong would let
 * input bytes through inside what it took for another message.
 */

interface MessageRule {
  /** Bytes needed before the message's total length is known. */
  header: number;
  /** The whole message's length, read from its header; undefined when the variant is not understood. */
  length(data: Buffer, at: number): number | undefined;
  /** Whether a view-only client may send it. */
  pass: boolean;
}

const fixed = (length: number, pass: boolean): MessageRule => ({ header: 1, length: () => length, pass });

/** Client message types: the RFC's and the extensions noVNC negotiates. */
export const RFB_CLIENT_MESSAGES: ReadonlyMap<number, MessageRule> = new Map([
  [0, fixed(20, true)], // SetPixelFormat
  [2, { header: 4, length: (d, i) => 4 + 4 * d.readUInt16BE(i + 2), pass: true }], // SetEncodings
  [3, fixed(10, true)], // FramebufferUpdateRequest
  [4, fixed(8, false)], // KeyEvent
  [5, fixed(6, false)], // PointerEvent
  // ClientCutText; a negative length is the extended-clipboard form, whose payload is |length| bytes
  [6, { header: 8, length: (d, i) => 8 + Math.abs(d.readInt32BE(i + 4)), pass: false }],
  [150, fixed(10, true)], // EnableContinuousUpdates
  [248, { header: 9, length: (d, i) => 9 + d.readUInt8(i + 8), pass: true }], // ClientFence
  [250, fixed(4, false)], // xvp: shutdown, reboot, reset
  [251, { header: 8, length: (d, i) => 8 + 16 * d.readUInt8(i + 6), pass: false }], // SetDesktopSize
  [255, { header: 2, length: (d, i) => (d.readUInt8(i + 1) === 0 ? 12 : undefined), pass: false }], // QEMU key
]);

type Phase = 'version' | 'security' | 'clientInit' | 'messages' | 'failed';

const VERSION = /^RFB 003\.00[78]\n$/;
const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;
const VNC_AUTH_RESPONSE_BYTES = 16;
const SHARED = Buffer.from([1]);

/**
 * Filters a view-only client's byte stream. push() takes each chunk as it arrives and returns what may go to the
 * display, in order; message boundaries may fall anywhere. Bodies stream through without being buffered, so a huge
 * clipboard or encoding list costs no memory; only a header split across chunks (a few bytes) is held back.
 */
export class RfbViewFilter {
  private phase: Phase = 'version';
  private held: Buffer = Buffer.alloc(0);
  /** Bytes of the current message still to come, and whether they are forwarded or dropped. */
  private remaining = 0;
  private forwarding = true;
  /** Why the filter stopped; set once, after which it forwards nothing. */
  error: string | undefined;
  /** Input messages dropped so far. */
  dropped = 0;

  push(chunk: Buffer): Buffer {
    if (this.phase === 'failed') return EMPTY;
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = EMPTY;
    const out: Buffer[] = [];
    let at = 0;
    while (at < data.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - at);
        if (this.forwarding) out.push(data.subarray(at, at + n));
        this.remaining -= n;
        at += n;
        continue;
      }
      const need = this.bytesNeeded(data, at);
      if (need === undefined) break; // failed
      if (data.length - at < need) {
        this.held = Buffer.from(data.subarray(at)); // a copy: the caller's chunk may be reused
        break;
      }
      at = this.step(data, at, out);
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Bytes that must be present to take the next step; undefined after failing. */
  private bytesNeeded(data: Buffer, at: number): number | undefined {
    switch (this.phase) {
      case 'version':
        return 12;
      case 'security':
      case 'clientInit':
        return 1;
      case 'messages': {
        const rule = RFB_CLIENT_MESSAGES.get(data[at]!);
        if (!rule) return this.fail(`unknown RFB client message type ${data[at]}`);
        return rule.header;
      }
      case 'failed':
        return undefined;
    }
  }

  /** Takes one step with enough bytes at hand; returns the new offset. */
  private step(data: Buffer, at: number, out: Buffer[]): number {
    switch (this.phase) {
      case 'version': {
        const version = data.subarray(at, at + 12);
        // 3.3 lets the server choose the security type unseen by this half of the stream: refused, not guessed.
        if (!VERSION.test(version.toString('latin1'))) {
          this.fail(`unsupported RFB version ${JSON.stringify(version.toString('latin1'))}`);
          return data.length;
        }
        out.push(version);
        this.phase = 'security';
        return at + 12;
      }
      case 'security': {
        const type = data[at]!;
        if (type !== SECURITY_NONE && type !== SECURITY_VNC_AUTH) {
          this.fail(`unsupported RFB security type ${type}`);
          return data.length;
        }
        out.push(data.subarray(at, at + 1));
        this.phase = 'clientInit';
        if (type === SECURITY_VNC_AUTH) this.expect(VNC_AUTH_RESPONSE_BYTES, true);
        return at + 1;
      }
      case 'clientInit':
        // A viewer must not be able to ask for exclusive access, which would disconnect everyone else.
        out.push(SHARED);
        this.phase = 'messages';
        return at + 1;
      case 'messages': {
        const rule = RFB_CLIENT_MESSAGES.get(data[at]!)!;
        const length = rule.length(data, at);
        if (length === undefined) {
          this.fail(`unsupported variant of RFB client message type ${data[at]}`);
          return data.length;
        }
        if (!rule.pass) this.dropped++;
        this.expect(length, rule.pass);
        return at;
      }
      case 'failed':
        return data.length;
    }
  }

  private expect(bytes: number, forward: boolean): void {
    this.remaining = bytes;
    this.forwarding = forward;
  }

  private fail(reason: string): undefined {
    this.phase = 'failed';
    this.error = reason;
    this.held = EMPTY;
    return undefined;
  }
}

const EMPTY = Buffer.alloc(0);
