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
  /** `dst[i] = a[i] + b[i]` for i < n: two uint8 rows into one int32 row. */
  addU8(dst: number, a: number, b: number, n: number): void;
  /**
   * Grouped weighted sum of int32 rows: `dst[i] = ((0 + S₁[i]·w₁) + S₂[i]·w₂) + …` (float64) for i < n, with
   * `S_g[i] = Σ_e (A_e[i] + B_e[i])` in int32. `groups` holds `ngroups` records: w f64, count i32, unused i32, then
   * count × (A offset i32, B offset i32).
   */
  gsum(dst: number, groups: number, ngroups: number, n: number): void;
}

/** kernels.wat compiled by wabt 1.0.36 (`wat2wasm`, SIMD on by default), base64. */
const SIMD_KERNELS_WASM =
  'AGFzbQEAAAABEQJgBn9/fH9/fwBgBH9/f38AAwUEAAEBAQUDAQABByUFBm1lbW9yeQIAA3N5bQAAA2RvdAABBWFkZFU4AAIEZ3N1bQADCrYLBOYCBQR/A3sCfwF7AXwgAv0UIQ8gAyAEQQR0aiEJIAVBfHFBA3QhB0EAIQYCQCAGIAdPDQADQCABIAZq/QAEACAP/fIBIQogASAGav0ABBAgD/3yASELIAMhCAJAIAggCU8NAANAIAgoAgAgBmohDSAIKAIEIAZqIQ4gCP0KAwghDCAKIA39AAQAIA79AAQA/fABIAz98gH98AEhCiALIA39AAQQIA79AAQQ/fABIAz98gH98AEhCyAIQRBqIQggCCAJSQ0ACwsgACAGaiAK/QsEACAAIAZqIAv9CwQQIAZBIGohBiAGIAdJDQALCyAFQQN0IQcCQCAGIAdPDQADQCABIAZqKwMAIAKiIRAgAyEIAkAgCCAJTw0AA0AgECAIKAIAIAZqKwMAIAgoAgQgBmorAwCgIAgrAwiioCEQIAhBEGohCCAIIAlJDQALCyAAIAZqIBA5AwAgBkEIaiEGIAYgB0kNAAsLC64CBAR/A3sBfwF8IAEgAkEEdGohByADQXxxQQN0IQVBACEEAkAgBCAFTw0AA0BEAAAAAAAAAAD9FCEIRAAAAAAAAAAA/RQhCSABIQYCQCAGIAdPDQADQCAGKAIAIARqIQsgBv0KAwghCiAIIAv9AAQAIAr98gH98AEhCCAJIAv9AAQQIAr98gH98AEhCSAGQRBqIQYgBiAHSQ0ACwsgACAEaiAI/QsEACAAIARqIAn9CwQQIARBIGohBCAEIAVJDQALCyADQQN0IQUCQCAEIAVPDQADQEQAAAAAAAAAACEMIAEhBgJAIAYgB08NAANAIAwgBigCACAEaisDACAGKwMIoqAhDCAGQRBqIQYgBiAHSQ0ACwsgACAEaiAMOQMAIARBCGohBCAEIAVJDQALCwuiAQICfwF7IANBeHEhBUEAIQQCQCAEIAVPDQADQCABIARq/V0DAP2JASACIARq/V0DAP2JAf2OASEGIAAgBEECdGogBv2pAf0LBAAgACAEQQJ0aiAG/aoB/QsEECAEQQhqIQQgBCAFSQ0ACwsCQCAEIANPDQADQCAAIARBAnRqIAEgBGotAAAgAiAEai0AAGo2AgAgBEEBaiEEIAQgA0kNAAsLC/cEBAl/B3sBfwF8IANBeHEhBUEAIQQCQCAEIAVPDQADQCAEQQJ0IQxEAAAAAAAAAAD9FCEPRAAAAAAAAAAA/RQhEEQAAAAAAAAAAP0UIRFEAAAAAAAAAAD9FCESIAEhBkEAIQcCQCAHIAJPDQADQCAG/QoDACETIAZBEGohCCAIIAYoAghBA3RqIQlBAP0RIQ1BAP0RIQ4CQCAIIAlPDQADQCAIKAIAIAxqIQogCCgCBCAMaiELIA0gCv0ABAAgC/0ABAD9rgH9rgEhDSAOIAr9AAQQIAv9AAQQ/a4B/a4BIQ4gCEEIaiEIIAggCUkNAAsLIA8gDf3+ASAT/fIB/fABIQ8gECANIA39DQgJCgsMDQ4PCAkKCwwNDg/9/gEgE/3yAf3wASEQIBEgDv3+ASAT/fIB/fABIREgEiAOIA79DQgJCgsMDQ4PCAkKCwwNDg/9/gEgE/3yAf3wASESIAkhBiAHQQFqIQcgByACSQ0ACwsgACAEQQN0aiAP/QsEACAAIARBA3RqIBD9CwQQIAAgBEEDdGogEf0LBCAgACAEQQN0aiAS/QsEMCAEQQhqIQQgBCAFSQ0ACwsCQCAEIANPDQADQCAEQQJ0IQxEAAAAAAAAAAAhFSABIQZBACEHAkAgByACTw0AA0AgBkEQaiEIIAggBigCCEEDdGohCUEAIRQCQCAIIAlPDQADQCAUIAgoAgAgDGooAgAgCCgCBCAMaigCAGpqIRQgCEEIaiEIIAggCUkNAAsLIBUgFLcgBisDAKKgIRUgCSEGIAdBAWohByAHIAJJDQALCyAAIARBA3RqIBU5AwAgBEEBaiEEIAQgA0kNAAsLCw==';

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
      addU8: exports.addU8 as SimdKernels['addU8'],
      gsum: exports.gsum as SimdKernels['gsum'],
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
