import { checkFeatureMap, type FeatureMap } from './feature-map';

/**
 * The leading eigenvector of a symmetric positive semi-definite n×n matrix (row-major float64), by power
 * iteration: first on M^32 (five normalised squarings, so a small eigen-gap still converges in few steps),
 * then polished on M itself until the unit vector moves less than `tol` between iterations.
 * Returns the unit vector and its eigenvalue (0 and a zero vector for the zero matrix).
 */
export function leadingEigenvector(m: Float64Array, n: number, tol = 1e-10): { vector: Float64Array; value: number; iterations: number } {
  if (m.length !== n * n) throw new Error(`matrix has ${m.length} values, expected ${n}×${n}`);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += m[i * n + i];
  const zero = { vector: new Float64Array(n), value: 0, iterations: 0 };
  if (!(trace > 0)) return zero;

  // Start: the square roots of the diagonal (never orthogonal to the leading eigenvector of a PSD matrix
  // with non-zero trace unless by accident) plus a small deterministic ripple against exact symmetries.
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(Math.max(0, m[i * n + i])) + 1e-3 * Math.sqrt(trace / n) * (((i * 7919) % 101) / 101);
  normalise(x);

  let iterations = 0;
  // Squarings: S ← S²/‖S²‖_F (eigenvectors unchanged, eigenvalue ratios raised to the power 2).
  let s: Float64Array = new Float64Array(m);
  scaleToUnitFrobenius(s);
  const squarings = n <= 1 ? 0 : n <= 256 ? 5 : 2; // each squaring costs n³/2 multiply-adds
  for (let sq = 0; sq < squarings; sq++) {
    s = squareSymmetric(s, n);
    if (!scaleToUnitFrobenius(s)) break;
  }
  const y = new Float64Array(n);
  for (const [mat, maxIter] of [
    [s, 500],
    [m, 5000],
  ] as const) {
    for (let it = 0; it < maxIter; it++) {
      iterations++;
      matVec(mat, n, x, y);
      if (normalise(y) === 0) return zero;
      let diff = 0;
      for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(y[i] - x[i]));
      x.set(y);
      if (diff < tol) break;
    }
  }
  matVec(m, n, x, y);
  let value = 0;
  for (let i = 0; i < n; i++) value += x[i] * y[i];
  return { vector: x, value, iterations };
}

function matVec(m: Float64Array, n: number, x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0, q = i * n; j < n; j++, q++) acc += m[q] * x[j];
    out[i] = acc;
  }
}

function normalise(x: Float64Array): number {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const norm = Math.sqrt(ss);
  if (norm > 0) for (let i = 0; i < x.length; i++) x[i] /= norm;
  return norm;
}

function scaleToUnitFrobenius(s: Float64Array): boolean {
  let ss = 0;
  for (let i = 0; i < s.length; i++) ss += s[i] * s[i];
  const norm = Math.sqrt(ss);
  if (!(norm > 0) || !Number.isFinite(norm)) return false;
  for (let i = 0; i < s.length; i++) s[i] /= norm;
  return true;
}

function squareSymmetric(s: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      // (S²)_ij = Σ_l S_il S_lj = Σ_l S_il S_jl (S symmetric): two contiguous rows.
      let acc = 0;
      for (let l = 0, a = i * n, b = j * n; l < n; l++, a++, b++) acc += s[a] * s[b];
      out[i * n + j] = acc;
      out[j * n + i] = acc;
    }
  }
  return out;
}

/**
 * The signed projection of the feature map on its first principal component — pytorch-grad-cam's
 * `get_2d_projection` (utils/svd_on_activations.py) for one image:
 *
 *   X  = activations reshaped to (HW, C);  NaN → 0
 *   Xc = X − mean over positions (per channel)
 *   U, S, Vᵀ = svd(Xc);  projection = Xc · Vᵀ[0]  → H×W
 *
 * Vᵀ[0] is computed here as the leading eigenvector of whichever of XcᵀXc (C×C) or XcXcᵀ (HW×HW) is smaller;
 * for the Gram form, Xc·v = σ·u with u the leading eigenvector of XcXcᵀ and σ² its eigenvalue.
 *
 * The sign: pytorch-grad-cam takes Vᵀ[0] as LAPACK returns it, so its sign is an accident of the SVD backend
 * (its issue #315: MKL and OpenBLAS builds give opposite, "inverted" maps). Here the sign is fixed so that
 * Σ_k V[0]_k ≥ 0, which is the same as requiring the projection to correlate positively with the centred
 * channel-sum map Xc·1 (since (Xc v)·(Xc 1) = λ·Σ_k v_k): the component points towards *more* activation,
 * the reading Eigen-CAM intends for post-ReLU features. If that sum is zero, the largest |value| is made positive.
 */
export function eigenProjection(f: FeatureMap): Float32Array {
  const hw = checkFeatureMap(f);
  const c = f.channels;
  const xc = new Float64Array(c * hw); // channel-major: xc[k·HW + p]
  for (let k = 0; k < c; k++) {
    let mean = 0;
    const base = k * hw;
    for (let p = 0; p < hw; p++) {
      const v = f.data[base + p];
      const x = Number.isNaN(v) ? 0 : v;
      xc[base + p] = x;
      mean += x;
    }
    mean /= hw;
    for (let p = 0; p < hw; p++) xc[base + p] -= mean;
  }
  const proj = new Float64Array(hw);
  if (hw <= c) {
    // Gram matrix G = Xc·Xcᵀ (HW×HW).
    const g = new Float64Array(hw * hw);
    for (let k = 0; k < c; k++) {
      const base = k * hw;
      for (let i = 0; i < hw; i++) {
        const a = xc[base + i];
        if (a === 0) continue;
        for (let j = i, q = i * hw + i; j < hw; j++, q++) g[q] += a * xc[base + j];
      }
    }
    for (let i = 0; i < hw; i++) for (let j = 0; j < i; j++) g[i * hw + j] = g[j * hw + i];
    const { vector, value } = leadingEigenvector(g, hw);
    const sigma = Math.sqrt(Math.max(0, value));
    for (let p = 0; p < hw; p++) proj[p] = sigma * vector[p];
  } else {
    // Covariance (unnormalised) K = Xcᵀ·Xc (C×C); projection = Xc·v.
    const kk = new Float64Array(c * c);
    for (let a = 0; a < c; a++) {
      for (let b = a; b < c; b++) {
        let acc = 0;
        for (let p = 0, i = a * hw, j = b * hw; p < hw; p++, i++, j++) acc += xc[i] * xc[j];
        kk[a * c + b] = acc;
        kk[b * c + a] = acc;
      }
    }
    const { vector } = leadingEigenvector(kk, c);
    for (let k = 0; k < c; k++) {
      const v = vector[k];
      if (v === 0) continue;
      for (let p = 0, q = k * hw; p < hw; p++, q++) proj[p] += v * xc[q];
    }
  }
  // Sign: projection · (centred channel sum) ≥ 0.
  let dot = 0;
  let scale = 0;
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += xc[k * hw + p];
    dot += proj[p] * s;
    scale += Math.abs(proj[p] * s);
  }
  let flip = dot < 0;
  if (!(Math.abs(dot) > 1e-12 * scale)) {
    let best = 0;
    for (let p = 0; p < hw; p++) if (Math.abs(proj[p]) > Math.abs(best)) best = proj[p];
    flip = best < 0;
  }
  const out = new Float32Array(hw);
  for (let p = 0; p < hw; p++) out[p] = flip ? -proj[p] : proj[p];
  return out;
}

/**
 * Eigen-CAM (Muhammad & Yeasin 2020) as pytorch-grad-cam computes it: ReLU of {@link eigenProjection}
 * (its BaseCAM applies np.maximum(cam, 0) before scale_cam_image). H×W, row-major, not normalised.
 */
export function eigenCam(f: FeatureMap): Float32Array {
  const proj = eigenProjection(f);
  for (let p = 0; p < proj.length; p++) if (!(proj[p] > 0)) proj[p] = 0;
  return proj;
}
