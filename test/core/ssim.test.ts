import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ssim } from '../../src/core/ssim';
import type { Image8 } from '../../src/core/corruptions/types';
import { describeFixtures, fixture } from '../support/fixtures';
import { decodePngBytes } from '../support/png';

/** Written by test/support/make-ssim-reference.py (scikit-image 0.19.3). */
const REFERENCE = JSON.parse(readFileSync(join(__dirname, 'ssim-reference.json'), 'utf8')) as {
  skimage: string;
  pairs: { corrupted: string; clean: string; rgb: number; gray: number }[];
};

const png = (rel: string): Image8 => {
  const p = decodePngBytes(readFileSync(fixture(rel)));
  return { width: p.width, height: p.height, data: p.data, channels: p.channels };
};

function noise(w: number, h: number, seed: number): Image8 {
  const data = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { width: w, height: h, data, channels: 3 };
}

describeFixtures('ssim vs scikit-image structural_similarity on fixture pairs', () => {
  it(`${REFERENCE.pairs.length} pairs × {rgb, gray}: |Δ| ≤ 0.005 (skimage ${REFERENCE.skimage})`, () => {
    expect(REFERENCE.pairs.length).toBeGreaterThanOrEqual(15);
    let maxDelta = 0;
    for (const p of REFERENCE.pairs) {
      const a = png(p.corrupted);
      const b = png(p.clean);
      for (const mode of ['rgb', 'gray'] as const) {
        const d = Math.abs(ssim(a, b, { mode }) - p[mode]);
        expect(d, `${p.corrupted} ${mode}`).toBeLessThanOrEqual(0.005);
        maxDelta = Math.max(maxDelta, d);
      }
    }
    console.log(`ssim: max |Δ| vs scikit-image over ${REFERENCE.pairs.length * 2} values = ${maxDelta.toExponential(2)}`);
    // A faithful port agrees to rounding; anything near the tolerance means a different window or constant.
    expect(maxDelta).toBeLessThan(1e-9);
  });

  it("rgb mode equals the fixture's own ssim_to_clean (stats.json, 6 decimals) for all 250 reference PNGs", () => {
    const stats = JSON.parse(readFileSync(fixture('corruption-reference', 'stats.json'), 'utf8'));
    const images = stats.images as string[];
    const withPngs = stats.images_with_reference_pngs as string[];
    let checked = 0;
    let maxDelta = 0;
    for (const [corruption, bySeverity] of Object.entries(stats.groups as Record<string, Record<string, any>>)) {
      for (const [severity, group] of Object.entries(bySeverity)) {
        if (!/^[1-5]$/.test(severity)) continue;
        for (const image of withPngs) {
          const rel = `corruption-reference/${corruption}/${severity}/${image}.png`;
          let a: Image8;
          try {
            a = png(rel);
          } catch {
            continue; // random corruptions have no reference PNG
          }
          const expected = group.ssim_to_clean.per_image[images.indexOf(image)] as number;
          const d = Math.abs(ssim(a, png(`corruption-reference/clean/${image}.png`)) - expected);
          maxDelta = Math.max(maxDelta, d);
          checked++;
        }
      }
    }
    expect(checked).toBe(250);
    expect(maxDelta).toBeLessThanOrEqual(5e-7 + 1e-12);
  }, 120_000);
});

describe('ssim: properties', () => {
  const a = noise(40, 30, 1);
  const b = noise(40, 30, 2);

  it('1 for identical images, symmetric, below 1 for different ones', () => {
    expect(ssim(a, a)).toBeCloseTo(1, 14);
    expect(ssim(a, a, { mode: 'gray' })).toBeCloseTo(1, 14);
    expect(ssim(a, b)).toBeCloseTo(ssim(b, a), 14);
    expect(ssim(a, b)).toBeLessThan(0.1);
  });

  it('alpha is ignored: RGBA gives the RGB value', () => {
    const rgba = (img: Image8): Image8 => {
      const data = new Uint8Array(img.width * img.height * 4);
      for (let i = 0; i < img.width * img.height; i++) {
        data.set(img.data.subarray(3 * i, 3 * i + 3), 4 * i);
        data[4 * i + 3] = (i * 37) & 255;
      }
      return { width: img.width, height: img.height, data, channels: 4 };
    };
    expect(ssim(rgba(a), rgba(b))).toBe(ssim(a, b));
    expect(ssim(rgba(a), b, { mode: 'gray' })).toBe(ssim(a, b, { mode: 'gray' }));
  });

  it('refuses different sizes and images smaller than the 11×11 window', () => {
    expect(() => ssim(a, noise(30, 40, 1))).toThrow(/one size/);
    expect(() => ssim(noise(10, 30, 1), noise(10, 30, 2))).toThrow(/at least 11×11/);
  });
});
