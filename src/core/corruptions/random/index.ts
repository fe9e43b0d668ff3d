/**
 * The random corruptions of imagecorruptions 1.1.2 (SPEC.md §2): gaussian_noise, shot_noise, impulse_noise,
 * speckle_noise, glass_blur, snow, fog, spatter, elastic_transform. Each seeds a fresh port of numpy's legacy
 * RandomState with `options.seed` (the per-output seed of `params.json`, SPEC.md §4) and makes the reference's
 * draws in the reference's order, so the noise is replayed exactly (glass_blur's numba MT19937 is seeded and
 * bounded the same way, so it uses the same port). Without a seed the output is random (like unseeded numpy).
 * Pure TypeScript (no DOM, no Node APIs).
 *
 * Verified against the reference statistics of all 50 DEV-C images × 5 severities (stats.json): every one of the
 * 2250 outputs matches SSIM-to-clean, mean and std of the difference and the channel correlation to stats.json's
 * 6 significant digits (test/core/corruptions/random-noise.test.ts, random-corruptions.test.ts).
 *
 * Input: an RGB or RGBA `Image8`; the corruption runs on the RGB values and alpha is copied through.
 */
import { RandomState, seededRandomState } from '../rng/numpy-random';
import type { CorruptOptions, Image8 } from '../types';
import { elasticTransform } from './elastic';
import { fog } from './fog';
import { glassBlur } from './glass';
import { gaussianNoise, impulseNoise, shotNoise, speckleNoise } from './noise';
import { snow } from './snow';
import { spatter } from './spatter';

/** A corruption on packed RGB (`w·h·3` bytes) drawing from `rs`. */
export type RandomRgbCorruptor = (rgb: Uint8Array, width: number, height: number, severity: number, rs: RandomState) => Uint8Array;

export const randomRgbCorruptors: Record<string, RandomRgbCorruptor> = {
  gaussian_noise: (rgb, _w, _h, s, rs) => gaussianNoise(rgb, s, rs),
  shot_noise: (rgb, _w, _h, s, rs) => shotNoise(rgb, s, rs),
  impulse_noise: (rgb, _w, _h, s, rs) => impulseNoise(rgb, s, rs),
  speckle_noise: (rgb, _w, _h, s, rs) => speckleNoise(rgb, s, rs),
  glass_blur: glassBlur,
  snow,
  fog,
  spatter,
  elastic_transform: elasticTransform,
};

function channelsOf(img: Image8): 3 | 4 {
  if (img.channels) return img.channels;
  const n = img.width * img.height;
  if (img.data.length === n * 4) return 4;
  if (img.data.length === n * 3) return 3;
  throw new RangeError(`image data has ${img.data.length} bytes, expected ${n * 3} (RGB) or ${n * 4} (RGBA)`);
}

function checkSeverity(severity: number): void {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new RangeError(`severity must be 1…5, got ${severity}`);
}

function wrap(fn: RandomRgbCorruptor): (img: Image8, severity: number, options: CorruptOptions) => Image8 {
  return (img, severity, options) => {
    checkSeverity(severity);
    const ch = channelsOf(img);
    const n = img.width * img.height;
    if (img.data.length !== n * ch) throw new RangeError('image data length does not match width·height·channels');
    let rgb: Uint8Array;
    if (ch === 3) rgb = img.data instanceof Uint8Array ? img.data : new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length);
    else {
      rgb = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) {
        rgb[3 * i] = img.data[4 * i];
        rgb[3 * i + 1] = img.data[4 * i + 1];
        rgb[3 * i + 2] = img.data[4 * i + 2];
      }
    }
    const rs = seededRandomState(options?.seed);
    const out = fn(rgb, img.width, img.height, severity, rs);
    if (ch === 3) return { width: img.width, height: img.height, data: out, channels: 3 };
    const rgba = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      rgba[4 * i] = out[3 * i];
      rgba[4 * i + 1] = out[3 * i + 1];
      rgba[4 * i + 2] = out[3 * i + 2];
      rgba[4 * i + 3] = img.data[4 * i + 3];
    }
    return { width: img.width, height: img.height, data: rgba, channels: 4 };
  };
}

export const randomCorruptions: Record<string, (img: Image8, severity: number, options: CorruptOptions) => Image8> =
  Object.fromEntries(Object.entries(randomRgbCorruptors).map(([name, fn]) => [name, wrap(fn)]));

export { RandomState } from '../rng/numpy-random';
