/**
 * The WebAssembly SIMD block step of MT19937 against the JavaScript one (and both against the plain definition of
 * tempering and of numpy's random_sample double): identical state, words and doubles over many blocks.
 */
import { describe, expect, it } from 'vitest';
import { createMt19937Block, createMt19937BlockJs, type Mt19937Block } from '../../../src/core/corruptions/rng/mt19937-block';

function seed(block: Mt19937Block, s: number): void {
  for (let i = 0; i < 624; i++) {
    block.mt[i] = s;
    s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
  }
}

describe('MT19937 block step', () => {
  it('runs as WebAssembly SIMD in Node', () => {
    expect(createMt19937Block().kind).toBe('wasm');
    expect(createMt19937BlockJs().kind).toBe('js');
  });

  it('WebAssembly and JavaScript give the same state, words and doubles for 2000 blocks', () => {
    for (const s of [0, 5489, 1234, 0xffffffff]) {
      const a = createMt19937Block();
      const b = createMt19937BlockJs();
      seed(a, s);
      seed(b, s);
      let diffs = 0;
      for (let k = 0; k < 500; k++) {
        a.generate();
        b.generate();
        for (let i = 0; i < 624; i++) if (a.mt[i] !== b.mt[i] || a.words[i] !== b.words[i]) diffs++;
        for (let i = 0; i < 312; i++) if (!Object.is(a.doubles[i], b.doubles[i])) diffs++;
      }
      expect(diffs, `seed ${s}`).toBe(0);
    }
  });

  it('words are the tempered state and doubles are numpy random_sample of word pairs', () => {
    const b = createMt19937Block();
    seed(b, 5489);
    b.generate();
    // The first outputs of MT19937 seeded with 5489 (the reference implementation's default seed).
    expect(Array.from(b.words.subarray(0, 3), (w) => w >>> 0)).toEqual([3499211612, 581869302, 3890346734]);
    for (let k = 0; k < 312; k++) {
      expect(b.doubles[k]).toBe(((b.words[2 * k] >>> 5) * 67108864 + (b.words[2 * k + 1] >>> 6)) / 9007199254740992);
    }
    // temper() recomputes words and doubles from the state alone (used after restoring a saved state).
    const saved = { words: b.words.slice(), doubles: b.doubles.slice() };
    b.words.fill(0);
    b.doubles.fill(0);
    b.temper();
    expect(b.words).toEqual(saved.words);
    expect(b.doubles).toEqual(saved.doubles);
  });
});
