/** The scipy.ndimage pieces of the random corruptions: tabulated taps, filters, zoom, map_coordinates. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  gaussianFilter,
  gaussianHalfKernel,
  mapCoordinatesOrder1Reflect,
  zoomOrder1,
} from '../../../src/core/corruptions/random/ndimage';
import { PROJECT_ROOT } from '../../support/fixtures';

const kernels: { kernels: { sigma: number; truncate: number; weights: number[] }[] } = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'test/data/small/corruptions-random/gaussian-kernels.json'), 'utf8'),
);

describe('random/ndimage', () => {
  for (const k of kernels.kernels) {
    it(`Gaussian taps σ=${k.sigma}, truncate ${k.truncate} equal numpy's bit for bit`, () => {
      const half = gaussianHalfKernel(k.sigma, k.truncate);
      const r = half.length - 1;
      expect(k.weights.length).toBe(2 * r + 1);
      for (let j = -r; j <= r; j++) expect(half[Math.abs(j)]).toBe(k.weights[j + r]);
    });
  }

  it('untabulated σ falls back to the formula (normalised, symmetric radius)', () => {
    const half = gaussianHalfKernel(0.8, 4);
    expect(half.length).toBe(4); // int(4·0.8 + 0.5) = 3
    expect(half[0] + 2 * (half[1] + half[2] + half[3])).toBeCloseTo(1, 14);
  });

  it('gaussianFilter keeps constants, and float32 input stays float32', () => {
    const a = new Float64Array(12 * 10 * 3).fill(0.25);
    const out = gaussianFilter(a, 10, 12, 3, 1.5, 'nearest');
    for (const v of out) expect(v).toBeCloseTo(0.25, 15);
    const f = gaussianFilter(new Float32Array(100).fill(1), 10, 10, 1, 1.5, 'reflect');
    expect(f).toBeInstanceOf(Float32Array);
    for (const v of f) expect(v).toBeCloseTo(1, 6);
  });

  it('gaussianFilter: an impulse spreads into the separable kernel, nearest vs reflect at the border', () => {
    const src = new Float64Array(9 * 9);
    src[4 * 9 + 4] = 1;
    const out = gaussianFilter(src, 9, 9, 1, 1, 'nearest');
    const half = gaussianHalfKernel(1, 4);
    expect(out[4 * 9 + 4]).toBeCloseTo(half[0] * half[0], 15);
    expect(out[3 * 9 + 5]).toBeCloseTo(half[1] * half[1], 15);
    const edge = new Float64Array(5);
    edge[0] = 1;
    const n = gaussianFilter(edge, 1, 5, 1, 1, 'nearest');
    const r = gaussianFilter(edge, 1, 5, 1, 1, 'reflect');
    // nearest: the edge value repeats outwards (weights of k ≤ 0 all hit it); reflect: a b | a b
    expect(n[0]).toBeCloseTo(half[0] + half[1] + half[2] + half[3] + half[4], 14);
    expect(r[0]).toBeCloseTo(half[0] + half[1], 14);
  });

  it('zoomOrder1 is corner-aligned bilinear', () => {
    const src = Float64Array.from([0, 1, 2, 3]); // 2×2
    const out = zoomOrder1(src, 2, 2, 3, 3);
    expect(Array.from(out)).toEqual([0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  });

  it('map_coordinates with zero displacement returns the image; reflect borders are half-sample symmetric', () => {
    const h = 4;
    const w = 5;
    const img = Float32Array.from({ length: h * w * 3 }, (_, i) => (i % 17) / 16);
    const zero = new Float32Array(h * w);
    expect(Array.from(mapCoordinatesOrder1Reflect(img, h, w, 3, zero, zero))).toEqual(Array.from(img));
    // x − 0.5 at column 0 reflects onto column 0 itself: value unchanged
    const dx = new Float32Array(h * w).fill(-0.5);
    const out = mapCoordinatesOrder1Reflect(img, h, w, 3, zero, dx);
    for (let y = 0; y < h; y++) for (let c = 0; c < 3; c++) expect(out[(y * w) * 3 + c]).toBeCloseTo(img[(y * w) * 3 + c], 6);
  });
});
