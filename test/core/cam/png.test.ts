import { describe, expect, it } from 'vitest';
import { crc32, deflateSync } from 'node:zlib';
import { decodePngBytes, paeth } from '../../support/png';
import { cleanImages, decodePng } from '../../support/cam-reference';
import { describeFixtures } from '../../support/fixtures';

/** A PNG encoder for the test: row y uses filter `filters[y % filters.length]`, applied as the spec defines it. */
function encodePng(width: number, height: number, channels: 3 | 4, data: Uint8Array, filters: number[], opts: { bitDepth?: number; interlace?: number } = {}): Uint8Array {
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const ft = filters[y % filters.length];
    raw[y * (stride + 1)] = ft;
    for (let i = 0; i < stride; i++) {
      const x = data[y * stride + i];
      const a = i >= channels ? data[y * stride + i - channels] : 0;
      const b = y > 0 ? data[(y - 1) * stride + i] : 0;
      const c = i >= channels && y > 0 ? data[(y - 1) * stride + i - channels] : 0;
      const pred = [0, a, b, Math.floor((a + b) / 2), paethSpec(a, b, c)][ft];
      raw[y * (stride + 1) + 1 + i] = (x - pred + 256) % 256;
    }
  }
  const chunk = (type: string, body: Uint8Array) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(body).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = opts.bitDepth ?? 8;
  ihdr[9] = channels === 3 ? 2 : 6;
  ihdr[12] = opts.interlace ?? 0;
  const z = deflateSync(raw);
  // Split the stream over two IDAT chunks, as encoders often do.
  const half = Math.floor(z.length / 2);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', z.subarray(0, half)),
    chunk('IDAT', z.subarray(half)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Paeth as written in the PNG specification (section 9.4), kept separate from the decoder's. */
function paethSpec(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function pattern(n: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: n }, (_, i) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return i % 7 === 0 ? 255 : (s >>> 16) & 0xff; // noise plus runs of 255 to exercise wrap-around
  });
}

describe('decodePngBytes', () => {
  it('round-trips RGB and RGBA images through all five filter types', () => {
    for (const channels of [3, 4] as const) {
      const w = 13;
      const h = 11;
      const data = pattern(w * h * channels, channels);
      const png = encodePng(w, h, channels, data, [0, 1, 2, 3, 4, 4, 3, 2, 1]);
      const out = decodePngBytes(png);
      expect(out).toMatchObject({ width: w, height: h, channels, inflatedLength: h * (w * channels + 1) });
      expect(out.filterCounts).toEqual([2, 3, 2, 2, 2]); // 11 rows over the cycle 0 1 2 3 4 4 3 2 1
      expect(Buffer.from(out.data).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('has the specification’s Paeth tie-breaking (a, then b, then c)', () => {
    expect(paeth(4, 2, 0)).toBe(4); // p = 6: |p−a| = 2 is the smallest
    expect(paeth(2, 6, 0)).toBe(6); // p = 8: |p−b| = 2
    expect(paeth(10, 20, 15)).toBe(15); // p = 15 = c
    for (let a = 0; a < 9; a++) for (let b = 0; b < 9; b++) for (let c = 0; c < 9; c++) expect(paeth(a * 31, b * 29, c * 37)).toBe(paethSpec(a * 31, b * 29, c * 37));
  });

  it('refuses what it does not decode, and corrupt chunks', () => {
    const data = pattern(4 * 4 * 3, 9);
    expect(() => decodePngBytes(encodePng(4, 4, 3, data, [0], { interlace: 1 }))).toThrow(/interlaced/);
    expect(() => decodePngBytes(encodePng(4, 4, 3, data, [0], { bitDepth: 16 }))).toThrow(/bit depth/);
    const bad = encodePng(4, 4, 3, data, [1]);
    bad[40] ^= 0xff;
    expect(() => decodePngBytes(bad)).toThrow(/CRC|IDAT|inflat|invalid|incorrect/i);
    expect(() => decodePngBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/signature/);
  });
});

describeFixtures('decodePng on the clean fixture crops', () => {
  it('decodes the first 20 clean PNGs: 224×224 RGB, IDAT inflating to 224·(1 + 224·3) bytes', () => {
    const images = cleanImages(20);
    expect(images).toHaveLength(20);
    expect(images[0].stem).toBe('n01630670_common_newt');
    const filtersSeen = new Set<number>();
    for (const im of images) {
      const d = decodePng(im.path);
      expect([d.width, d.height, d.channels]).toEqual([224, 224, 3]);
      expect(d.inflatedLength).toBe(224 * (1 + 224 * 3));
      expect(d.rgba.length).toBe(224 * 224 * 4);
      d.filterCounts.forEach((n, ft) => n > 0 && filtersSeen.add(ft));
    }
    // The fixtures use several filters (Sub and Paeth at least), so the reconstruction paths are exercised.
    expect(filtersSeen.has(1) && filtersSeen.has(4)).toBe(true);
  });
});
