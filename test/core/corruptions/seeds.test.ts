import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { outputSeed } from '../../../src/core/corruptions/seeds';
import { proceduralFrostTextures, FROST_TEXTURE_SIZES } from '../../../src/core/corruptions/frost-textures';
import { describeFixtures, fixture } from '../../support/fixtures';

describeFixtures('output seeds', () => {
  it('equal every seed in params.json', async () => {
    const params = JSON.parse(readFileSync(fixture('corruption-reference', 'params.json'), 'utf8'));
    const entries = Object.entries<{ seed: number }>(params.entries);
    expect(entries.length).toBe(4750);
    for (const [key, e] of entries.filter((_, i) => i % 7 === 0)) {
      const [corruption, severity, wnid, stem] = key.split('/');
      expect(await outputSeed(params.base_seed, wnid, stem, corruption, Number(severity)), key).toBe(e.seed);
    }
  });
});

describe('procedural frost textures', () => {
  it('have the official sizes, are deterministic, and are bright-textured', () => {
    const a = proceduralFrostTextures();
    expect(a.map((t) => [t.height, t.width])).toEqual(FROST_TEXTURE_SIZES);
    const b = proceduralFrostTextures();
    // Byte comparison: toEqual walks 670 k elements one by one (seconds), Buffer.equals is a memcmp.
    const bytes = (t: (typeof a)[number]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (let i = 0; i < a.length; i++) expect(bytes(b[i]).equals(bytes(a[i])), `texture ${i + 1}`).toBe(true);
    const d = a[0].data;
    let sum = 0;
    let min = 255;
    let max = 0;
    for (const v of d) { sum += v; min = Math.min(min, v); max = Math.max(max, v); }
    expect(max - min).toBeGreaterThan(150);
    expect(sum / d.length).toBeGreaterThan(40);
  }, 60_000); // two generations of all six textures: seconds on a busy machine
});
