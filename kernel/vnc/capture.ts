import { connect, type Socket } from 'node:net';
import { encodePng } from './png.js';

/** One frame of a display: 8-bit RGB rows, top to bottom. */
export interface Frame {
  width: number;
  height: number;
  rgb: Buffer;
}

/** Reads exact byte counts from a socket, whatever its chunking. */
class SocketReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.wake?.();
    });
    const end = (error?: Error) => {
      this.failure ??= error ?? new Error('the display closed the connection');
      this.wake?.();
    };
    socket.on('error', end);
    socket.on('close', () => end());
  }

  async read(count: number): Promise<Buffer> {
    while (this.length < count) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    const out = all.subarray(0, count);
    const rest = all.subarray(count);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return out;
  }
}

const RAW = 0;

/**
 * A viewer of its own that takes one frame: the RFB 3.8 handshake with security None (the display's socket is
 * reachable by the kernel alone), 32-bit true colour, Raw encoding, one full (non-incremental) update. Needs nothing
 * installed where the display runs. `socketPath` is followed as any path is: give Display.socketPath, in a folder only
 * the kernel can write, never a path in a display folder an agent can write.
 */
export async function captureFrame(socketPath: string, timeoutMs = 10_000): Promise<Frame> {
  const socket = connect({ path: socketPath });
  const timer = setTimeout(
    () => socket.destroy(new Error(`no frame from the display within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    const reader = new SocketReader(socket);
    const version = (await reader.read(12)).toString('latin1');
    if (!/^RFB 003\.00[78]\n$/.test(version))
      throw new Error(`not an RFB 3.7+ greeting: ${JSON.stringify(version)}`);
    socket.write('RFB 003.008\n');
    const count = (await reader.read(1))[0]!;
    if (count === 0) {
      const reason = await reader.read((await reader.read(4)).readUInt32BE(0));
      throw new Error(`the display refused the connection: ${reason.toString('utf8')}`);
    }
    const types = [...(await reader.read(count))];
    if (!types.includes(1))
      throw new Error(`the display asks for authentication (types ${types.join(', ')})`);
    socket.write(Buffer.from([1]));
    if ((await reader.read(4)).readUInt32BE(0) !== 0) throw new Error('the display refused security None');
    socket.write(Buffer.from([1])); // ClientInit: shared, so viewers stay connected
    const init = await reader.read(24);
    await reader.read(init.readUInt32BE(20)); // the desktop's name
    const width = init.readUInt16BE(0);
    const height = init.readUInt16BE(2);

    // 32 bits per pixel, little-endian, true colour with 8 bits each: bytes B, G, R, unused.
    const pixelFormat = Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    const setPixelFormat = Buffer.concat([Buffer.from([0, 0, 0, 0]), pixelFormat]);
    const setEncodings = Buffer.alloc(8);
    setEncodings.writeUInt8(2, 0);
    setEncodings.writeUInt16BE(1, 2);
    setEncodings.writeInt32BE(RAW, 4);
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0);
    request.writeUInt16BE(width, 6);
    request.writeUInt16BE(height, 8);
    socket.write(Buffer.concat([setPixelFormat, setEncodings, request]));

    const rgb = Buffer.alloc(width * height * 3);
    let covered = 0;
    while (covered < width * height) {
      const type = (await reader.read(1))[0]!;
      if (type === 0) {
        const rects = (await reader.read(3)).readUInt16BE(1);
        for (let i = 0; i < rects; i++) {
          const header = await reader.read(12);
          const [x, y, w, h] = [0, 2, 4, 6].map((at) => header.readUInt16BE(at)) as [
            number,
            number,
            number,
            number,
          ];
          const encoding = header.readInt32BE(8);
          if (encoding !== RAW) throw new Error(`the display sent encoding ${encoding}, not Raw`);
          const pixels = await reader.read(w * h * 4);
          blit(rgb, width, height, pixels, x, y, w, h);
          covered += w * h;
        }
        if (covered < width * height) socket.write(request); // some servers split a full update
      } else if (type === 1) {
        const header = await reader.read(5); // SetColourMapEntries: unused with true colour
        await reader.read(header.readUInt16BE(3) * 6);
      } else if (type === 2) {
        // Bell
      } else if (type === 3) {
        await reader.read((await reader.read(7)).readUInt32BE(3)); // ServerCutText
      } else {
        throw new Error(`unknown RFB server message ${type}`);
      }
    }
    return { width, height, rgb };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

function blit(
  rgb: Buffer,
  width: number,
  height: number,
  pixels: Buffer,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  for (let row = 0; row < h && y + row < height; row++) {
    let from = row * w * 4;
    let to = ((y + row) * width + x) * 3;
    for (let col = 0; col < w && x + col < width; col++, from += 4, to += 3) {
      rgb[to] = pixels[from + 2]!;
      rgb[to + 1] = pixels[from + 1]!;
      rgb[to + 2] = pixels[from]!;
    }
  }
}

/** The display's screen as a PNG. */
export async function screenshotPng(
  socketPath: string,
  timeoutMs?: number,
): Promise<{ width: number; height: number; png: Buffer }> {
  const frame = await captureFrame(socketPath, timeoutMs);
  return { width: frame.width, height: frame.height, png: encodePng(frame) };
}
