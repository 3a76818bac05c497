import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../test/png.js';
import { captureFrame, screenshotPng } from './capture.js';
import { encodePng } from './png.js';
import { startFakeDisplay, type FakeConnection } from './testing/fakeDisplay.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** A raw rectangle of 32-bit little-endian pixels (B, G, R, x) in one colour. */
function rect(x: number, y: number, w: number, h: number, [r, g, b]: number[]): Buffer {
  const pixels = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) pixels.set([b!, g!, r!, 0], i * 4);
  return Buffer.concat([u16(x), u16(y), u16(w), u16(h), u32(0), pixels]);
}

/** A server's side of the handshake: version, security None, result, ServerInit for a w×h screen. */
async function serve(connection: FakeConnection, width: number, height: number): Promise<void> {
  connection.socket.write('RFB 003.008\n');
  await connection.waitForBytes(12);
  connection.socket.write(Buffer.from([2, 2, 1])); // VNC auth and None offered
  await connection.waitForBytes(13);
  connection.socket.write(u32(0));
  await connection.waitForBytes(14); // ClientInit
  const name = Buffer.from('fake');
  connection.socket.write(Buffer.concat([u16(width), u16(height), Buffer.alloc(16), u32(name.length), name]));
  // SetPixelFormat (20), SetEncodings (8), FramebufferUpdateRequest (10)
  await connection.waitForBytes(14 + 20 + 8 + 10);
}

describe('a frame from a display socket, as a PNG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'habitat-capture-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('asks for 32-bit true colour in Raw, and assembles an update split in rectangles and in two updates', async () => {
    const display = await startFakeDisplay(join(dir, 'split.sock'), (c) => {
      void (async () => {
        await serve(c, 4, 3);
        const asked = c.received();
        expect(asked.subarray(0, 12).toString()).toBe('RFB 003.008\n');
        expect([...asked.subarray(12, 14)]).toEqual([1, 1]); // security None, shared
        const setPixelFormat = asked.subarray(14, 34);
        expect([...setPixelFormat.subarray(4, 8)]).toEqual([32, 24, 0, 1]);
        expect([...asked.subarray(34, 42)]).toEqual([2, 0, 0, 1, 0, 0, 0, 0]); // Raw only
        expect(asked[42]).toBe(3); // a request...
        expect(asked[43]).toBe(0); // ...for the whole screen
        // a Bell and a clipboard interleaved, the top two rows in one update, the last row in another
        c.socket.write(Buffer.from([2]));
        c.socket.write(Buffer.concat([Buffer.from([3, 0, 0, 0]), u32(2), Buffer.from('hi')]));
        c.socket.write(
          Buffer.concat([
            Buffer.from([0, 0]),
            u16(2),
            rect(0, 0, 4, 1, [255, 0, 0]),
            rect(0, 1, 4, 1, [0, 255, 0]),
          ]),
        );
        await c.waitForBytes(52 + 10); // a second request, for what is missing
        c.socket.write(Buffer.concat([Buffer.from([0, 0]), u16(1), rect(0, 2, 4, 1, [0, 0, 255])]));
      })();
    });
    try {
      const frame = await captureFrame(display.path);
      expect([frame.width, frame.height]).toEqual([4, 3]);
      expect([...frame.rgb.subarray(0, 3)]).toEqual([255, 0, 0]);
      expect([...frame.rgb.subarray(12, 15)]).toEqual([0, 255, 0]);
      expect([...frame.rgb.subarray(33, 36)]).toEqual([0, 0, 255]);
    } finally {
      await display.close();
    }
  });

  it('fails with a reason: no greeting in time, a refusal, a password-only display', async () => {
    const silent = await startFakeDisplay(join(dir, 'silent.sock'));
    const refusing = await startFakeDisplay(join(dir, 'refusing.sock'), (c) => {
      c.socket.write('RFB 003.008\n');
      c.socket.write(Buffer.concat([Buffer.from([0]), u32(4), Buffer.from('busy')]));
    });
    const password = await startFakeDisplay(join(dir, 'password.sock'), (c) => {
      c.socket.write('RFB 003.008\n');
      c.socket.write(Buffer.from([1, 2]));
    });
    try {
      await expect(captureFrame(silent.path, 300)).rejects.toThrow('no frame from the display within 300 ms');
      await expect(captureFrame(refusing.path)).rejects.toThrow('refused the connection: busy');
      await expect(captureFrame(password.path)).rejects.toThrow('asks for authentication');
      await expect(captureFrame(join(dir, 'none.sock'))).rejects.toThrow(/ENOENT/);
    } finally {
      await Promise.all([silent.close(), refusing.close(), password.close()]);
    }
  });

  it('encodes PNGs that decode to the same pixels, with valid chunk CRCs', async () => {
    const width = 37;
    const height = 23;
    const rgb = Buffer.alloc(width * height * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + (i >> 5)) & 0xff;
    const png = encodePng({ width, height, rgb });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    for (let at = 8; at < png.length;) {
      const length = png.readUInt32BE(at);
      expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
      at += 12 + length;
    }
    expect(decodePng(png)).toEqual({ width, height, rgb });

    const display = await startFakeDisplay(join(dir, 'png.sock'), (c) => {
      void serve(c, 2, 1).then(() =>
        c.socket.write(Buffer.concat([Buffer.from([0, 0]), u16(1), rect(0, 0, 2, 1, [1, 2, 3])])),
      );
    });
    try {
      const shot = await screenshotPng(display.path);
      expect(decodePng(shot.png)).toEqual({ width: 2, height: 1, rgb: Buffer.from([1, 2, 3, 1, 2, 3]) });
    } finally {
      await display.close();
    }
  });
});
