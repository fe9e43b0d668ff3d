/**
 * glass_blur (SPEC.md §2): Gaussian blur, then local pixel moves drawn with numba's MT19937 (seeded like numpy,
 * same `randint` stream as `RandomState.randint`), then a second Gaussian blur.
 */
import type { RandomState } from '../rng/numpy-random';
import { gaussianFilter } from './ndimage';
import * as noise from './noise';

// A module-local copy: test and bench transforms turn imported bindings into getter calls, which would sit in the
// per-value loop.
const unitToByte = noise.unitToByte;

/** (σ, δ, iterations) per severity. */
export const GLASS_BLUR_PARAMS: ReadonlyArray<readonly [number, number, number]> = [
  [0.7, 1, 2],
  [0.9, 2, 1],
  [1, 2, 3],
  [1.1, 3, 2],
  [1.5, 4, 2],
];

export function glassBlur(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState): Uint8Array {
  const [sigma, delta, iterations] = GLASS_BLUR_PARAMS[severity - 1];
  const n = width * height * 3;
  // 1. g = np.uint8(gaussian(x / 255., σ, channel_axis=-1) * 255)
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rgb[i] / 255;
  const blurred = gaussianFilter(x, height, width, 3, sigma, 'nearest', 4.0);
  const g = new Uint8Array(n);
  for (let i = 0; i < n; i++) g[i] = Math.trunc(blurred[i] * 255);
  // 2. for h = H−δ … δ+1, w = W−δ … δ+1: dx, dy = randint(−δ, δ, size=2); g[h, w] = g[h+dy, w+dx] (a copy:
  //    the tuple "swap" on numpy row views is one-way).
  const stride = width * 3;
  for (let it = 0; it < iterations; it++) {
    for (let h = height - delta; h > delta; h--) {
      for (let w = width - delta; w > delta; w--) {
        const dx = rs.randint(-delta, delta);
        const dy = rs.randint(-delta, delta);
        const dst = h * stride + w * 3;
        const src = (h + dy) * stride + (w + dx) * 3;
        g[dst] = g[src];
        g[dst + 1] = g[src + 1];
        g[dst + 2] = g[src + 2];
      }
    }
  }
  // 3. clip(gaussian(g / 255., σ)) * 255
  for (let i = 0; i < n; i++) x[i] = g[i] / 255;
  const second = gaussianFilter(x, height, width, 3, sigma, 'nearest', 4.0);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = unitToByte(second[i]);
  return out;
}
