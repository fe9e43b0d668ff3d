/**
 * jpeg_compression's shortcut (no entropy coding between the encoder's quantisation and the decoder's dequantisation)
 * against the full round trip through the libjpeg-exact encoder and decoder: identical bytes for every severity's
 * quality, several sizes (block and MCU edges; multiples of 16 take the all-SIMD path), with WebAssembly SIMD and
 * with the JavaScript path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJpeg, encodeJpeg } from '../../../src/core/corruptions/jpeg/index';
import { jpegRoundTrip420 } from '../../../src/core/corruptions/jpeg/roundtrip';
import { setSimdKernelsEnabled } from '../../../src/core/corruptions/simd/kernels';

/** A smooth gradient with deterministic noise and a few hard edges: realistic coefficients at every quality. */
function testImage(w: number, h: number, seed: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const n = (s >>> 24) - 128;
      const edge = (x * 7 + y * 3) % 53 < 9 ? 90 : 0;
      const i = (y * w + x) * 3;
      rgb[i] = Math.max(0, Math.min(255, ((x * 255) / w + n / 4 + edge) | 0));
      rgb[i + 1] = Math.max(0, Math.min(255, ((y * 255) / h + n / 3) | 0));
      rgb[i + 2] = Math.max(0, Math.min(255, (((x + y) * 128) / (w + h) + n / 2 + (edge >> 1)) | 0));
    }
  }
  return rgb;
}

describe('jpegRoundTrip420', () => {
  afterEach(() => setSimdKernelsEnabled(true));

  for (const simd of [true, false]) {
    it(`equals decodeJpeg(encodeJpeg(·)) byte for byte (${simd ? 'WebAssembly SIMD' : 'JavaScript'} blocks)`, () => {
      setSimdKernelsEnabled(simd);
      let values = 0;
      for (const [w, h] of [[224, 224], [64, 48], [37, 29], [16, 16], [9, 1], [250, 17]] as const) {
        const rgb = testImage(w, h, w * 1000 + h);
        for (const quality of [25, 18, 15, 10, 7, 75]) {
          const full = decodeJpeg(encodeJpeg(rgb, w, h, quality)).data;
          const fast = jpegRoundTrip420(rgb, w, h, quality);
          expect(Buffer.compare(Buffer.from(fast), Buffer.from(full)), `${w}x${h} q${quality}`).toBe(0);
          values += fast.length;
        }
      }
      expect(values).toBeGreaterThan(1_000_000);
    });
  }
});
