import { describe, it, expect } from 'vitest';
import { argmax, topK } from '../../src/core/topk';

describe('argmax', () => {
  it('index of the largest value', () => {
    expect(argmax([0.1, 0.7, 0.2])).toBe(1);
    expect(argmax([-5, -2, -9])).toBe(1);
    expect(argmax(new Float32Array([3, 1, 4, 1, 5, 9, 2, 6]))).toBe(5);
  });

  it('the first maximum wins a tie (lower class index)', () => {
    expect(argmax([1, 3, 3, 2, 3])).toBe(1);
    expect(argmax([7, 7, 7])).toBe(0);
    // quantised logits as in MobileNetV2-int8: several equal maxima
    const q = 0.16014458;
    expect(argmax(new Float32Array([q * 10, q * 12, q * 3, q * 12]))).toBe(1);
  });

  it('NaN never wins', () => {
    expect(argmax([NaN, 1, 2])).toBe(2);
    expect(argmax([1, NaN, 0])).toBe(0);
    expect(argmax([NaN, -1, NaN])).toBe(1);
    // all NaN: falls back to index 0
    expect(argmax([NaN, NaN])).toBe(0);
  });

  it('handles ±Infinity', () => {
    expect(argmax([-Infinity, -Infinity])).toBe(0);
    expect(argmax([-Infinity, -1e30])).toBe(1);
    expect(argmax([1, Infinity, Infinity])).toBe(1);
    expect(argmax([NaN, -Infinity, 0])).toBe(2);
  });

  it('offset/length select one row of a batch; the index is relative to the row', () => {
    // batch of 3 rows × 4 classes
    const batch = new Float32Array([9, 0, 0, 0, 0, 0, 5, 5, 1, 2, 3, 0]);
    expect(argmax(batch, 0, 4)).toBe(0);
    expect(argmax(batch, 4, 4)).toBe(2);
    expect(argmax(batch, 8, 4)).toBe(2);
    // the default length runs to the end
    expect(argmax(batch, 8)).toBe(2);
    // a row must not see values of the next row
    expect(argmax(new Float32Array([1, 2, 100, 0]), 0, 2)).toBe(1);
  });
});

describe('topK', () => {
  it('descending values with their indices', () => {
    expect(topK([0.1, 0.9, 0.5, 0.7, 0.3], 3)).toEqual({ indices: [1, 3, 2], values: [0.9, 0.7, 0.5] });
  });

  it('ties broken by the lower index: [1,3,3,2,3] → [1,2,4]', () => {
    expect(topK([1, 3, 3, 2, 3], 3)).toEqual({ indices: [1, 2, 4], values: [3, 3, 3] });
    expect(topK([1, 3, 3, 2, 3], 4)).toEqual({ indices: [1, 2, 4, 3], values: [3, 3, 3, 2] });
    expect(topK([1, 3, 3, 2, 3], 2)).toEqual({ indices: [1, 2], values: [3, 3] });
    expect(topK([5, 5, 5, 5, 5, 5], 5).indices).toEqual([0, 1, 2, 3, 4]);
    expect(topK([0, 0, 1, 0, 0], 3).indices).toEqual([2, 0, 1]);
  });

  it('agrees with a stable sort on a larger random vector with many ties', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % 20;
    const v = Array.from({ length: 1000 }, rand);
    const expected = v
      .map((x, i) => [x, i])
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, 5);
    const r = topK(v, 5);
    expect(r.indices).toEqual(expected.map((e) => e[1]));
    expect(r.values).toEqual(expected.map((e) => e[0]));
  });

  it('first of top-1 agrees with argmax', () => {
    const v = new Float32Array([2, 8, 8, 1]);
    expect(topK(v, 1).indices[0]).toBe(argmax(v));
  });

  it('skips NaN', () => {
    expect(topK([NaN, 1, NaN, 3, 2], 3)).toEqual({ indices: [3, 4, 1], values: [3, 2, 1] });
    expect(topK([NaN, NaN], 2)).toEqual({ indices: [], values: [] });
  });

  it('k larger than the row returns the whole row sorted', () => {
    expect(topK([2, 1, 3], 5)).toEqual({ indices: [2, 0, 1], values: [3, 2, 1] });
  });

  it('k = 0 gives nothing', () => {
    expect(topK([1, 2, 3], 0)).toEqual({ indices: [], values: [] });
  });

  it('offsets for batched rows: indices relative to the row', () => {
    const batch = new Float32Array([
      // row 0
      0, 1, 2, 3,
      // row 1
      4, 4, 0, 9,
      // row 2
      -1, -2, -3, -1,
    ]);
    expect(topK(batch, 2, 0, 4).indices).toEqual([3, 2]);
    expect(topK(batch, 3, 4, 4)).toEqual({ indices: [3, 0, 1], values: [9, 4, 4] });
    expect(topK(batch, 2, 8, 4)).toEqual({ indices: [0, 3], values: [-1, -1] });
    expect(topK(batch, 2, 8).indices).toEqual([0, 3]);
  });
});
