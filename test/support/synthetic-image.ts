/**
 * Formula-defined test images shared with the Python reference generators (test/data/small/make-*-reference.py),
 * so that references store hashes instead of pixels.
 */

import { fmix32 } from '../../src/core/hash';

export { fmix32 };

/** `byte[i] = fmix32(i·0x9E3779B1 + seed·0x85EBCA77 mod 2³²) >> 24` over the interleaved (h, w, c) array. */
export function hashImage(width: number, height: number, channels: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  const salt = Math.imul(seed, 0x85ebca77);
  for (let i = 0; i < out.length; i++) out[i] = fmix32((Math.imul(i, 0x9e3779b1) + salt) >>> 0) >>> 24;
  return out;
}

/** Smooth ramps, plateaus and both saturation ends: `v = (x(3+ch) + y(5+2ch) + ⌊xy/7⌋) mod 256`, folded ×2. */
export function smoothImage(width: number, height: number, channels: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < channels; ch++, i++) {
        const v = (x * (3 + ch) + y * (5 + 2 * ch) + Math.floor((x * y) / 7)) % 256;
        out[i] = Math.min(255, (v < 128 ? v : 255 - v) * 2);
      }
    }
  }
  return out;
}

/** An input image of the Pillow resize references (test/data/small/*-reference.json): stored, hashed or a pattern. */
export interface ResizeReferenceImage {
  gen: 'stored' | 'hash' | 'pattern';
  width: number;
  height: number;
  data?: string;
  seed?: number;
  grey?: boolean;
}

/** Packed RGB bytes of a resize-reference image, as make-*-reference.py builds them. */
export function resizeReferenceImage(spec: ResizeReferenceImage): Uint8Array {
  const { width: w, height: h } = spec;
  if (spec.gen === 'stored') return new Uint8Array(Buffer.from(spec.data!, 'base64'));
  if (spec.gen === 'hash') {
    if (!spec.grey) return hashImage(w, h, 3, spec.seed!);
    const grey = hashImage(w, h, 1, spec.seed!);
    const out = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) out.fill(grey[i], i * 3, i * 3 + 3);
    return out;
  }
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      out[o] = Math.floor((x * 255) / (w - 1));
      out[o + 1] = Math.floor((y * 255) / (h - 1));
      out[o + 2] = (x * 7 + y * 3) % 256;
    }
  }
  return out;
}
