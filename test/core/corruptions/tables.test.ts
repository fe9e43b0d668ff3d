/**
 * The constant tables embedded in src/core/corruptions against the fixture tables (corruption-reference/tables), and
 * the computed parameters (zoom factors and geometry, Gaussian radii) against SPEC.md.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { describeFixtures, fixture, HAVE_FIXTURES } from '../../support/fixtures';
import { DEFOCUS_KERNELS, MOTION_KERNELS } from '../../../src/core/corruptions/tables';
import { zoomFactors, zoomGeometry } from '../../../src/core/corruptions/blur';
import { gaussianKernel1d, pairwiseSum } from '../../../src/core/corruptions/filters';

const TABLES = (f: string) => fixture('corruption-reference', 'tables', f);
const readJson = (f: string) => JSON.parse(readFileSync(TABLES(f), 'utf8'));

describeFixtures('embedded tables equal the fixture tables', () => {
  it('defocus kernels (exact float32 values, shape, sum)', () => {
    if (!HAVE_FIXTURES) return;
    const ref = readJson('defocus_kernels.json') as Record<string, { radius: number; alias_blur_sigma: number; shape: number[]; kernel: number[][]; sum_float64: number }>;
    for (const s of [1, 2, 3, 4, 5] as const) {
      const e = ref[String(s)];
      const k = DEFOCUS_KERNELS[s];
      expect(k.radius).toBe(e.radius);
      expect(k.aliasSigma).toBe(e.alias_blur_sigma);
      expect([k.size, k.size]).toEqual(e.shape);
      expect(k.kernel).toEqual(e.kernel.flat());
      for (const v of k.kernel) expect(Math.fround(v)).toBe(v);
      let sum = 0;
      for (const v of k.kernel) sum += v;
      expect(sum).toBeCloseTo(e.sum_float64, 12);
    }
  });

  it('motion-blur weights (motion_blur 1–5 and snow1–5)', () => {
    if (!HAVE_FIXTURES) return;
    const ref = readJson('motion_blur_kernels.json') as Record<string, { radius: number; sigma: number; width: number; weights: number[] }>;
    expect(Object.keys(MOTION_KERNELS).sort()).toEqual(Object.keys(ref).sort());
    for (const [key, e] of Object.entries(ref)) {
      const k = MOTION_KERNELS[key];
      expect({ radius: k.radius, sigma: k.sigma, width: k.width }).toEqual({ radius: e.radius, sigma: e.sigma, width: e.width });
      expect(k.weights).toEqual(e.weights);
    }
  });

  it('zoom factors (np.arange) and clipped_zoom geometry at 224', () => {
    if (!HAVE_FIXTURES) return;
    const ref = readJson('zoom_blur_geometry.json') as Record<string, Array<{ zoom: string; crop: number; top: number; zoomed_size: number }>>;
    for (const s of [1, 2, 3, 4, 5] as const) {
      const z = zoomFactors(s);
      expect(z).toEqual(ref[String(s)].map((e) => Number(e.zoom)));
      for (const [i, e] of ref[String(s)].entries()) {
        expect(zoomGeometry(224, z[i])).toEqual({ crop: e.crop, top: e.top, zoomedSize: e.zoomed_size });
      }
    }
  });
});

describe('Gaussian kernels and numpy summation', () => {
  it('uses the radii of SPEC.md §0 (truncate 4, and 3 for σ 2.24)', () => {
    const radii: Array<[number, number, number]> = [
      [0.7, 4, 3], [0.9, 4, 4], [1, 4, 4], [1.1, 4, 4], [1.5, 4, 6], [2, 4, 8], [3, 4, 12], [4, 4, 16], [6, 4, 24], [2.24, 3, 7],
    ];
    for (const [sigma, truncate, r] of radii) {
      const k = gaussianKernel1d(sigma, truncate);
      expect(k.length).toBe(2 * r + 1);
      expect(k[r - 1]).toBe(k[r + 1]);
      expect(pairwiseSum(k)).toBeCloseTo(1, 15);
    }
  });

  it('pairwiseSum follows numpy (blocks of 8, recursive halving above 128)', () => {
    // 0.1 summed 1000 times: numpy's np.sum(np.full(1000, 0.1)) = 100.00000000000001 (sequential: 99.9999999999986).
    expect(pairwiseSum(new Float64Array(1000).fill(0.1))).toBe(100.00000000000001);
    expect(pairwiseSum([1, 2, 3])).toBe(6);
  });
});

describeFixtures('motion_blur and frost draws from the seed equal the params.json records', () => {
  it('angle_deg = uniform(-45, 45); frost_index = randint(5), row_start, col_start = randint(0, Hr−224), randint(0, Wr−224)', async () => {
    if (!HAVE_FIXTURES) return;
    const { RandomState } = await import('../../../src/core/corruptions/rng/numpy-random');
    const entries = (JSON.parse(readFileSync(fixture('corruption-reference', 'params.json'), 'utf8')) as {
      entries: Record<string, { seed: number; angle_deg?: number; frost_index?: number; rescaled_hw?: [number, number]; row_start?: number; col_start?: number }>;
    }).entries;
    let motion = 0;
    let frost = 0;
    for (const [key, e] of Object.entries(entries)) {
      if (key.startsWith('motion_blur/')) {
        expect(new RandomState(e.seed).uniform(-45, 45)).toBe(e.angle_deg);
        motion++;
      } else if (key.startsWith('frost/')) {
        const rs = new RandomState(e.seed);
        const index = rs.randint(5);
        const [hr, wr] = e.rescaled_hw!;
        expect([index, rs.randint(0, hr - 224), rs.randint(0, wr - 224)]).toEqual([e.frost_index, e.row_start, e.col_start]);
        frost++;
      }
    }
    expect([motion, frost]).toEqual([250, 250]);
  });
});
