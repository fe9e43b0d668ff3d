import { describe, expect, it } from 'vitest';
import { argmaxLocation, eigenCam, eigenProjection, leadingEigenvector, type FeatureMap } from '../../../src/core/cam';
import { jacobiEigen } from '../../support/cam-reference';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * get_2d_projection by an independent route: centre X (HW×C) per channel, eigen-decompose the C×C covariance
 * by Jacobi, take the eigenvector of the largest eigenvalue (= Vᵀ[0] of the SVD up to sign), project.
 * `sign`: 'sum' applies this project's convention (Σ_k v_k ≥ 0); 'raw' leaves Jacobi's arbitrary sign.
 */
function referenceProjection(f: FeatureMap, sign: 'sum' | 'raw'): { proj: number[]; gap: number } {
  const hw = f.height * f.width;
  const c = f.channels;
  const x: number[][] = Array.from({ length: hw }, (_, p) => Array.from({ length: c }, (_, k) => (Number.isNaN(f.data[k * hw + p]) ? 0 : f.data[k * hw + p])));
  for (let k = 0; k < c; k++) {
    const mean = x.reduce((s, row) => s + row[k], 0) / hw;
    for (const row of x) row[k] -= mean;
  }
  const cov = Array.from({ length: c }, (_, a) => Array.from({ length: c }, (_, b) => x.reduce((s, row) => s + row[a] * row[b], 0)));
  const { values, vectors } = jacobiEigen(cov);
  const order = values.map((v, i) => [v, i]).sort((p, q) => q[0] - p[0]);
  const top = order[0][1];
  let v = vectors.map((row) => row[top]);
  if (sign === 'sum' && v.reduce((s, e) => s + e, 0) < 0) v = v.map((e) => -e);
  return { proj: x.map((row) => row.reduce((s, e, k) => s + e * v[k], 0)), gap: order.length > 1 ? order[1][0] / order[0][0] : 0 };
}

const randomMap = (seed: number, c: number, h: number, w: number, scale = 1): FeatureMap => {
  const r = rng(seed);
  return { channels: c, height: h, width: w, data: Float32Array.from({ length: c * h * w }, () => Math.max(0, r() * 2 - 0.5) * scale) };
};

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relTol: number) {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(relTol * scale);
}

describe('eigenProjection / eigenCam (pytorch-grad-cam get_2d_projection)', () => {
  it('matches a Jacobi PCA of the C×C covariance when C < HW (covariance path)', () => {
    const f = randomMap(1, 6, 5, 4); // HW = 20 > C = 6
    const { proj } = referenceProjection(f, 'sum');
    expectClose(eigenProjection(f), proj, 1e-5);
  });

  it('matches it when C ≥ HW (Gram-matrix path, as for 1280×7×7 and 512×13×13 features)', () => {
    for (const [seed, c, h, w] of [
      [2, 24, 3, 3],
      [3, 40, 4, 5],
    ]) {
      const f = randomMap(seed, c, h, w, 3);
      const { proj } = referenceProjection(f, 'sum');
      expectClose(eigenProjection(f), proj, 1e-5);
    }
  });

  it('agrees with any SVD up to the sign, and fixes the sign so that Σ_k V[0]_k ≥ 0', () => {
    const f = randomMap(4, 8, 4, 4);
    const raw = referenceProjection(f, 'raw').proj;
    const ours = eigenProjection(f);
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < raw.length; i++) {
      dot += raw[i] * ours[i];
      na += raw[i] ** 2;
      nb += ours[i] ** 2;
    }
    expect(Math.abs(dot) / Math.sqrt(na * nb)).toBeCloseTo(1, 9);
    // Equivalent form of the convention: the projection correlates positively with the centred channel sum.
    const hw = 16;
    let corr = 0;
    for (let p = 0; p < hw; p++) {
      let s = 0;
      for (let k = 0; k < 8; k++) s += f.data[k * hw + p];
      corr += ours[p] * s;
    }
    expect(corr).toBeGreaterThan(0);
  });

  it('converges on a small eigen-gap (λ₂/λ₁ ≈ 0.995)', () => {
    // Two orthogonal spatial patterns on orthogonal channel directions with energies 1 : 0.9975², plus a little
    // noise: plain power iteration would need thousands of steps here.
    const h = 6;
    const w = 6;
    const hw = h * w;
    const c = 30;
    const r = rng(5);
    const u1 = Array.from({ length: hw }, (_, p) => (p % 2 === 0 ? 1 : -1));
    const u2 = Array.from({ length: hw }, (_, p) => (Math.floor(p / w) < 3 ? 1 : -1));
    const a1 = Array.from({ length: c }, () => r() - 0.5);
    let a2 = Array.from({ length: c }, () => r() - 0.5);
    const n1 = Math.hypot(...a1);
    const d = a1.reduce((s, v, k) => s + v * a2[k], 0) / (n1 * n1);
    a2 = a2.map((v, k) => v - d * a1[k]);
    const n2 = Math.hypot(...a2);
    const data = new Float32Array(c * hw);
    for (let k = 0; k < c; k++) for (let p = 0; p < hw; p++) data[k * hw + p] = 5 + (a1[k] / n1) * u1[p] + 0.9975 * (a2[k] / n2) * u2[p] + 0.001 * (r() - 0.5);
    const f = { channels: c, height: h, width: w, data };
    const { proj, gap } = referenceProjection(f, 'sum');
    expect(gap).toBeGreaterThan(0.99);
    expect(gap).toBeLessThan(0.999);
    expectClose(eigenProjection(f), proj, 1e-6);
  });

  it('highlights where a shared pattern is strong (the sign points at more activation)', () => {
    const h = 7;
    const w = 7;
    const c = 64;
    const r = rng(6);
    const data = new Float32Array(c * h * w);
    for (let k = 0; k < c; k++) {
      const gain = 0.5 + r();
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[k * 49 + y * w + x] = gain * 4 * Math.exp(-((y - 5) ** 2 + (x - 1) ** 2) / 2) + 0.3 * r();
    }
    const cam = eigenCam({ channels: c, height: h, width: w, data });
    expect(argmaxLocation(cam, w)).toMatchObject({ y: 5, x: 1 });
    // eigenCam = ReLU(projection): the far corner is below average, so it is clipped to 0.
    expect(cam[0 * w + 6]).toBe(0);
    expect(Math.min(...cam)).toBe(0);
  });

  it('treats NaN as 0 and returns zeros for a constant map', () => {
    const f = randomMap(7, 5, 3, 3);
    const withNaN = { ...f, data: f.data.slice() };
    withNaN.data[4] = NaN;
    const zeroed = { ...f, data: f.data.slice() };
    zeroed.data[4] = 0;
    expect(Array.from(eigenProjection(withNaN))).toEqual(Array.from(eigenProjection(zeroed)));
    expect(Array.from(eigenCam({ channels: 3, height: 2, width: 2, data: new Float32Array(12).fill(2) }))).toEqual([0, 0, 0, 0]);
  });
});

describe('leadingEigenvector', () => {
  it('finds the top eigenpair of a small symmetric matrix to ~1e-10', () => {
    // [[2,1],[1,2]]: eigenvalues 3 and 1, top eigenvector (1,1)/√2.
    const { vector, value } = leadingEigenvector(Float64Array.from([2, 1, 1, 2]), 2);
    expect(value).toBeCloseTo(3, 10);
    expect(Math.abs(vector[0])).toBeCloseTo(Math.SQRT1_2, 10);
    expect(vector[0] * vector[1]).toBeGreaterThan(0);
    expect(leadingEigenvector(new Float64Array(4), 2).value).toBe(0);
  });
});
