/**
 * Speed check (printed, not asserted): ms per 224×224 RGB image per corruption, measured like SPEC.md §7
 * (warm-up excluded, minimum over 3 timed calls, then the mean over images × severities), next to the Python
 * reference timings of SPEC.md §7. Single-threaded Node; machine load affects the numbers.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { describeFixtures, fixture, HAVE_FIXTURES } from '../../support/fixtures';
import { decodePngBytes } from '../../support/png';
import { corrupt, type Image8 } from '../../../src/core/corruptions/index';

const REF = (...p: string[]) => fixture('corruption-reference', ...p);

/** SPEC.md §7: mean ms per image of the Python reference (imagecorruptions 1.1.2). */
const PYTHON_MS: Record<string, number> = {
  brightness: 23.1,
  contrast: 2.0,
  saturate: 23.0,
  pixelate: 0.4,
  gaussian_blur: 4.4,
  defocus_blur: 5.6,
  zoom_blur: 100.8,
  motion_blur: 5.7,
  frost: 11.4,
};

const IMAGES = ['n02134084/n02134084_ice_bear', 'n04081281/n04081281_restaurant'];

function readPng(path: string): Image8 {
  const png = decodePngBytes(new Uint8Array(readFileSync(path)));
  return { width: png.width, height: png.height, channels: png.channels, data: png.data };
}

describeFixtures('corruption speed (not asserted)', () => {
  it('prints ms per 224² image per corruption', () => {
    if (!HAVE_FIXTURES) return;
    const params = (JSON.parse(readFileSync(REF('params.json'), 'utf8')) as { entries: Record<string, Record<string, unknown>> }).entries;
    const textures = [1, 2, 3, 4, 5, 6].map((i) => readPng(REF('textures', `frost${i}_rescaled_rgb.png`)));
    const images = IMAGES.map((k) => readPng(REF('clean', `${k}.png`)));
    const lines: string[] = ['', 'corruption       TS ms/img   sev1   sev2   sev3   sev4   sev5   Python ms   TS/Python'];
    for (const name of Object.keys(PYTHON_MS)) {
      const times: number[] = [];
      const perSeverity = [0, 0, 0, 0, 0];
      for (let ii = 0; ii < images.length; ii++) {
        for (const severity of [1, 2, 3, 4, 5] as const) {
          const entry = params[`${name}/${severity}/${IMAGES[ii]}`] ?? params[`${name}/${severity}/n02134084/n02134084_ice_bear`];
          const opts = { params: entry, frostTextures: textures };
          corrupt(images[ii], name, severity, opts); // warm-up
          let best = Infinity;
          for (let rep = 0; rep < 3; rep++) {
            const t0 = performance.now();
            corrupt(images[ii], name, severity, opts);
            best = Math.min(best, performance.now() - t0);
          }
          times.push(best);
          perSeverity[severity - 1] += best / images.length;
        }
      }
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const ref = PYTHON_MS[name];
      const sev = perSeverity.map((t) => t.toFixed(2).padStart(6)).join(' ');
      lines.push(`${name.padEnd(16)} ${mean.toFixed(2).padStart(9)} ${sev} ${ref.toFixed(1).padStart(11)} ${(mean / ref).toFixed(2).padStart(11)}`);
      expect(mean).toBeGreaterThan(0);
    }
    console.log(lines.join('\n'));
  }, 120_000);
});
