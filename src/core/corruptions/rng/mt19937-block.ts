/**
 * The block step of MT19937 (`mt19937_gen`: regenerate all 624 state words) followed by the tempering of the whole
 * block and the 312 doubles `random_sample` makes from consecutive word pairs. This is where numpy-random.ts spends
 * its time (gaussian, shot and impulse noise draw 0.4–2 million words per image), so it runs as a small WebAssembly
 * SIMD module (four words per instruction, about 3.5× the JavaScript loop) where WebAssembly SIMD is available, and
 * as the same computation in JavaScript elsewhere; both give identical words (tested).
 */

const N = 624;
const M = 397;
// The MT19937 constants as int32 bit patterns: the state lives in an Int32Array, so every operation stays in
// 32-bit integer registers (uint32 values above 2^31 would be doubles to V8).
const MATRIX_A = 0x9908b0df | 0;
const UPPER_MASK = 0x80000000 | 0;
const LOWER_MASK = 0x7fffffff;
const TEMPER_B = 0x9d2c5680 | 0;
const TEMPER_C = 0xefc60000 | 0;
/** 2^-53: `× 2^-53` equals numpy's `/ 9007199254740992.0` (a power of two, so the quotient is exact). */
export const TWO_M53 = 1 / 9007199254740992;

/** One generator's buffers: the state and the outputs of the current block. */
export interface Mt19937Block {
  /** Which implementation runs the block step. */
  readonly kind: 'wasm' | 'js';
  /** The 624 state words (bit patterns as int32). Written by seeding; `generate()` advances it by one block. */
  readonly mt: Int32Array;
  /** After `generate()`: the 624 tempered outputs of the new state, `words[i]` = temper(`mt[i]`). */
  readonly words: Int32Array;
  /** After `generate()`: `doubles[k]` = ((words[2k] >>> 5)·2^26 + (words[2k+1] >>> 6))·2^-53. */
  readonly doubles: Float64Array;
  /** Advances the state by one block and refreshes `words` and `doubles`. */
  generate(): void;
  /** Refreshes `words` and `doubles` from `mt` as it is (after restoring a saved state). */
  temper(): void;
}

/** mt19937-block.wat compiled by wabt 1.0.36 (`wat2wasm`, SIMD on by default), base64. */
export const MT19937_BLOCK_WASM =
  'AGFzbQEAAAABBAFgAAADAgEABQMBAAEHFQIGbWVtb3J5AgAIZ2VuZXJhdGUAAAqHBQGEBQMBfwJ7An9BACEAA0AgAP0ABAD9DAAAAIAAAACAAAAAgAAAAID9TiAA/QAEBP0M////f////3////9/////f/1O/VAhASAAIAD9AAS0DCABQQH9rQEgAf0MAQAAAAEAAAABAAAAAQAAAP1O/aEB/QzfsAiZ37AImd+wCJnfsAiZ/U79Uf1R/QsEACAAQRBqIQAgAEGAB0kNAAsDQCAAKAIAQYCAgIB4cSAAKAIEQf////8HcXIhAyAAIAAoArQMIANBAXZBACADQQFxa0Hf4aLIeXFzczYCACAAQQRqIQAgAEGMB0kNAAsDQCAA/QAEAP0MAAAAgAAAAIAAAACAAAAAgP1OIAD9AAQE/Qz///9/////f////3////9//U79UCEBIAAgAEGMB2v9AAQAIAFBAf2tASAB/QwBAAAAAQAAAAEAAAABAAAA/U79oQH9DN+wCJnfsAiZ37AImd+wCJn9Tv1R/VH9CwQAIABBEGohACAAQbwTSQ0AC0G8EygCAEGAgICAeHFBACgCAEH/////B3FyIQNBvBNBsAwoAgAgA0EBdkEAIANBAXFrQd/hosh5cXNzNgIAQQAhAANAIAD9AAQAIQIgAiACQQv9rQH9USECIAIgAkEH/asB/QyAViydgFYsnYBWLJ2AViyd/U79USECIAIgAkEP/asB/QwAAMbvAADG7wAAxu8AAMbv/U79USECIAIgAkES/a0B/VEhAiAAIAL9CwTAEyAAQRBqIQAgAEHAE0kNAAtBACEEA0AgBEEDdCAEQQN0KALAE0EFdq1CGoYgBEEDdCgCxBNBBnathLpEAAAAAAAAoDyiOQOAJyAEQQFqIQQgBEG4AkkNAAsL';

/** The compiled module, or null where WebAssembly (or its SIMD) is unavailable or refused (e.g. by a CSP). */
let wasmModule: WebAssembly.Module | null | undefined;
function compiledModule(): WebAssembly.Module | null {
  if (wasmModule !== undefined) return wasmModule;
  wasmModule = null;
  try {
    if (typeof WebAssembly === 'object' && typeof atob === 'function') {
      const bytes = Uint8Array.from(atob(MT19937_BLOCK_WASM), (ch) => ch.charCodeAt(0));
      if (WebAssembly.validate(bytes)) wasmModule = new WebAssembly.Module(bytes);
    }
  } catch {
    wasmModule = null;
  }
  return wasmModule;
}

/** Tempering and the word-pair doubles, in JavaScript (the fallback, and `temper()` of both kinds). */
function temperJs(mt: Int32Array, words: Int32Array, doubles: Float64Array): void {
  for (let i = 0; i < N; i++) {
    let t = mt[i];
    t ^= t >>> 11;
    t ^= (t << 7) & TEMPER_B;
    t ^= (t << 15) & TEMPER_C;
    t ^= t >>> 18;
    words[i] = t;
  }
  for (let k = 0; k < N / 2; k++) doubles[k] = ((words[2 * k] >>> 5) * 67108864.0 + (words[2 * k + 1] >>> 6)) * TWO_M53;
}

/** `mt19937_gen` in JavaScript. */
function generateJs(mt: Int32Array): void {
  let i = 0;
  let y: number;
  // `-(y & 1) & MATRIX_A` = `y & 1 ? MATRIX_A : 0` without a branch.
  for (; i < N - M; i++) {
    y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
    mt[i] = mt[i + M] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  for (; i < N - 1; i++) {
    y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
    mt[i] = mt[i + (M - N)] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
  mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
}

/** The JavaScript implementation (also what `createMt19937Block` returns without WebAssembly SIMD). */
export function createMt19937BlockJs(): Mt19937Block {
  const mt = new Int32Array(N);
  const words = new Int32Array(N);
  const doubles = new Float64Array(N / 2);
  return {
    kind: 'js',
    mt,
    words,
    doubles,
    generate: () => {
      generateJs(mt);
      temperJs(mt, words, doubles);
    },
    temper: () => temperJs(mt, words, doubles),
  };
}

/** A generator's buffers: one instance of the WebAssembly module each (about 10 µs), or the JavaScript fallback. */
export function createMt19937Block(): Mt19937Block {
  const module = compiledModule();
  if (!module) return createMt19937BlockJs();
  const { exports } = new WebAssembly.Instance(module, {});
  const buffer = (exports.memory as WebAssembly.Memory).buffer;
  const mt = new Int32Array(buffer, 0, N);
  const words = new Int32Array(buffer, 4 * N, N);
  const doubles = new Float64Array(buffer, 8 * N, N / 2);
  return { kind: 'wasm', mt, words, doubles, generate: exports.generate as () => void, temper: () => temperJs(mt, words, doubles) };
}
