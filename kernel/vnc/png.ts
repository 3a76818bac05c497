import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const RGB = 2;
const FILTER_UP = 2;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * 8-bit RGB to PNG, with nothing but zlib: each row filtered with Up (a screen's rows repeat each other: flat
 * backgrounds, window borders), then deflated at a speed-minded level.
 */
export function encodePng(image: { width: number; height: number; rgb: Buffer }): Buffer {
  const { width, height, rgb } = image;
  const stride = width * 3;
  if (rgb.length !== stride * height)
    throw new Error(`${rgb.length} bytes is not a ${width}x${height} RGB image`);
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const out = y * (stride + 1);
    raw[out] = FILTER_UP;
    const row = y * stride;
    if (y === 0) {
      rgb.copy(raw, out + 1, 0, stride);
      continue;
    }
    for (let i = 0; i < stride; i++) raw[out + 1 + i] = (rgb[row + i]! - rgb[row - stride + i]!) & 0xff;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(RGB, 9);
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 4 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
