/**
 * The WebAssembly kernels ship as base64 bytes; their .wat files beside them are the source. Compiling each .wat
 * with wabt (the version that made the bytes) must give exactly the embedded module, so an edit to one without
 * the other fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import wabtFactory from 'wabt';
import { SIMD_KERNELS_WASM } from '../../../src/core/corruptions/simd/kernels';
import { MT19937_BLOCK_WASM } from '../../../src/core/corruptions/rng/mt19937-block';
import { PROJECT_ROOT } from '../../support/fixtures';

const CASES: [string, string][] = [
  ['src/core/corruptions/simd/kernels.wat', SIMD_KERNELS_WASM],
  ['src/core/corruptions/rng/mt19937-block.wat', MT19937_BLOCK_WASM],
];

describe('embedded WebAssembly equals its .wat source', () => {
  for (const [path, embedded] of CASES) {
    it(path, async () => {
      const wabt = await wabtFactory();
      const module = wabt.parseWat(path, readFileSync(join(PROJECT_ROOT, path), 'utf8'), { simd: true });
      try {
        const { buffer } = module.toBinary({});
        expect(Buffer.from(buffer).toString('base64')).toBe(embedded);
      } finally {
        module.destroy();
      }
    });
  }
});
