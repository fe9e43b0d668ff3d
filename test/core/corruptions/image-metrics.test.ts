/**
 * The test-support metrics (test/support/image-metrics.ts). SSIM is checked against the `ssim_to_clean` values of
 * stats.json, which the fixture authors computed with scikit-image 0.19 `structural_similarity` (rounded to 6
 * decimals), on every reference PNG vs its clean crop.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { describeFixtures, fixture, HAVE_FIXTURES } from '../../support/fixtures';
import { decodePngBytes } from '../../support/png';
import { diffStats, psnr, ssim, type Interleaved } from '../../support/image-metrics';

const REF = (...p: string[]) => fixture('corruption-reference', ...p);
const read = (path: string): Interleaved => {
  const png = decodePngBytes(new Uint8Array(readFileSync(path)));
  return { width: png.width, height: png.height, channels: png.channels, data: png.data };
};

describe('image metrics', () => {
  const w = 40;
  const h = 30;
  const a: Interleaved = { width: w, height: h, channels: 3, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 200) };
  it('identical images: SSIM 1, PSNR capped at 100, all values exact', () => {
    expect(ssim(a, a)).toBeCloseTo(1, 12);
    expect(psnr(a, a)).toBe(100);
    expect(diffStats(a, a)).toEqual({ count: w * h * 3, maxAbs: 0, withinOne: w * h * 3, exact: w * h * 3 });
  });
  it('a +1 offset: PSNR = 10·log10(255²) ≈ 48.13 dB, all within ±1, none exact', () => {
    const b = { ...a, data: Uint8Array.from(a.data as Uint8Array, (v) => v + 1) };
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(255 * 255), 10);
    const d = diffStats(a, b);
    expect([d.maxAbs, d.withinOne, d.exact]).toEqual([1, w * h * 3, 0]);
    expect(ssim(a, b)).toBeGreaterThan(0.999);
  });
});

describeFixtures('SSIM equals scikit-image 0.19 (stats.json ssim_to_clean)', () => {
  it('for every reference PNG against its clean crop', () => {
    if (!HAVE_FIXTURES) return;
    const stats = JSON.parse(readFileSync(REF('stats.json'), 'utf8')) as {
      images: string[];
      images_with_reference_pngs: string[];
      groups: Record<string, Record<string, { ssim_to_clean: { per_image: number[] } }>>;
    };
    const names = ['brightness', 'contrast', 'saturate', 'pixelate', 'gaussian_blur', 'defocus_blur', 'zoom_blur', 'motion_blur', 'frost', 'jpeg_compression'];
    let worst = 0;
    let checked = 0;
    for (const key of stats.images_with_reference_pngs) {
      const clean = read(REF('clean', `${key}.png`));
      const idx = stats.images.indexOf(key);
      for (const name of names) {
        for (const s of ['1', '2', '3', '4', '5']) {
          const expected = stats.groups[name][s].ssim_to_clean.per_image[idx];
          const got = ssim(read(REF(name, s, `${key}.png`)), clean);
          worst = Math.max(worst, Math.abs(got - expected));
          checked++;
        }
      }
    }
    expect(checked).toBe(250);
    expect(worst).toBeLessThanOrEqual(5.1e-7); // stats.json rounds to 6 decimals
  }, 60_000);
});
