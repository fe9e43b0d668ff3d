import { describe, it, expect } from 'vitest';
import { IMAGENET_MEAN, IMAGENET_STD, normalizeToChw } from '../../src/core/normalize';

const f = Math.fround;

describe('ImageNet constants', () => {
  it('mean and std', () => {
    expect([...IMAGENET_MEAN]).toEqual([0.485, 0.456, 0.406]);
    expect([...IMAGENET_STD]).toEqual([0.229, 0.224, 0.225]);
  });
});

describe('normalizeToChw', () => {
  // 2×1 image: pixel 0 = (255, 0, 128, α 7), pixel 1 = (10, 200, 64, α 99)
  const rgba = new Uint8Array([255, 0, 128, 7, 10, 200, 64, 99]);
  const expected = [
    // R plane
    f((255 / 255 - 0.485) / 0.229),
    f((10 / 255 - 0.485) / 0.229),
    // G plane
    f((0 / 255 - 0.456) / 0.224),
    f((200 / 255 - 0.456) / 0.224),
    // B plane
    f((128 / 255 - 0.406) / 0.225),
    f((64 / 255 - 0.406) / 0.225),
  ];

  it('RGBA 2×1 → exact planar float32 (alpha ignored)', () => {
    const out = new Float32Array(6);
    normalizeToChw(rgba, 4, 2, 1, IMAGENET_MEAN, IMAGENET_STD, out);
    expect([...out]).toEqual(expected);
    // a few values written out: (1 − 0.485)/0.229 ≈ 2.2489083, −0.456/0.224 ≈ −2.0357143
    expect(out[0]).toBeCloseTo(2.2489083, 6);
    expect(out[2]).toBeCloseTo(-2.0357143, 6);
  });

  it('RGB (3 channels) gives the same result', () => {
    const rgb = new Uint8Array([255, 0, 128, 10, 200, 64]);
    const out = new Float32Array(6);
    normalizeToChw(rgb, 3, 2, 1, IMAGENET_MEAN, IMAGENET_STD, out);
    expect([...out]).toEqual(expected);
  });

  it('Uint8ClampedArray input (canvas ImageData) works', () => {
    const out = new Float32Array(6);
    normalizeToChw(new Uint8ClampedArray(rgba), 4, 2, 1, IMAGENET_MEAN, IMAGENET_STD, out);
    expect([...out]).toEqual(expected);
  });

  it('writes at an offset (second image of a batch) and leaves the rest alone', () => {
    const out = new Float32Array(14).fill(42);
    normalizeToChw(rgba, 4, 2, 1, IMAGENET_MEAN, IMAGENET_STD, out, 6);
    expect([...out.subarray(0, 6)]).toEqual([42, 42, 42, 42, 42, 42]);
    expect([...out.subarray(6, 12)]).toEqual(expected);
    expect([...out.subarray(12)]).toEqual([42, 42]);
  });

  it('custom mean/std per channel', () => {
    const out = new Float32Array(3);
    normalizeToChw(new Uint8Array([51, 102, 153]), 3, 1, 1, [0.5, 0, 1], [0.5, 2, 0.25], out);
    // 51/255 = 0.2, 102/255 = 0.4, 153/255 = 0.6
    expect([...out]).toEqual([f((0.2 - 0.5) / 0.5), f((0.4 - 0) / 2), f((0.6 - 1) / 0.25)]);
    expect(out[0]).toBeCloseTo(-0.6, 6);
    expect(out[1]).toBeCloseTo(0.2, 6);
    expect(out[2]).toBeCloseTo(-1.6, 6);
  });

  it('2×2 RGB: planes are row-major', () => {
    // pixels (0,0)=(0,1,2) (1,0)=(3,4,5) (0,1)=(6,7,8) (1,1)=(9,10,11); mean 0, std 1/255 → raw values
    const px = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const out = new Float32Array(12);
    normalizeToChw(px, 3, 2, 2, [0, 0, 0], [1 / 255, 1 / 255, 1 / 255], out);
    expect([...out].map((x) => Math.round(x))).toEqual([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
  });

  it('throws on short input or a too small output', () => {
    expect(() => normalizeToChw(new Uint8Array(7), 4, 2, 1, IMAGENET_MEAN, IMAGENET_STD, new Float32Array(6))).toThrow(/expected 8 bytes/);
    expect(() => normalizeToChw(rgba, 4, 2, 1, IMAGENET_MEAN, IMAGENET_STD, new Float32Array(5))).toThrow(/too small/);
    expect(() => normalizeToChw(rgba, 4, 2, 1, IMAGENET_MEAN, IMAGENET_STD, new Float32Array(6), 1)).toThrow(/too small/);
  });
});
