/**
 * jpeg_compression (SPEC.md §2): Pillow 9.4 `save(buf, 'JPEG', quality=q)` then `Image.open(buf)`, on
 * libjpeg-turbo 2.1.5 — baseline, 4:2:0, islow DCT, standard Huffman tables; decoded with the islow IDCT and fancy
 * upsampling. Both halves are exact ports (./encode.ts, ./decode.ts), so the result is bit-identical to the
 * reference. Pure TypeScript.
 */
import { jpegRoundTrip420 } from './roundtrip';
import type { CorruptOptions, Severity } from '../types';

export { decodeJpeg, type DecodedJpeg } from './decode';
export { encodeJpeg, type ChromaSubsampling, type JpegEncodeOptions } from './encode';
export { quantTablesForQuality } from './tables';

/** JPEG quality per severity 1–5 (imagecorruptions 1.1.2). */
export const JPEG_QUALITY: readonly number[] = [25, 18, 15, 10, 7];

/** jpeg_compression on packed RGB (`width·height·3` bytes); returns a new packed RGB buffer of the same size. */
export function jpegCompression(
  rgb: Uint8Array,
  width: number,
  height: number,
  severity: Severity | number,
  _options?: CorruptOptions,
): Uint8Array {
  const quality = JPEG_QUALITY[severity - 1];
  if (quality === undefined || !Number.isInteger(severity)) throw new RangeError(`severity must be 1–5, got ${severity}`);
  return jpegRoundTrip420(rgb, width, height, quality);
}
