/** The `randomCorruptions` table: Image8 in/out, RGBA alpha pass-through, seeding, argument checks. */
import { describe, expect, it } from 'vitest';
import { RandomState } from '../../../src/core/corruptions/rng/numpy-random';
import { randomCorruptions, randomRgbCorruptors } from '../../../src/core/corruptions/random/index';
import type { Image8 } from '../../../src/core/corruptions/types';

const NAMES = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'speckle_noise',
  'glass_blur',
  'snow',
  'fog',
  'spatter',
  'elastic_transform',
];

function testImage(w: number, h: number, channels: 3 | 4): Image8 {
  const data = new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + ((i / 7) | 0) * 11) & 0xff;
  return { width: w, height: h, data, channels };
}

describe('randomCorruptions', () => {
  it('exports the nine random corruptions', () => {
    expect(Object.keys(randomCorruptions).sort()).toEqual([...NAMES].sort());
  });

  for (const name of NAMES) {
    it(`${name}: same seed → same output, RGBA keeps alpha and equals the RGB result, input untouched`, () => {
      const rgb = testImage(40, 32, 3);
      const before = rgb.data.slice();
      const a = randomCorruptions[name](rgb, 3, { seed: 1234 });
      const b = randomCorruptions[name](rgb, 3, { seed: 1234 });
      expect(a.width).toBe(40);
      expect(a.height).toBe(32);
      expect(a.data.length).toBe(40 * 32 * 3);
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      expect(Array.from(rgb.data)).toEqual(Array.from(before));
      const direct = randomRgbCorruptors[name](rgb.data as Uint8Array, 40, 32, 3, new RandomState(1234));
      expect(Array.from(a.data)).toEqual(Array.from(direct));

      const rgba = testImage(40, 32, 4);
      const packed = new Uint8Array(40 * 32 * 3);
      for (let i = 0; i < 40 * 32; i++) for (let c = 0; c < 3; c++) packed[3 * i + c] = rgba.data[4 * i + c];
      const r4 = randomCorruptions[name](rgba, 3, { seed: 99 });
      const r3 = randomCorruptions[name]({ width: 40, height: 32, data: packed }, 3, { seed: 99 });
      expect(r4.data.length).toBe(40 * 32 * 4);
      for (let i = 0; i < 40 * 32; i++) {
        expect(r4.data[4 * i + 3]).toBe(rgba.data[4 * i + 3]);
        for (let c = 0; c < 3; c++) expect(r4.data[4 * i + c]).toBe(r3.data[3 * i + c]);
      }
    });
  }

  it('different seeds give different noise; no seed still works', () => {
    const img = testImage(16, 16, 3);
    const a = randomCorruptions.gaussian_noise(img, 2, { seed: 1 });
    const b = randomCorruptions.gaussian_noise(img, 2, { seed: 2 });
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    expect(randomCorruptions.gaussian_noise(img, 2, {}).data.length).toBe(16 * 16 * 3);
  });

  it('rejects bad severities and sizes', () => {
    const img = testImage(8, 8, 3);
    expect(() => randomCorruptions.fog(img, 0, { seed: 1 })).toThrow(RangeError);
    expect(() => randomCorruptions.fog(img, 6, { seed: 1 })).toThrow(RangeError);
    expect(() => randomCorruptions.fog({ width: 8, height: 8, data: new Uint8Array(10) }, 1, { seed: 1 })).toThrow(RangeError);
  });
});
