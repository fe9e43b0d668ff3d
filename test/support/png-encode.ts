import { crc32, deflateSync } from 'node:zlib';

/** A plain 8-bit RGB (3) or RGBA (4) PNG, filter 0 on every row (tests only: synthetic texture files). */
export function encodePng(width: number, height: number, channels: 3 | 4, data: Uint8Array): Buffer {
  if (data.length !== width * height * channels) throw new Error(`encodePng: ${data.length} bytes for ${width}x${height}x${channels}`);
  const raw = Buffer.alloc(height * (1 + width * channels));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width * channels, (y + 1) * width * channels), y * (1 + width * channels) + 1);
  const chunk = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, channels === 4 ? 6 : 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
