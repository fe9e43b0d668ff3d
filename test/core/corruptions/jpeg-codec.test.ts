/**
 * The pure-TS JPEG codec (src/core/corruptions/jpeg) against Pillow 9.4.0 / libjpeg-turbo 2.1.5. The expected
 * values come from test/data/small/make-jpeg-decode-reference.py (run once with /usr/bin/python3; the tests never
 * run Python): sha256 of Pillow's decoded RGB for fixture JPEGs, sha256 of Pillow's saved files and their decodes.
 * Everything is required to be exact. The last test also re-encodes the reference PNGs with `optimize` and requires
 * the ImageNet-C files of imagenet-c-mini (Pillow `save(quality=85, optimize=True)`) byte for byte.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFixtures, fixture, PROJECT_ROOT } from '../../support/fixtures';
import { decodePngBytes } from '../../support/png';
import { psnr } from '../../support/image-metrics';
import { decodeJpeg, encodeJpeg, quantTablesForQuality, type ChromaSubsampling } from '../../../src/core/corruptions/jpeg/index';

interface Reference {
  decode: {
    path: string;
    width: number;
    height: number;
    mode: string;
    file_sha256: string;
    rgb_sha256: string;
    samples: [number, number, number, number][];
  }[];
  encode: {
    source: string;
    crop: [number, number, number, number];
    quality: number;
    subsampling: ChromaSubsampling;
    optimize: boolean;
    file_sha256: string;
    file_length: number;
    decoded_sha256: string;
  }[];
  embedded: { name: string; width: number; height: number; base64: string; rgb_sha256: string | null }[];
  flat_32x16_200_120_40: { quality: number; rgb: number[] }[];
}

const REF: Reference = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/data/small/jpeg-decode-reference.json'), 'utf8'));

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function synthetic(w: number, h: number, seed = 1): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const i = (y * w + x) * 3;
      out[i] = (x * 255) / Math.max(1, w - 1);
      out[i + 1] = (y * 255) / Math.max(1, h - 1);
      out[i + 2] = 128 + 60 * Math.sin(x / 5 + y / 7) + ((s >>> 24) & 15);
    }
  }
  return out;
}

function crop(rgb: Uint8Array, width: number, x0: number, y0: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(rgb.subarray(((y0 + y) * width + x0) * 3, ((y0 + y) * width + x0 + w) * 3), y * w * 3);
  return out;
}

describe('jpeg codec: structure and round trip', () => {
  it('quality scaling follows jpeg_quality_scaling / force_baseline', () => {
    const [l50, c50] = quantTablesForQuality(50);
    expect(l50[0]).toBe(16);
    expect(c50[63]).toBe(99);
    const [l100] = quantTablesForQuality(100);
    expect([...l100].every((v) => v === 1)).toBe(true);
    const [l1] = quantTablesForQuality(1);
    expect([...l1].every((v) => v === 255)).toBe(true);
    expect(quantTablesForQuality(85)[0][0]).toBe(5); // (16·30 + 50) / 100
  });

  it('writes a baseline JFIF file (SOI, APP0, 2×DQT, SOF0 4:2:0, 4×DHT, SOS … EOI)', () => {
    const bytes = encodeJpeg(synthetic(40, 24), 40, 24, 85);
    const markers: number[] = [];
    let p = 2;
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    while (p < bytes.length) {
      const m = bytes[p + 1];
      markers.push(m);
      if (m === 0xda) break;
      p += 2 + ((bytes[p + 2] << 8) | bytes[p + 3]);
    }
    expect(markers).toEqual([0xe0, 0xdb, 0xdb, 0xc0, 0xc4, 0xc4, 0xc4, 0xc4, 0xda]);
    expect([bytes[bytes.length - 2], bytes[bytes.length - 1]]).toEqual([0xff, 0xd9]);
  });

  it('decode(encode(x)) keeps the size and is close to x; sizes that are not multiples of 16 work', () => {
    for (const [w, h] of [
      [64, 48],
      [1, 1],
      [2, 3],
      [17, 9],
      [45, 31],
    ] as const) {
      const rgb = synthetic(w, h, w * 31 + h);
      for (const sub of ['4:2:0', '4:2:2', '4:4:4'] as const) {
        const dec = decodeJpeg(encodeJpeg(rgb, w, h, 95, { subsampling: sub }));
        expect([dec.width, dec.height, dec.data.length]).toEqual([w, h, w * h * 3]);
        if (w < 16) continue; // a 2-pixel colour ramp cannot survive chroma subsampling
        const p = psnr({ width: w, height: h, channels: 3, data: dec.data }, { width: w, height: h, channels: 3, data: rgb });
        expect(p, `${w}x${h} ${sub}`).toBeGreaterThan(sub === '4:4:4' ? 34 : 28);
      }
    }
  });

  it('a flat image comes back flat, in the colour Pillow returns, at every quality', () => {
    const rgb = new Uint8Array(32 * 16 * 3);
    for (let i = 0; i < rgb.length; i += 3) rgb.set([200, 120, 40], i);
    for (const { quality, rgb: expected } of REF.flat_32x16_200_120_40) {
      const dec = decodeJpeg(encodeJpeg(rgb, 32, 16, quality));
      const first = [...dec.data.subarray(0, 3)];
      expect(dec.data.every((v, i) => v === first[i % 3]), `q${quality}`).toBe(true);
      expect(first, `q${quality}`).toEqual(expected);
    }
  });

  it('refuses what it does not decode', () => {
    expect(() => decodeJpeg(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toThrow(/SOI/);
    const progressive = REF.embedded.find((e) => e.rgb_sha256 === null)!;
    expect(() => decodeJpeg(new Uint8Array(Buffer.from(progressive.base64, 'base64')))).toThrow(/progressive/);
    expect(() => encodeJpeg(new Uint8Array(5), 2, 2, 85)).toThrow(RangeError);
  });

  it('a truncated file decodes leniently, like libjpeg (missing data reads as zeros), and never hangs', () => {
    const file = encodeJpeg(synthetic(48, 40), 48, 40, 85);
    let sos = 2;
    while (file[sos + 1] !== 0xda) sos += 2 + ((file[sos + 2] << 8) | file[sos + 3]);
    const data = sos + 14; // SOS segment of a 3-component scan: marker + 12 bytes
    for (const keep of [0, 0.3, 0.7, 0.99]) {
      const dec = decodeJpeg(file.subarray(0, data + Math.floor((file.length - data) * keep)));
      expect([dec.width, dec.height, dec.data.length]).toEqual([48, 40, 48 * 40 * 3]);
    }
    expect(() => decodeJpeg(file.subarray(0, 100))).toThrow(/no scan|truncated/);
  });

  it('embedded Pillow / cjpeg files decode exactly like Pillow (greyscale, optimised tables, 4:4:4, 4:2:2, 4:4:0, 4:1:1, RGB, restart markers, single-component scans)', () => {
    expect(REF.embedded.filter((e) => e.rgb_sha256 !== null).length).toBeGreaterThanOrEqual(13);
    for (const e of REF.embedded) {
      if (e.rgb_sha256 === null) continue;
      const dec = decodeJpeg(new Uint8Array(Buffer.from(e.base64, 'base64')));
      expect([dec.width, dec.height], e.name).toEqual([e.width, e.height]);
      expect(sha256(dec.data), e.name).toBe(e.rgb_sha256);
    }
  });
});

describeFixtures('jpeg codec vs Pillow 9.4 / libjpeg-turbo 2.1.5 on fixture files', () => {
  it('quantisation tables equal corruption-reference/tables/jpeg_quant_tables.json (natural order)', () => {
    const tables = JSON.parse(readFileSync(fixture('corruption-reference', 'tables', 'jpeg_quant_tables.json'), 'utf8')) as Record<
      string,
      { quality: number; tables_zigzag: Record<string, number[]> }
    >;
    for (const s of ['1', '2', '3', '4', '5']) {
      const [l, c] = quantTablesForQuality(tables[s].quality);
      expect([...l], `sev ${s} luma`).toEqual(tables[s].tables_zigzag['0']);
      expect([...c], `sev ${s} chroma`).toEqual(tables[s].tables_zigzag['1']);
    }
  });

  it('decodeJpeg equals Pillow on ImageNet-C (q85 optimize=True) and ImageNet val files (4:4:4, 4:2:2, 4:2:0, greyscale, odd sizes)', () => {
    const lines: string[] = [];
    for (const r of REF.decode) {
      const bytes = new Uint8Array(readFileSync(fixture(r.path)));
      expect(sha256(bytes), `${r.path} changed`).toBe(r.file_sha256);
      const t0 = performance.now();
      const dec = decodeJpeg(bytes);
      const ms = performance.now() - t0;
      expect([dec.width, dec.height], r.path).toEqual([r.width, r.height]);
      let bad = 0;
      for (const [i, red, g, b] of r.samples) if (dec.data[i * 3] !== red || dec.data[i * 3 + 1] !== g || dec.data[i * 3 + 2] !== b) bad++;
      expect(bad, `${r.path}: sampled pixels differing`).toBe(0);
      expect(sha256(dec.data), r.path).toBe(r.rgb_sha256);
      lines.push(`${r.path.padEnd(72)} ${r.width}x${r.height} ${r.mode.padEnd(3)} exact  ${ms.toFixed(1)} ms`);
    }
    console.log(`[jpeg decode vs Pillow]\n${lines.join('\n')}`);
  });

  it('encodeJpeg writes the same bytes as Pillow save(quality=q[, subsampling][, optimize]) and decodes to the same pixels', () => {
    const clean = new Map<string, { width: number; data: Uint8Array }>();
    const lines: string[] = [];
    for (const e of REF.encode) {
      let img = clean.get(e.source);
      if (!img) {
        const png = decodePngBytes(new Uint8Array(readFileSync(fixture(e.source))));
        expect(png.channels).toBe(3);
        img = { width: png.width, data: png.data };
        clean.set(e.source, img);
      }
      const [x, y, w, h] = e.crop;
      const rgb = crop(img.data, img.width, x, y, w, h);
      const name = `${e.source.split('/').pop()} crop ${w}x${h}+${x}+${y} q${e.quality} ${e.subsampling}${e.optimize ? ' optimize' : ''}`;
      const t0 = performance.now();
      const file = encodeJpeg(rgb, w, h, e.quality, { subsampling: e.subsampling, optimize: e.optimize });
      const t1 = performance.now();
      const dec = decodeJpeg(file);
      const t2 = performance.now();
      expect(file.length, name).toBe(e.file_length);
      expect(sha256(file), name).toBe(e.file_sha256);
      expect(sha256(dec.data), name).toBe(e.decoded_sha256);
      lines.push(`${name.padEnd(73)} ${String(file.length).padStart(5)} B  encode ${(t1 - t0).toFixed(1)} ms  decode ${(t2 - t1).toFixed(1)} ms`);
    }
    console.log(`[jpeg encode vs Pillow: byte-identical files]\n${lines.join('\n')}`);
  });

  it('encodeJpeg(q85, optimize) of the reference PNGs reproduces the ImageNet-C files of imagenet-c-mini byte for byte', () => {
    // corruption-reference/<c>/<s>/<key>.png is the corrupted image before ImageNet-C's save(quality=85, optimize=True).
    const names = ['brightness', 'contrast', 'saturate', 'pixelate', 'gaussian_blur', 'defocus_blur', 'zoom_blur', 'motion_blur', 'frost', 'jpeg_compression'];
    let checked = 0;
    for (const name of names) {
      for (const s of ['1', '5']) {
        for (const wnid of readdirSync(fixture('corruption-reference', name, s))) {
          for (const f of readdirSync(fixture('corruption-reference', name, s, wnid))) {
            const png = decodePngBytes(new Uint8Array(readFileSync(fixture('corruption-reference', name, s, wnid, f))));
            const expected = new Uint8Array(readFileSync(fixture('imagenet-c-mini', name, s, wnid, f.replace(/\.png$/, '.JPEG'))));
            const file = encodeJpeg(png.data, png.width, png.height, 85, { optimize: true });
            expect(file.length, `${name}/${s}/${wnid}/${f}`).toBe(expected.length);
            expect(sha256(file), `${name}/${s}/${wnid}/${f}`).toBe(sha256(expected));
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(100);
  });
});
