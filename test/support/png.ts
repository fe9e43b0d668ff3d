/**
 * A minimal PNG decoder for tests (Node only): 8-bit RGB or RGBA, non-interlaced, any of the five filter types.
 * Enough for the lossless fixtures; anything else is refused loudly rather than decoded wrongly.
 */
import { crc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA), as stored in the file. */
  channels: 3 | 4;
  /** Interleaved pixels, row-major, `channels` bytes per pixel. */
  data: Uint8Array;
  /** Length of the inflated IDAT stream: height·(1 + width·channels) for a valid file. */
  inflatedLength: number;
  /** How many rows use filter 0 (None), 1 (Sub), 2 (Up), 3 (Average), 4 (Paeth). */
  filterCounts: [number, number, number, number, number];
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function decodePngBytes(bytes: Uint8Array): DecodedPng {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error('not a PNG (bad signature)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (at + 12 <= bytes.length) {
    const length = dv.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw new Error(`chunk ${type} runs past the end of the file`);
    const body = bytes.subarray(at + 8, at + 8 + length);
    const crc = dv.getUint32(at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== crc) throw new Error(`chunk ${type}: CRC mismatch`);
    if (type === 'IHDR') {
      const h = new DataView(body.buffer, body.byteOffset, body.byteLength);
      header = { width: h.getUint32(0), height: h.getUint32(4), bitDepth: body[8], colorType: body[9], interlace: body[12] };
      if (body[10] !== 0 || body[11] !== 0) throw new Error('unknown compression or filter method');
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      ended = true;
      break;
    } else if (type === 'PLTE') {
      throw new Error('palette PNGs are not supported');
    }
    at += 12 + length;
  }
  if (!header) throw new Error('no IHDR chunk');
  if (!ended) throw new Error('no IEND chunk');
  const { width, height, bitDepth, colorType, interlace } = header;
  if (bitDepth !== 8) throw new Error(`bit depth ${bitDepth} not supported (8 only)`);
  if (colorType !== 2 && colorType !== 6) throw new Error(`colour type ${colorType} not supported (RGB or RGBA only)`);
  if (interlace !== 0) throw new Error('interlaced PNGs are not supported');
  const channels = colorType === 2 ? 3 : 4;
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`IDAT inflates to ${raw.length} bytes, expected ${height * (stride + 1)}`);

  const data = new Uint8Array(height * stride);
  const filterCounts: DecodedPng['filterCounts'] = [0, 0, 0, 0, 0];
  const bpp = channels;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    if (filter > 4) throw new Error(`row ${y}: unknown filter type ${filter}`);
    filterCounts[filter]++;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride; // only read when y > 0
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? data[row + i - bpp] : 0; // left
      const b = y > 0 ? data[prev + i] : 0; // above
      const c = i >= bpp && y > 0 ? data[prev + i - bpp] : 0; // upper left
      let predictor: number;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) >> 1;
          break;
        default:
          predictor = paeth(a, b, c);
      }
      data[row + i] = (raw[src + i] + predictor) & 0xff;
    }
  }
  return { width, height, channels, data, inflatedLength: raw.length, filterCounts };
}

/** The Paeth predictor of the PNG specification (ties: a, then b, then c). */
export function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}
