export type Triple = readonly [number, number, number];

export const IMAGENET_MEAN: Triple = [0.485, 0.456, 0.406];
export const IMAGENET_STD: Triple = [0.229, 0.224, 0.225];

/**
 * Interleaved 8-bit RGB(A) pixels → planar float32 CHW, `(v/255 − mean[c]) / std[c]`, written into `out`
 * at `offset` (so a batch is filled in place without copies).
 */
export function normalizeToChw(
  pixels: Uint8Array | Uint8ClampedArray,
  channels: 3 | 4,
  width: number,
  height: number,
  mean: Triple,
  std: Triple,
  out: Float32Array,
  offset = 0,
): void {
  const plane = width * height;
  if (pixels.length < plane * channels) throw new Error(`expected ${plane * channels} bytes, got ${pixels.length}`);
  if (out.length < offset + 3 * plane) throw new Error('output tensor too small');
  for (let c = 0; c < 3; c++) {
    // A 256-entry table: the same arithmetic for every pixel, done once per value.
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v / 255 - mean[c]) / std[c];
    const base = offset + c * plane;
    for (let i = 0, p = c; i < plane; i++, p += channels) out[base + i] = lut[pixels[p]];
  }
}
