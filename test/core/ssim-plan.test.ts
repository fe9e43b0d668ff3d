import { describe, expect, it } from 'vitest';
import { planSsimPairs, summarizeSsim } from '../../src/core/ssim-plan';
import type { PlannedImage } from '../../src/core/aggregate';

const corrupted = (c: string, s: number, id: string): PlannedImage => ({ path: `${c}/${s}/${id}.JPEG`, corruption: c, severity: s, label: 0, identity: id });
const clean = (id: string): PlannedImage => ({ path: `val/${id}.JPEG`, corruption: null, severity: null, label: 0, identity: id });

describe('planSsimPairs', () => {
  const ids = Array.from({ length: 10 }, (_, i) => `n0/${String(i).padStart(2, '0')}`);
  const images = [
    ...ids.map((id) => corrupted('fog', 1, id)),
    ...ids.map((id) => corrupted('fog', 2, id)),
    corrupted('snow', 3, 'n9/unmatched'),
    ...ids.slice(0, 8).map(clean),
  ];

  it('pairs each corrupted image with its clean original and skips those without one', () => {
    const pairs = planSsimPairs(images, null);
    expect(pairs.length).toBe(16);
    expect(pairs.every((p) => p.cleanPath === `val/${p.corruptedPath.split('/').slice(2).join('/')}`)).toBe(true);
    expect(pairs.some((p) => p.cell.startsWith('snow'))).toBe(false);
  });

  it('caps each cell with the same evenly spread images in every cell', () => {
    const pairs = planSsimPairs(images, 4);
    const fog1 = pairs.filter((p) => p.cell === 'fog/1').map((p) => p.cleanPath);
    const fog2 = pairs.filter((p) => p.cell === 'fog/2').map((p) => p.cleanPath);
    expect(fog1).toEqual(['val/n0/00.JPEG', 'val/n0/02.JPEG', 'val/n0/04.JPEG', 'val/n0/06.JPEG']);
    expect(fog2).toEqual(fog1);
  });
});

describe('summarizeSsim', () => {
  it('computes per-cell mean and sd, leaving out failed pairs', () => {
    const pairs = [
      { cell: 'fog/1', corruptedPath: 'a', cleanPath: 'x' },
      { cell: 'fog/1', corruptedPath: 'b', cleanPath: 'y' },
      { cell: 'fog/1', corruptedPath: 'c', cleanPath: 'z' },
      { cell: 'fog/2', corruptedPath: 'd', cleanPath: 'x' },
    ];
    const s = summarizeSsim(pairs, [0.5, 0.7, null, 0.2], 'rgb', 100);
    expect(s.cells['fog/1'].n).toBe(2);
    expect(s.cells['fog/1'].mean).toBeCloseTo(0.6, 12);
    expect(s.cells['fog/1'].sd).toBeCloseTo(0.1, 12);
    expect(s.cells['fog/2']).toEqual({ n: 1, mean: 0.2, sd: 0 });
    expect(s.perCellCap).toBe(100);
  });
});
