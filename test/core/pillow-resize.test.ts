import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  centerCrop,
  centerCropOffsets,
  resizeAndCenterCrop,
  resizeBilinearPillow,
  resizeShorterSideSize,
  type RgbImage,
} from '../../src/core/pillow-resize';
import { resizeReferenceImage, type ResizeReferenceImage } from '../support/synthetic-image';

// Reference data from Pillow 9.4.0; see test/data/small/make-resize-reference.py for the format.
interface RefImage extends ResizeReferenceImage {
  sha256: string;
}
interface RefCase {
  kind: 'resize' | 'protocol';
  image: string;
  sha256: string;
  full?: string;
  samples?: { idx: number[]; rgb: string };
  outW?: number;
  outH?: number;
  resizeTo?: number;
  crop?: number;
  resizedW?: number;
  resizedH?: number;
  top?: number;
  left?: number;
}
interface RefDoc {
  pillow: string;
  images: Record<string, RefImage>;
  cases: RefCase[];
}

const ref: RefDoc = JSON.parse(
  readFileSync(fileURLToPath(new URL('../data/small/resize-reference.json', import.meta.url)), 'utf8'),
);

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const images = new Map<string, RgbImage>();
function getImage(name: string): RgbImage {
  let img = images.get(name);
  if (!img) {
    const spec = ref.images[name];
    img = { width: spec.width, height: spec.height, data: resizeReferenceImage(spec), channels: 3 };
    images.set(name, img);
  }
  return img;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Exact comparison with the Pillow output: full bytes where stored, samples (for diagnostics) + sha256 always. */
function expectMatchesPillow(got: RgbImage, c: RefCase, w: number, h: number): void {
  expect(got.channels).toBe(3);
  expect([got.width, got.height]).toEqual([w, h]);
  expect(got.data.length).toBe(w * h * 3);
  if (c.full) {
    const want = fromB64(c.full);
    expect(maxAbsDiff(got.data, want)).toBe(0);
    expect(Buffer.from(got.data).equals(Buffer.from(want))).toBe(true);
  }
  if (c.samples) {
    const want = fromB64(c.samples.rgb);
    const have = new Uint8Array(want.length);
    c.samples.idx.forEach((p, j) => have.set(got.data.subarray(p * 3, p * 3 + 3), j * 3));
    expect(maxAbsDiff(have, want)).toBe(0);
  }
  expect(sha256(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.length))).toBe(c.sha256);
}

describe('reference data', () => {
  it('comes from Pillow 9.4.0 and has both kinds of cases', () => {
    expect(ref.pillow).toBe('9.4.0');
    expect(ref.cases.filter((c) => c.kind === 'resize').length).toBeGreaterThan(10);
    expect(ref.cases.filter((c) => c.kind === 'protocol').length).toBeGreaterThan(10);
  });

  it.each(Object.keys(ref.images))('synthetic input %s is re-created byte for byte', (name) => {
    expect(sha256(getImage(name).data as Uint8Array)).toBe(ref.images[name].sha256);
  });
});

describe('resizeBilinearPillow matches Pillow Image.resize(BILINEAR) exactly', () => {
  const cases = ref.cases.filter((c) => c.kind === 'resize');
  it.each(cases.map((c) => [`${c.image} -> ${c.outW}x${c.outH}`, c] as const))('%s', (_label, c) => {
    const out = resizeBilinearPillow(getImage(c.image), c.outW!, c.outH!);
    expectMatchesPillow(out, c, c.outW!, c.outH!);
  });
});

describe('resizeAndCenterCrop matches torchvision Resize + CenterCrop on Pillow exactly', () => {
  const cases = ref.cases.filter((c) => c.kind === 'protocol');
  it.each(cases.map((c) => [`${c.image} Resize(${c.resizeTo}) CenterCrop(${c.crop})`, c] as const))('%s', (_label, c) => {
    const img = getImage(c.image);
    expect(resizeShorterSideSize(img.width, img.height, c.resizeTo!)).toEqual({ width: c.resizedW, height: c.resizedH });
    expect(centerCropOffsets(c.resizedW!, c.resizedH!, c.crop!, c.crop!)).toEqual({ top: c.top, left: c.left });
    const out = c.resizeTo === 256 && c.crop === 224 ? resizeAndCenterCrop(img) : resizeAndCenterCrop(img, c.resizeTo, c.crop);
    expectMatchesPillow(out, c, c.crop!, c.crop!);
    // the windowed fast path equals resize-everything-then-crop
    const slow = centerCrop(resizeBilinearPillow(img, c.resizedW!, c.resizedH!), c.crop!, c.crop!);
    expect(Buffer.from(out.data).equals(Buffer.from(slow.data))).toBe(true);
  });
});

describe('resizeShorterSideSize (torchvision Resize with an int size)', () => {
  it('maps the shorter side to size and truncates the longer one', () => {
    expect(resizeShorterSideSize(500, 375, 256)).toEqual({ width: 341, height: 256 }); // 341.33
    expect(resizeShorterSideSize(375, 500, 256)).toEqual({ width: 256, height: 341 });
    expect(resizeShorterSideSize(1000, 333, 256)).toEqual({ width: 768, height: 256 }); // 768.77 -> 768
    expect(resizeShorterSideSize(75, 56, 256)).toEqual({ width: 342, height: 256 }); // 342.86 -> 342 (upscale)
    expect(resizeShorterSideSize(300, 200, 256)).toEqual({ width: 384, height: 256 });
    expect(resizeShorterSideSize(256, 256, 256)).toEqual({ width: 256, height: 256 });
    expect(resizeShorterSideSize(100, 100, 256)).toEqual({ width: 256, height: 256 });
    expect(resizeShorterSideSize(257, 256, 256)).toEqual({ width: 257, height: 256 });
    expect(resizeShorterSideSize(1, 5, 256)).toEqual({ width: 256, height: 1280 });
  });

  it('rejects invalid sizes', () => {
    expect(() => resizeShorterSideSize(0, 10, 256)).toThrow(RangeError);
    expect(() => resizeShorterSideSize(10, 10, 0)).toThrow(RangeError);
  });
});

describe('centerCropOffsets (torchvision CenterCrop, Python round half to even)', () => {
  it('rounds exact halves to the even neighbour', () => {
    expect(centerCropOffsets(224, 225, 224, 224)).toEqual({ top: 0, left: 0 }); // 0.5 -> 0
    expect(centerCropOffsets(224, 227, 224, 224)).toEqual({ top: 2, left: 0 }); // 1.5 -> 2
    expect(centerCropOffsets(229, 226, 224, 224)).toEqual({ top: 1, left: 2 }); // 1 ; 2.5 -> 2
    expect(centerCropOffsets(341, 256, 224, 224)).toEqual({ top: 16, left: 58 }); // 58.5 -> 58
    expect(centerCropOffsets(259, 256, 224, 224)).toEqual({ top: 16, left: 18 }); // 17.5 -> 18
    expect(centerCropOffsets(256, 387, 224, 224)).toEqual({ top: 82, left: 16 }); // 81.5 -> 82
    expect(centerCropOffsets(224, 224, 224, 224)).toEqual({ top: 0, left: 0 });
  });

  it('pads like torchvision when the crop is larger than the image', () => {
    // torchvision pads (crop - size) // 2 before and (crop - size + 1) // 2 after, then crops at 0
    expect(centerCropOffsets(5, 4, 8, 4)).toEqual({ top: 0, left: -1 });
    const img: RgbImage = { width: 2, height: 1, channels: 3, data: new Uint8Array([10, 11, 12, 20, 21, 22]) };
    const out = centerCrop(img, 5, 1); // padding 1 left, 2 right
    expect(Array.from(out.data)).toEqual([0, 0, 0, 10, 11, 12, 20, 21, 22, 0, 0, 0, 0, 0, 0]);
  });
});

describe('centerCrop', () => {
  it('copies the centred window', () => {
    const w = 5;
    const h = 4;
    const data = new Uint8Array(w * h * 3).map((_, i) => i);
    const out = centerCrop({ width: w, height: h, channels: 3, data }, 2, 3); // left round(1.5)=2, top round(0.5)=0
    const want: number[] = [];
    for (let y = 0; y < 3; y++) for (let x = 2; x < 4; x++) for (let c = 0; c < 3; c++) want.push((y * w + x) * 3 + c);
    expect(out).toMatchObject({ width: 2, height: 3, channels: 3 });
    expect(Array.from(out.data)).toEqual(want);
  });
});

describe('RGBA input', () => {
  it('gives the same result as its RGB part (alpha ignored)', () => {
    const rgb = getImage('np75x56');
    const rgba = new Uint8ClampedArray(rgb.width * rgb.height * 4);
    for (let i = 0; i < rgb.width * rgb.height; i++) {
      rgba.set(rgb.data.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = (i * 37) & 255;
    }
    const img4: RgbImage = { width: rgb.width, height: rgb.height, channels: 4, data: rgba };
    for (const [w, h] of [[131, 97], [25, 19], [74, 56], [75, 90], [75, 56]]) {
      expect(Array.from(resizeBilinearPillow(img4, w, h).data)).toEqual(Array.from(resizeBilinearPillow(rgb, w, h).data));
    }
    const a = resizeAndCenterCrop(img4);
    expect(a.channels).toBe(3);
    expect(Buffer.from(a.data).equals(Buffer.from(resizeAndCenterCrop(rgb).data))).toBe(true);
    expect(Array.from(centerCrop(img4, 30, 20).data)).toEqual(Array.from(centerCrop(rgb, 30, 20).data));
  });
});

describe('input validation', () => {
  it('rejects bad sizes and short buffers', () => {
    const img: RgbImage = { width: 4, height: 4, channels: 3, data: new Uint8Array(48) };
    expect(() => resizeBilinearPillow(img, 0, 4)).toThrow(RangeError);
    expect(() => resizeBilinearPillow({ ...img, data: new Uint8Array(47) }, 2, 2)).toThrow(RangeError);
  });
});
