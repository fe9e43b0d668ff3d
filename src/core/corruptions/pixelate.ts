/**
 * pixelate (SPEC.md §2): Pillow 9.4 `resize((n, n), BOX)` then `resize((W, H), NEAREST)` with n = int(W·f).
 * The BOX resize is the shared Pillow-exact resampler of ../pillow-resize.ts; NEAREST is `ImagingScaleAffine`.
 */
import type { CorruptOptions, Severity } from './types';
import { BOX, resizePillow } from '../pillow-resize';

const FACTORS = [0.6, 0.5, 0.4, 0.3, 0.25];

/** Pillow `resize((outW, outH), BOX)` of packed RGB (the shared Pillow-exact resampler). */
export function resizeBoxRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  return resizePillow({ width: w, height: h, data: src, channels: 3 }, outW, outH, BOX).data as Uint8Array;
}

/** Source indices of Pillow's NEAREST resize (`ImagingScaleAffine`: `xo = a·0.5`, then `xo += a` per sample). */
function nearestIndex(inSize: number, outSize: number): Int32Array {
  const a = inSize / outSize;
  const idx = new Int32Array(outSize);
  let xo = a * 0.5;
  for (let i = 0; i < outSize; i++) {
    const v = xo < 0 ? -1 : Math.trunc(xo);
    idx[i] = v < 0 ? 0 : v >= inSize ? inSize - 1 : v;
    xo += a;
  }
  return idx;
}

/** Pillow `resize((outW, outH), NEAREST)` of packed RGB. */
export function resizeNearestRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const xi = nearestIndex(w, outW);
  const yi = nearestIndex(h, outH);
  const out = new Uint8Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    const srow = yi[y] * w * 3;
    let o = y * outW * 3;
    for (let x = 0; x < outW; x++) {
      const p = srow + xi[x] * 3;
      out[o++] = src[p];
      out[o++] = src[p + 1];
      out[o++] = src[p + 2];
    }
  }
  return out;
}

export function pixelate(src: Uint8Array, w: number, h: number, severity: Severity, _o: CorruptOptions): Uint8Array {
  const f = FACTORS[severity - 1];
  // imagecorruptions: x.resize((int(x_shape[1] * c), int(x_shape[0] * c)), PIL.Image.BOX)
  const sw = Math.trunc(w * f);
  const sh = Math.trunc(h * f);
  if (sw < 1 || sh < 1) throw new RangeError(`pixelate: a ${w}x${h} image is too small for severity ${severity}`);
  const small = resizeBoxRgb(src, w, h, sw, sh);
  return resizeNearestRgb(small, sw, sh, w, h);
}
