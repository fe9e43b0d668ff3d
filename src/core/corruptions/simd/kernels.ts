/**
 * WebAssembly SIMD kernels for the hot loops of the corruptions (kernels.wat). Each kernel keeps, per lane, the
 * operations of the JavaScript loop it replaces and their order (wasm never fuses a multiply and an add), so the
 * results are bit-identical to the JavaScript code, which stays as the fallback where WebAssembly SIMD is missing or
 * refused (`simdKernels()` returns null there).
 *
 * One module instance per thread (each worker has its own), with one growable memory: a caller lays out its planes
 * with a `Layout` for the duration of one synchronous call and copies its result out before returning, so calls never
 * see each other's data.
 */

export interface SimdKernels {
  /** Views of the whole memory; replaced when `reserve()` grows it, so re-read them after reserving. */
  f64: Float64Array;
  f32: Float32Array;
  i32: Int32Array;
  u8: Uint8Array;
  /** Makes the memory at least `bytes` long. */
  reserve(bytes: number): void;
  /**
   * `dst[i] = src0[i]·w0 + (lo₁[i] + hi₁[i])·w₁ + (lo₂[i] + hi₂[i])·w₂ + …` for i < n (float64, summed left to right):
   * scipy's symmetric `correlate1d` order. `taps` holds `ntaps` 16-byte records (lo offset i32, hi offset i32, w f64).
   */
  sym(dst: number, src0: number, w0: number, taps: number, ntaps: number, n: number): void;
  /**
   * `dst[i] = ((0 + s₀[i]·w₀) + s₁[i]·w₁) + …` for i < n (float64): an accumulator starting at 0 that adds the taps
   * in order. `taps` holds `ntaps` 16-byte records (source offset i32, unused i32, w f64).
   */
  dot(dst: number, taps: number, ntaps: number, n: number): void;
}

/** kernels.wat compiled by wabt 1.0.36 (`wat2wasm`, SIMD on by default), base64. */
const SIMD_KERNELS_WASM =
  'AGFzbQEAAAABEQJgBn9/fH9/fwBgBH9/f38AAwMCAAEFAwEAAQcWAwZtZW1vcnkCAANzeW0AAANkb3QAAQqZBQLmAgUEfwN7An8BewF8IAL9FCEPIAMgBEEEdGohCSAFQXxxQQN0IQdBACEGAkAgBiAHTw0AA0AgASAGav0ABAAgD/3yASEKIAEgBmr9AAQQIA/98gEhCyADIQgCQCAIIAlPDQADQCAIKAIAIAZqIQ0gCCgCBCAGaiEOIAj9CgMIIQwgCiAN/QAEACAO/QAEAP3wASAM/fIB/fABIQogCyAN/QAEECAO/QAEEP3wASAM/fIB/fABIQsgCEEQaiEIIAggCUkNAAsLIAAgBmogCv0LBAAgACAGaiAL/QsEECAGQSBqIQYgBiAHSQ0ACwsgBUEDdCEHAkAgBiAHTw0AA0AgASAGaisDACACoiEQIAMhCAJAIAggCU8NAANAIBAgCCgCACAGaisDACAIKAIEIAZqKwMAoCAIKwMIoqAhECAIQRBqIQggCCAJSQ0ACwsgACAGaiAQOQMAIAZBCGohBiAGIAdJDQALCwuuAgQEfwN7AX8BfCABIAJBBHRqIQcgA0F8cUEDdCEFQQAhBAJAIAQgBU8NAANARAAAAAAAAAAA/RQhCEQAAAAAAAAAAP0UIQkgASEGAkAgBiAHTw0AA0AgBigCACAEaiELIAb9CgMIIQogCCAL/QAEACAK/fIB/fABIQggCSAL/QAEECAK/fIB/fABIQkgBkEQaiEGIAYgB0kNAAsLIAAgBGogCP0LBAAgACAEaiAJ/QsEECAEQSBqIQQgBCAFSQ0ACwsgA0EDdCEFAkAgBCAFTw0AA0BEAAAAAAAAAAAhDCABIQYCQCAGIAdPDQADQCAMIAYoAgAgBGorAwAgBisDCKKgIQwgBkEQaiEGIAYgB0kNAAsLIAAgBGogDDkDACAEQQhqIQQgBCAFSQ0ACwsL';

const PAGE = 65536;

/** Byte offsets for a call's planes in kernel memory, each 16-byte aligned. */
export class Layout {
  top = 0;
  alloc(bytes: number): number {
    const at = this.top;
    this.top = (at + bytes + 15) & ~15;
    return at;
  }
}

let enabled = true;
let kernels: SimdKernels | null | undefined;

function instantiate(): SimdKernels | null {
  try {
    if (typeof WebAssembly !== 'object' || typeof atob !== 'function') return null;
    const bytes = Uint8Array.from(atob(SIMD_KERNELS_WASM), (ch) => ch.charCodeAt(0));
    if (!WebAssembly.validate(bytes)) return null;
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = exports.memory as WebAssembly.Memory;
    const k: SimdKernels = {
      f64: new Float64Array(memory.buffer),
      f32: new Float32Array(memory.buffer),
      i32: new Int32Array(memory.buffer),
      u8: new Uint8Array(memory.buffer),
      reserve(bytes: number) {
        const have = memory.buffer.byteLength;
        if (bytes <= have) return;
        memory.grow(Math.ceil((bytes - have) / PAGE));
        k.f64 = new Float64Array(memory.buffer);
        k.f32 = new Float32Array(memory.buffer);
        k.i32 = new Int32Array(memory.buffer);
        k.u8 = new Uint8Array(memory.buffer);
      },
      sym: exports.sym as SimdKernels['sym'],
      dot: exports.dot as SimdKernels['dot'],
    };
    return k;
  } catch {
    return null; // no WebAssembly SIMD, or a CSP without 'wasm-unsafe-eval'
  }
}

/** The kernels of this thread, or null where WebAssembly SIMD is unavailable (or disabled for a test). */
export function simdKernels(): SimdKernels | null {
  if (!enabled) return null;
  if (kernels === undefined) kernels = instantiate();
  return kernels;
}

/** Turns the WebAssembly kernels off (true → on again), so tests can compare both paths. */
export function setSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}
