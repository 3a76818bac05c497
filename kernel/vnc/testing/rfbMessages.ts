/** Builders for RFB client messages, as a viewer such as noVNC sends them (RFC 6143 §7.5). */

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const s32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export const rfb = {
  version: (v = '003.008') => Buffer.from(`RFB ${v}\n`, 'latin1'),
  securityType: (type: number) => Buffer.from([type]),
  vncAuthResponse: () => Buffer.alloc(16, 0xab),
  clientInit: (shared: boolean) => Buffer.from([shared ? 1 : 0]),
  setPixelFormat: () =>
    Buffer.concat([
      Buffer.from([0, 0, 0, 0]),
      Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]),
    ]),
  setEncodings: (encodings: number[]) =>
    Buffer.concat([Buffer.from([2, 0]), u16(encodings.length), ...encodings.map((e) => s32(e))]),
  updateRequest: (incremental: boolean) =>
    Buffer.concat([Buffer.from([3, incremental ? 1 : 0]), u16(0), u16(0), u16(1024), u16(768)]),
  key: (down: boolean, keysym: number) => Buffer.concat([Buffer.from([4, down ? 1 : 0, 0, 0]), u32(keysym)]),
  pointer: (mask: number, x: number, y: number) => Buffer.concat([Buffer.from([5, mask]), u16(x), u16(y)]),
  cutText: (text: string) => {
    const bytes = Buffer.from(text, 'latin1');
    return Buffer.concat([Buffer.from([6, 0, 0, 0]), u32(bytes.length), bytes]);
  },
  /** The extended-clipboard form: a negative length, |length| payload bytes. */
  extendedCutText: (payload: Buffer) =>
    Buffer.concat([Buffer.from([6, 0, 0, 0]), s32(-payload.length), payload]),
  continuousUpdates: (enable: boolean) =>
    Buffer.concat([Buffer.from([150, enable ? 1 : 0]), u16(0), u16(0), u16(1024), u16(768)]),
  fence: (payload: Buffer) =>
    Buffer.concat([Buffer.from([248, 0, 0, 0]), u32(0x80000000), Buffer.from([payload.length]), payload]),
  setDesktopSize: (screens: number) =>
    Buffer.concat([
      Buffer.from([251, 0]),
      u16(800),
      u16(600),
      Buffer.from([screens, 0]),
      Buffer.alloc(16 * screens, 1),
    ]),
  xvp: (code: number) => Buffer.from([250, 0, 1, code]),
  qemuKey: (down: boolean, keysym: number, keycode: number) =>
    Buffer.concat([Buffer.from([255, 0]), u16(down ? 1 : 0), u32(keysym), u32(keycode)]),
};

/** A handshake with security type None, as noVNC sends it to x11vnc. */
export function handshake(shared = true): Buffer {
  return Buffer.concat([rfb.version(), rfb.securityType(1), rfb.clientInit(shared)]);
}
