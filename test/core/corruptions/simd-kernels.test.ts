/**
 * The WebAssembly SIMD kernels against the JavaScript loops they replace: bit-identical float64 results on random
 * data (odd sizes, 1 and 3 channels, every border mode, radii 0–24), and the kernels are really used in Node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setSimdKernelsEnabled, simdKernels } from '../../../src/core/corruptions/simd/kernels';
import { type BorderMode, correlateSymmetric2d } from '../../../src/core/corruptions/symmetric-filter';
import { gaussianKernel1d } from '../../../src/core/corruptions/filters';
import { motionTaps, shiftedSum } from '../../../src/core/corruptions/shifted-sum';
import { defocusBlur } from '../../../src/core/corruptions/defocus';
import { pixelate } from '../../../src/core/corruptions/pixelate';
import { gaussianNoise, speckleNoise } from '../../../src/core/corruptions/random/noise';
import { RandomState } from '../../../src/core/corruptions/rng/numpy-random';
import type { Severity } from '../../../src/core/corruptions/types';

/** A deterministic pseudo-random float64 image (values in [0, 1) with full 53-bit mantissas). */
function noise(n: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const hi = s;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((hi >>> 5) * 67108864 + (s >>> 6)) / 9007199254740992;
  }
  return a;
}

function bothPaths<T>(fn: () => T): [T, T] {
  const simd = fn();
  setSimdKernelsEnabled(false);
  try {
    return [simd, fn()];
  } finally {
    setSimdKernelsEnabled(true);
  }
}

function countDiffs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) d++;
  return d;
}

describe('WebAssembly SIMD kernels', () => {
  afterEach(() => setSimdKernelsEnabled(true));

  it('are available in Node', () => {
    expect(simdKernels()).not.toBeNull();
  });

  it('correlateSymmetric2d: SIMD equals the JavaScript loops bit for bit', () => {
    const cases: [number, number, number, number, number, BorderMode][] = [
      [224, 224, 3, 1, 2, 'nearest'],
      [224, 224, 3, 6, 6, 'nearest'],
      [37, 11, 3, 1.5, 0.7, 'reflect'],
      [13, 29, 1, 2.24, 3, 'reflect'],
      [5, 7, 3, 0.1, 4, 'mirror'],
      [64, 3, 1, 3, 1, 'mirror'],
    ];
    let checked = 0;
    for (const [w, h, c, sy, sx, mode] of cases) {
      const src = noise(w * h * c, w * 31 + h);
      const ky = gaussianKernel1d(sy);
      const kx = gaussianKernel1d(sx);
      const hy = ky.slice((ky.length - 1) >> 1);
      const hx = kx.slice((kx.length - 1) >> 1);
      const [a, b] = bothPaths(() =>
        correlateSymmetric2d(src, w, h, c, hy, hx, mode, new Float64Array(src.length), new Float64Array(src.length)),
      );
      expect(countDiffs(a, b), `${w}x${h}x${c} σ ${sy}/${sx} ${mode}`).toBe(0);
      expect(a.some((v, i) => v !== src[i])).toBe(true);
      checked += a.length;
    }
    expect(checked).toBeGreaterThan(300_000);
  });

  it('shiftedSum (motion blur): SIMD equals the JavaScript loop bit for bit', () => {
    const cases: [number, number, number, number, number][] = [
      [224, 224, 3, 31, 17.3],
      [225, 225, 1, 21, -100.5],
      [19, 7, 3, 41, -44.9],
      [6, 31, 1, 25, -135],
    ];
    for (const [w, h, c, width, angle] of cases) {
      const src = noise(w * h * c, w + 7 * h).map((v) => Math.floor(v * 256));
      const weights = noise(width, width);
      const taps = motionTaps(weights, angle, w, h);
      const [a, b] = bothPaths(() => shiftedSum(src, w, h, c, taps));
      expect(countDiffs(a, b), `${w}x${h}x${c} width ${width} angle ${angle}`).toBe(0);
      expect(taps.length).toBeGreaterThan(1);
    }
  });

  it('defocusBlur: SIMD equals the JavaScript loops byte for byte (all severities, odd sizes)', () => {
    for (const [w, h] of [[224, 224], [31, 17], [40, 23]] as const) {
      const src = Uint8Array.from(noise(w * h * 3, w * h), (v) => Math.floor(v * 256));
      for (const s of [1, 2, 3, 4, 5] as Severity[]) {
        const [a, b] = bothPaths(() => defocusBlur(src, w, h, s));
        expect(countDiffs(a, b), `${w}x${h} severity ${s}`).toBe(0);
        expect(a.some((v, i) => v !== src[i])).toBe(true);
      }
    }
  });

  it('pixelate: SIMD equals the JavaScript resizes byte for byte (all severities, odd sizes)', () => {
    for (const [w, h] of [[224, 224], [37, 23], [5, 9], [300, 41]] as const) {
      const src = Uint8Array.from(noise(w * h * 3, w * 3 + h), (v) => Math.floor(v * 256));
      for (const s of [1, 2, 3, 4, 5] as Severity[]) {
        const [a, b] = bothPaths(() => pixelate(src, w, h, s, {}));
        expect(countDiffs(a, b), `${w}x${h} severity ${s}`).toBe(0);
        expect(a.some((v, i) => v !== src[i])).toBe(true);
      }
    }
  });

  it('gaussian / speckle noise: SIMD equals the JavaScript loop byte for byte, and leaves the same generator state', () => {
    for (const n of [224 * 224 * 3, 3 * 17 * 11, 9001, 2]) {
      const src = Uint8Array.from(noise(n, n), (v, i) => (i % 97 === 0 ? 0 : Math.floor(v * 256)));
      for (const [fn, name] of [[gaussianNoise, 'gaussian'], [speckleNoise, 'speckle']] as const) {
        for (const s of [1, 3, 5]) {
          for (const cached of [false, true]) {
            const run = () => {
              const rs = new RandomState(n + s);
              if (cached) rs.gauss(); // leaves the pair's second value cached
              const out = fn(src, s, rs);
              return { out, next: rs.gauss() };
            };
            const [a, b] = bothPaths(run);
            expect(countDiffs(a.out, b.out), `${name} n ${n} severity ${s} cached ${cached}`).toBe(0);
            expect(a.next).toBe(b.next);
          }
        }
      }
    }
  });
});
