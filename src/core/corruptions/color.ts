/**
 * brightness, saturate and contrast (SPEC.md §2), bit-exact ports of imagecorruptions 1.1.2 on float64.
 * brightness and saturate go through scikit-image 0.19's `rgb2hsv` / `hsv2rgb`, reproduced operation by operation.
 */
import type { CorruptOptions, Severity } from './types';

const BRIGHTNESS = [0.1, 0.2, 0.3, 0.4, 0.5];
const SATURATE: ReadonlyArray<readonly [number, number]> = [
  [0.3, 0],
  [0.1, 0],
  [2, 0],
  [5, 0.1],
  [20, 0.2],
];
const CONTRAST = [0.4, 0.3, 0.2, 0.1, 0.05];

/** `np.uint8(np.clip(v, 0, 1) * 255)`: clip, scale, truncate. */
function toByte(v: number): number {
  if (v < 0) v = 0;
  else if (v > 1) v = 1;
  return Math.trunc(v * 255); // v*255 ∈ [0, 255]; NaN cannot occur
}

/**
 * rgb2hsv → modify V (mode 0) or S (mode 1) → hsv2rgb → clip, per pixel, exactly as skimage 0.19 does it:
 * H assigned for R = max, then overwritten for G = max, then for B = max; `(H/6) mod 1` with numpy's floor-mod;
 * H = S = 0 where max = min.
 */
function hsvAdjust(src: Uint8Array, mode: 0 | 1, mul: number, add: number): Uint8Array {
  const n = src.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 3) {
    const r = src[i] / 255;
    const g = src[i + 1] / 255;
    const b = src[i + 2] / 255;
    let v = r > g ? r : g;
    if (b > v) v = b;
    let mn = r < g ? r : g;
    if (b < mn) mn = b;
    const delta = v - mn;
    let h = 0;
    let s = 0;
    if (delta !== 0) {
      s = delta / v;
      if (r === v) h = (g - b) / delta;
      if (g === v) h = 2 + (b - r) / delta;
      if (b === v) h = 4 + (r - g) / delta;
      h = h / 6;
      // numpy float remainder (npy_divmod): fmod, then shift into [0, 1) for a negative remainder.
      let m = h % 1;
      if (m !== 0 && m < 0) m += 1;
      h = m;
    }
    if (mode === 0) {
      v = v + add;
      v = v < 0 ? 0 : v > 1 ? 1 : v;
    } else {
      s = s * mul + add;
      s = s < 0 ? 0 : s > 1 ? 1 : s;
    }
    // hsv2rgb
    const h6 = h * 6;
    const hi = Math.floor(h6);
    const f = h6 - hi;
    const p = v * (1 - s);
    const q = v * (1 - f * s);
    const t = v * (1 - (1 - f) * s);
    let ro: number, go: number, bo: number;
    switch (hi % 6) {
      case 0:
        ro = v; go = t; bo = p;
        break;
      case 1:
        ro = q; go = v; bo = p;
        break;
      case 2:
        ro = p; go = v; bo = t;
        break;
      case 3:
        ro = p; go = q; bo = v;
        break;
      case 4:
        ro = t; go = p; bo = v;
        break;
      default:
        ro = v; go = p; bo = q;
    }
    out[i] = toByte(ro);
    out[i + 1] = toByte(go);
    out[i + 2] = toByte(bo);
  }
  return out;
}

export function brightness(src: Uint8Array, _w: number, _h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  return hsvAdjust(src, 0, 1, BRIGHTNESS[severity - 1]);
}

export function saturate(src: Uint8Array, _w: number, _h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  const [mul, add] = SATURATE[severity - 1];
  return hsvAdjust(src, 1, mul, add);
}

/**
 * `clip((x - m)·c + m)` with m the per-channel mean of x = u8/255. numpy's `mean(axis=(0, 1))` on an H×W×3 array
 * keeps the channel axis innermost, so each channel is summed sequentially in C order (no pairwise summation),
 * then divided by H·W.
 */
export function contrast(src: Uint8Array, _w: number, _h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  const c = CONTRAST[severity - 1];
  const n = src.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i += 3) {
    s0 += src[i] / 255;
    s1 += src[i + 1] / 255;
    s2 += src[i + 2] / 255;
  }
  const count = n / 3;
  const means = [s0 / count, s1 / count, s2 / count];
  // Every output value depends only on the input byte and the channel: a 256-entry table per channel.
  const lut = new Uint8Array(768);
  for (let ch = 0; ch < 3; ch++) {
    const m = means[ch];
    for (let v = 0; v < 256; v++) lut[ch * 256 + v] = toByte((v / 255 - m) * c + m);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 3) {
    out[i] = lut[src[i]];
    out[i + 1] = lut[256 + src[i + 1]];
    out[i + 2] = lut[512 + src[i + 2]];
  }
  return out;
}
