/**
 * elastic_transform of imagecorruptions 1.1.2 (SPEC.md §2): two uniform displacement fields, smoothed by a
 * reflect-mode Gaussian (σ = 0.01·size, truncate 3), scaled by α and stored as float32, then bilinear
 * resampling of the float32 image with `map_coordinates(order=1, mode='reflect')`.
 */
import type { RandomState } from '../rng/numpy-random';
import { type EdgeIndexRule, gaussianFilter, mapCoordinatesOrder1Reflect } from './ndimage';

export const ELASTIC_ALPHA = [250 * 0.05, 250 * 0.065, 250 * 0.085, 250 * 0.1, 250 * 0.12];

export function elasticTransformWith(
  rgb: Uint8Array,
  width: number,
  height: number,
  severity: number,
  rs: RandomState,
  edgeRule: EdgeIndexRule,
): Uint8Array {
  const alpha = ELASTIC_ALPHA[severity - 1];
  const n = width * height;
  const img = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i++) img[i] = rgb[i] / 255; // float32(u8) / 255 in float32 = fround(u8/255)
  const sigmaY = height * 0.01;
  const sigmaX = width * 0.01;
  const maxD = height * 0.005; // upstream uses shape[0] for both max_dx and max_dy
  const field = (): Float32Array => {
    const u = rs.uniform(-maxD, maxD, n);
    const smooth = gaussianFilter(u, height, width, 1, sigmaY, 'reflect', 3.0, sigmaX);
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = smooth[i] * alpha;
    return d;
  };
  const dx = field();
  const dy = field();
  const warped = mapCoordinatesOrder1Reflect(img, height, width, 3, dy, dx, edgeRule);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n * 3; i++) {
    const v = warped[i];
    out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.trunc(Math.fround(v * 255)); // float32 clip, ×255 in float32
  }
  return out;
}

export function elasticTransform(rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState): Uint8Array {
  return elasticTransformWith(rgb, width, height, severity, rs, 'reflect');
}
