import { describe, expect, it } from 'vitest';
import { sanityCheck } from '../../src/core/sanity-check';

const varied = (n: number) => Array.from({ length: n }, (_, i) => i % 97);

describe('sanityCheck', () => {
  it('no warning when the clean accuracy is within 5 points of the reported one', () => {
    expect(sanityCheck({ cleanAccuracy: 0.72, cleanImages: 487, reportedTop1: 76.5, predictions: varied(487) })).toEqual([]);
  });

  it('warns, naming the causes, when clean accuracy is more than 5 points below the card', () => {
    const w = sanityCheck({ cleanAccuracy: 0.12, cleanImages: 487, reportedTop1: 71.9, predictions: varied(487) });
    expect(w).toHaveLength(1);
    expect(w[0].kind).toBe('clean-accuracy');
    expect(w[0].message).toMatch(/12\.0 % on 487 images.*71\.9 %/);
    expect(w[0].message).toMatch(/normalisation.*channel order.*resiz.*label order/);
  });

  it('exactly 5 points below is tolerated; a little more is not', () => {
    expect(sanityCheck({ cleanAccuracy: 0.7, cleanImages: 100, reportedTop1: 75, predictions: varied(100) })).toEqual([]);
    expect(sanityCheck({ cleanAccuracy: 0.699, cleanImages: 100, reportedTop1: 75, predictions: varied(100) })).toHaveLength(1);
  });

  it('too few clean images or no reported value: no accuracy warning', () => {
    expect(sanityCheck({ cleanAccuracy: 0, cleanImages: 10, reportedTop1: 80, predictions: [] })).toEqual([]);
    expect(sanityCheck({ cleanAccuracy: 0, cleanImages: 500, predictions: varied(500) })).toEqual([]);
  });

  it('warns when predictions collapse onto a few classes', () => {
    const collapsed = Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? i : 611));
    const w = sanityCheck({ cleanAccuracy: null, cleanImages: 0, predictions: collapsed, names: Object.assign([], { 611: 'jigsaw puzzle' }) });
    expect(w.map((x) => x.kind)).toEqual(['collapse']);
    expect(w[0].message).toMatch(/“jigsaw puzzle” takes 80 %/);
    expect(sanityCheck({ cleanAccuracy: null, cleanImages: 0, predictions: Array.from({ length: 100 }, (_, i) => i % 4) })[0].kind).toBe('collapse');
  });
});
