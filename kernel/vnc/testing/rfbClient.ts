import type WebSocket from 'ws';

/** Reads exact byte counts from a WebSocket's binary messages, whatever their framing. */
export class WsReader {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.wake?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  async read(count: number): Promise<Buffer> {
    while (this.buffer.length < count) {
      if (this.closed) throw new Error(`connection closed with ${this.buffer.length} of ${count} bytes`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const out = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return out;
  }
}

export interface ServerInit {
  width: number;
  height: number;
  bitsPerPixel: number;
  name: string;
}

/** A viewer's side of the RFB 3.8 handshake with security type None, as noVNC does it against x11vnc. */
export async function rfbHandshake(ws: WebSocket, reader: WsReader): Promise<ServerInit> {
  const version = (await reader.read(12)).toString('latin1');
  if (version !== 'RFB 003.008\n') throw new Error(`unexpected greeting ${JSON.stringify(version)}`);
  ws.send(Buffer.from(version, 'latin1'));
  const count = (await reader.read(1))[0]!;
  const types = [...(await reader.read(count))];
  if (!types.includes(1)) throw new Error(`security None not offered: ${types.join(',')}`);
  ws.send(Buffer.from([1]));
  const result = (await reader.read(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`security result ${result}`);
  ws.send(Buffer.from([1])); // ClientInit: shared
  const init = await reader.read(24);
  const name = await reader.read(init.readUInt32BE(20));
  return {
    width: init.readUInt16BE(0),
    height: init.readUInt16BE(2),
    bitsPerPixel: init[4]!,
    name: name.toString('utf8'),
  };
}

/** Asks for a full frame in raw encoding and reads it: the pixels' area, summed over the update's rectangles. */
export async function readFullFrame(ws: WebSocket, reader: WsReader, init: ServerInit): Promise<number> {
  const setEncodings = Buffer.from([2, 0, 0, 1, 0, 0, 0, 0]); // one encoding: Raw
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt8(0, 1); // not incremental: the whole screen
  request.writeUInt16BE(init.width, 6);
  request.writeUInt16BE(init.height, 8);
  ws.send(Buffer.concat([setEncodings, request]));
  for (;;) {
    const type = (await reader.read(1))[0]!;
    if (type !== 0) throw new Error(`unexpected server message ${type}`);
    const rects = (await reader.read(3)).readUInt16BE(1);
    let area = 0;
    for (let i = 0; i < rects; i++) {
      const header = await reader.read(12);
      const w = header.readUInt16BE(4);
      const h = header.readUInt16BE(6);
      const encoding = header.readInt32BE(8);
      if (encoding !== 0) throw new Error(`unexpected encoding ${encoding}`);
      await reader.read((w * h * init.bitsPerPixel) / 8);
      area += w * h;
    }
    if (area > 0) return area;
  }
}
