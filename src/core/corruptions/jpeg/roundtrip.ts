/**
 * `decodeJpeg(encodeJpeg(rgb, w, h, quality))` for the 4:2:0 baseline encoding, without the entropy coding in
 * between: Huffman coding is lossless, so the decoder recovers exactly the quantised coefficients the encoder
 * computed, and the round trip is colour conversion → downsampling → islow FDCT → quantisation → dequantisation →
 * islow IDCT → fancy upsampling → colour conversion, with the encoder's and decoder's own routines. With WebAssembly
 * SIMD the block stage runs in the kernel `jpegBlocks`, and for sizes that are multiples of 16 the colour stages too
 * (`rgbToYcc420`, `ycc420ToRgb`). Tested byte-identical to the full round trip.
 */
import * as decode from './decode';
import * as encode from './encode';
import type { Divisors } from './encode';
import { quantTablesForQuality } from './tables';
import { Layout, type SimdKernels, simdKernels } from '../simd/kernels';

// Module-local copies: test and bench transforms turn imported bindings into getter calls, which would sit in the
// per-value loops.
const { idctIslow, upsample, yccToRgb } = decode;
const { componentPlane, divisorsFor, fdctIslow, rgbToYcc } = encode;

/** Per quality: the luminance and chrominance quantisers with their reciprocal divisors. */
interface Quantizer {
  q: Uint16Array;
  div: Divisors;
  /** The `jpegBlocks` table: reciprocal, correction, 2^(32 − shift), quantiser (64 int32 each, natural order). */
  simd: Int32Array;
}
const quantizers = new Map<number, Quantizer[]>();
function quantizersFor(quality: number): Quantizer[] {
  let qs = quantizers.get(quality);
  if (!qs) {
    qs = quantTablesForQuality(quality).map((q) => {
      const div = divisorsFor(q);
      const simd = new Int32Array(256);
      for (let i = 0; i < 64; i++) {
        // ((a + corr)·recip) >>> shift = ((((a + corr)·recip) >>> 16)·2^(32 − shift)) >>> 16 for shift ≥ 16
        if (div.shift[i] < 16) throw new Error('jpeg: quantiser shift below 16');
        simd[i] = div.recip[i];
        simd[64 + i] = div.corr[i];
        simd[128 + i] = 2 ** (32 - div.shift[i]);
        simd[192 + i] = q[i];
      }
      return { q, div, simd };
    });
    quantizers.set(quality, qs);
  }
  return qs;
}

/** FDCT → quantise → dequantise → IDCT of every block of `plane` into `samples` (both `stride` wide), in JavaScript. */
function blocksJs(plane: Uint8Array, samples: Uint8Array, stride: number, blocksW: number, blocksH: number, { q, div }: Quantizer): void {
  const { recip, corr, shift } = div;
  const ws = new Int32Array(64);
  const coef = new Int16Array(64);
  for (let by = 0; by < blocksH; by++) {
    for (let bx = 0; bx < blocksW; bx++) {
      const base = by * 8 * stride + bx * 8;
      for (let y = 0; y < 8; y++) {
        const o = base + y * stride;
        for (let x = 0; x < 8; x++) ws[y * 8 + x] = plane[o + x] - 128;
      }
      fdctIslow(ws);
      for (let i = 0; i < 64; i++) {
        const temp = ws[i];
        coef[i] = temp < 0 ? -(((-temp + corr[i]) * recip[i]) >>> shift[i]) : ((temp + corr[i]) * recip[i]) >>> shift[i];
      }
      idctIslow(coef, 0, q, samples, base, stride);
    }
  }
}

/**
 * The whole round trip in WebAssembly SIMD for sizes that need no edge expansion (width and height multiples of 16,
 * e.g. 224): colour conversion with downsampling, the block stage in place, upsampling with colour conversion.
 */
function roundTripSimd(k: SimdKernels, rgb: Uint8Array, w: number, h: number, qs: Quantizer[]): Uint8Array {
  const n = w * h;
  const lay = new Layout();
  const rgbAt = lay.alloc(3 * n);
  const yAt = lay.alloc(n);
  const cbAt = lay.alloc(n >> 2);
  const crAt = lay.alloc(n >> 2);
  const tabAt = lay.alloc(2 * 4 * 256);
  const tmpAt = lay.alloc(4 * (w / 2 + 16) + 2 * w);
  const outAt = lay.alloc(3 * n);
  k.reserve(lay.top);
  k.u8.set(rgb, rgbAt);
  k.i32.set(qs[0].simd, tabAt >> 2);
  k.i32.set(qs[1].simd, (tabAt >> 2) + 256);
  k.rgbToYcc420(rgbAt, w, h, yAt, cbAt, crAt);
  k.jpegBlocks(yAt, yAt, w, w / 8, h / 8, tabAt);
  k.jpegBlocks(cbAt, cbAt, w / 2, w / 16, h / 16, tabAt + 1024);
  k.jpegBlocks(crAt, crAt, w / 2, w / 16, h / 16, tabAt + 1024);
  k.ycc420ToRgb(yAt, cbAt, crAt, w, h, outAt, tmpAt);
  return k.u8.slice(outAt, outAt + 3 * n);
}

export function jpegRoundTrip420(rgb: Uint8Array, width: number, height: number, quality: number): Uint8Array {
  const qs = quantizersFor(quality);
  const k = simdKernels();
  if (k && width % 16 === 0 && height % 16 === 0) return roundTripSimd(k, rgb, width, height, qs);
  const planes = rgbToYcc(rgb, width * height);
  const full: Uint8Array[] = [];
  for (let ci = 0; ci < 3; ci++) {
    const s = ci === 0 ? 1 : 2; // the component's downsampling factor (4:2:0)
    const dw = Math.ceil(width / s);
    const dh = Math.ceil(height / s);
    const blocksW = Math.ceil(dw / 8);
    const blocksH = Math.ceil(dh / 8);
    const plane = componentPlane(planes[ci], width, height, s, s, 2, ci === 0 ? 2 : 1, blocksW, blocksH);
    const quant = qs[ci === 0 ? 0 : 1];
    const stride = blocksW * 8;
    let samples: Uint8Array;
    if (k) {
      const lay = new Layout();
      const srcAt = lay.alloc(plane.length);
      const dstAt = lay.alloc(plane.length);
      const tabAt = lay.alloc(4 * 256);
      k.reserve(lay.top);
      k.u8.set(plane, srcAt);
      k.i32.set(quant.simd, tabAt >> 2);
      k.jpegBlocks(srcAt, dstAt, stride, blocksW, blocksH, tabAt);
      samples = k.u8.slice(dstAt, dstAt + plane.length);
    } else {
      samples = new Uint8Array(plane.length);
      blocksJs(plane, samples, stride, blocksW, blocksH, quant);
    }
    full.push(upsample({ data: samples, stride, width: dw, height: dh }, s, s, width, height));
  }
  const n = width * height;
  const out = new Uint8Array(n * 3);
  yccToRgb(full[0], full[1], full[2], n, out);
  return out;
}
