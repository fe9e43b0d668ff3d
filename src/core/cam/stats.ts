/**
 * pytorch-grad-cam's scale_cam_image normalisation of one map: x − min, then divided by (1e-7 + max of that).
 * A constant map becomes all zeros; the result lies in [0, 1] (just below 1 at the maximum, or 1 after float32 rounding).
 */
export function normalizeCam(cam: Float32Array): Float32Array {
  let min = Infinity;
  for (let i = 0; i < cam.length; i++) if (cam[i] < min) min = cam[i];
  const out = new Float32Array(cam.length);
  if (cam.length === 0) return out;
  let max = -Infinity;
  for (let i = 0; i < cam.length; i++) {
    const v = cam[i] - min;
    out[i] = v;
    if (v > max) max = v;
  }
  const d = 1e-7 + max;
  for (let i = 0; i < out.length; i++) out[i] = out[i] / d;
  return out;
}

/** Position of the largest value (the first one on ties; NaN never wins) in a row-major map of width w. */
export function argmaxLocation(cam: Float32Array, w: number): { y: number; x: number; index: number } {
  if (cam.length === 0) throw new Error('argmaxLocation of an empty map');
  if (!(Number.isInteger(w) && w > 0) || cam.length % w !== 0) throw new Error(`map of ${cam.length} values is not a multiple of width ${w}`);
  let index = 0;
  let best = -Infinity;
  for (let i = 0; i < cam.length; i++) {
    if (cam[i] > best) {
      best = cam[i];
      index = i;
    }
  }
  return { y: Math.floor(index / w), x: index % w, index };
}

/** Pearson correlation (two-pass, float64). NaN when either array is constant or they are empty. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new Error(`pearson: lengths differ (${n} vs ${b.length})`);
  if (n === 0) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}
