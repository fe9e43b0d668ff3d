/**
 * ImageNet-C corruptions in pure TypeScript, matching imagecorruptions 1.1.2 as specified in
 * `shared/fixtures/corruption-reference/SPEC.md`. `corrupt()` takes an RGB or RGBA 8-bit image and returns a new
 * image of the same shape (alpha copied through); it dispatches through a registry by name.
 */
import { brightness, contrast, saturate } from './color';
import { pixelate } from './pixelate';
import { defocusBlur, gaussianBlur, motionBlurWithAngle, paramAngle, zoomBlur } from './blur';
import { frostWithDraw, paramFrostDraw } from './frost';
import { jpegCompression } from './jpeg/index';
import { seededRandomState } from './rng/numpy-random';
import type { CorruptOptions, Image8, ImageCorruptor, RgbCorruptor, Severity } from './types';
import { randomCorruptions } from './random/index';

export type { CorruptOptions, Image8, RgbCorruptor, Severity } from './types';

/** All 19 corruptions of ImageNet-C (15 common + 4 extra), in the canonical order. */
export const CORRUPTION_NAMES = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'glass_blur',
  'motion_blur',
  'zoom_blur',
  'snow',
  'frost',
  'fog',
  'brightness',
  'contrast',
  'elastic_transform',
  'pixelate',
  'jpeg_compression',
  'speckle_noise',
  'gaussian_blur',
  'spatter',
  'saturate',
] as const;
export type CorruptionName = (typeof CORRUPTION_NAMES)[number];

/** The corruptions that draw no random numbers (verified upstream: bit-identical across seeds). */
export const DETERMINISTIC: ReadonlySet<string> = new Set([
  'defocus_blur',
  'zoom_blur',
  'gaussian_blur',
  'contrast',
  'brightness',
  'saturate',
  'pixelate',
  'jpeg_compression',
]);

/**
 * motion_blur: the angle is `options.params.angle_deg` when given (replay), else the first draw
 * `uniform(-45, 45)` of numpy's legacy RandomState seeded with `options.seed`.
 */
const motionBlur: RgbCorruptor = (rgb, w, h, severity, options) => {
  const angle = paramAngle(options.params) ?? (seededRandomState(options.seed).uniform(-45, 45) as number);
  return motionBlurWithAngle(rgb, w, h, severity, angle);
};

/**
 * frost: texture index and crop from `options.params` (`frost_index`, `row_start`, `col_start`) when given, else drawn
 * like the reference: `randint(5)`, then `randint(0, Hr - H)` and `randint(0, Wr - W)` on the rescaled texture.
 */
const frost: RgbCorruptor = (rgb, w, h, severity, options) => {
  let draw = paramFrostDraw(options.params);
  if (!draw) {
    const rs = seededRandomState(options.seed);
    const index = rs.randint(5) as number;
    const tex = options.frostTextures?.[index];
    if (!tex) throw new Error(`frost: options.frostTextures[${index}] is missing (pass frost1…frost6, 1.1× rescaled, RGB)`);
    if (tex.height < h || tex.width < w) throw new Error(`frost: texture ${index + 1} (${tex.width}x${tex.height}) is smaller than the image`);
    const rowStart = rs.randint(0, tex.height - h) as number;
    const colStart = rs.randint(0, tex.width - w) as number;
    draw = { index, rowStart, colStart };
  }
  return frostWithDraw(rgb, w, h, severity, draw, options.frostTextures);
};

/** Built-in corruptions on packed RGB. */
const builtin: Record<string, RgbCorruptor> = {
  brightness,
  contrast,
  saturate,
  pixelate,
  gaussian_blur: gaussianBlur,
  defocus_blur: defocusBlur,
  zoom_blur: zoomBlur,
  motion_blur: motionBlur,
  frost,
  jpeg_compression: jpegCompression,
};

/** Corruptions supplied by other modules (the random ones); consulted after the built-ins. */
const external: Record<string, ImageCorruptor> = {};

/**
 * Registers corruptions implemented elsewhere (same form as `randomCorruptions` of `./random/index`). A built-in
 * corruption of the same name keeps precedence.
 */
export function registerCorruptions(table: Record<string, ImageCorruptor>): void {
  for (const [name, fn] of Object.entries(table)) external[name] = fn;
}

// The random corruptions (noise, glass_blur, snow, fog, spatter, elastic_transform), seeded by `options.seed`.
registerCorruptions(randomCorruptions);

/** Whether `corrupt(…, name, …)` can run (some names still need `options.params` or other options). */
export function isImplemented(name: string): boolean {
  return name in builtin || name in external;
}

function inferChannels(image: Image8): 3 | 4 {
  const n = image.width * image.height;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width <= 0 || image.height <= 0) {
    throw new RangeError(`invalid image size ${image.width}x${image.height}`);
  }
  const channels = image.channels ?? (image.data.length === n * 4 ? 4 : 3);
  if (channels !== 3 && channels !== 4) throw new RangeError(`unsupported channel count ${String(channels)}`);
  if (image.data.length !== n * channels) {
    throw new RangeError(`image data has ${image.data.length} bytes, expected ${n * channels} for ${image.width}x${image.height}x${channels}`);
  }
  return channels;
}

function toPackedRgb(image: Image8, channels: 3 | 4): Uint8Array {
  const n = image.width * image.height;
  const src = image.data;
  if (channels === 3) {
    return src instanceof Uint8Array ? src : new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  }
  const rgb = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    rgb[i * 3] = src[j];
    rgb[i * 3 + 1] = src[j + 1];
    rgb[i * 3 + 2] = src[j + 2];
  }
  return rgb;
}

function fromPackedRgb(rgb: Uint8Array, image: Image8, channels: 3 | 4): Image8 {
  const { width, height } = image;
  if (channels === 3) {
    // Keep the caller's array type (a Uint8ClampedArray in → a Uint8ClampedArray out); values are already integers.
    const data = image.data instanceof Uint8ClampedArray ? new Uint8ClampedArray(rgb.buffer, rgb.byteOffset, rgb.length) : rgb;
    return { width, height, channels: 3, data };
  }
  const n = width * height;
  const src = image.data;
  const data = image.data instanceof Uint8ClampedArray ? new Uint8ClampedArray(n * 4) : new Uint8Array(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    data[j] = rgb[i * 3];
    data[j + 1] = rgb[i * 3 + 1];
    data[j + 2] = rgb[i * 3 + 2];
    data[j + 3] = src[j + 3];
  }
  return { width, height, channels: 4, data };
}

function runExternal(name: string, image: Image8, severity: Severity, options: CorruptOptions): Image8 | undefined {
  const fn = external[name];
  return fn ? fn(image, severity, options) : undefined;
}

/**
 * Applies corruption `name` at `severity` (1–5). Returns a new image with the same width, height and channels;
 * alpha (RGBA input) is copied unchanged. The input is never modified.
 *
 * motion_blur and frost replay `options.params` when given (a params.json entry as-is: `angle_deg`; `frost_index`,
 * `row_start`, `col_start`), else they draw from numpy's legacy RandomState seeded with `options.seed`, like the
 * reference; frost needs `options.frostTextures`. Names that are not implemented yet throw
 * `Error("… not implemented")`.
 */
export function corrupt(image: Image8, name: string, severity: Severity, options: CorruptOptions = {}): Image8 {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new RangeError(`severity must be 1–5, got ${severity}`);
  const channels = inferChannels(image);
  const { width, height } = image;

  const fn: RgbCorruptor | undefined = builtin[name];
  if (fn) {
    const out = fn(toPackedRgb(image, channels), width, height, severity, options);
    return fromPackedRgb(out, image, channels);
  }

  const ext = runExternal(name, image, severity, options);
  if (ext) return ext;

  if ((CORRUPTION_NAMES as readonly string[]).includes(name)) throw new Error(`corruption ${name} not implemented`);
  throw new Error(`unknown corruption ${JSON.stringify(name)} (not implemented)`);
}
