/**
 * jpeg_compression through `corrupt()` against the imagecorruptions 1.1.2 reference PNGs (Pillow 9.4 save/reopen on
 * libjpeg-turbo 2.1.5), 5 images × 5 severities. Acceptance (SPEC.md §5): mean SSIM ≥ 0.99 and mean PSNR ≥ 40 dB
 * per severity. The port is exact, so this also requires every image to be bit-identical.
 */
import { afterAll, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { describeFixtures, fixture, HAVE_FIXTURES } from '../../support/fixtures';
import { decodePngBytes } from '../../support/png';
import { diffStats, psnr, ssim } from '../../support/image-metrics';
import { corrupt, isImplemented, type Image8 } from '../../../src/core/corruptions/index';
import { jpegCompression } from '../../../src/core/corruptions/jpeg/index';

const REF = (...p: string[]) => fixture('corruption-reference', ...p);
const SEVERITIES = [1, 2, 3, 4, 5] as const;

function readPng(path: string): Image8 & { channels: 3 | 4 } {
  const png = decodePngBytes(new Uint8Array(readFileSync(path)));
  return { width: png.width, height: png.height, channels: png.channels, data: png.data };
}

const rows: string[] = [];

describeFixtures('jpeg_compression vs imagecorruptions 1.1.2 reference PNGs', () => {
  const keys = HAVE_FIXTURES
    ? readdirSync(REF('jpeg_compression', '1')).flatMap((wnid) =>
        readdirSync(REF('jpeg_compression', '1', wnid)).map((f) => `${wnid}/${f.replace(/\.png$/, '')}`),
      ).sort()
    : [];

  it('is registered as a built-in corruption', () => {
    expect(isImplemented('jpeg_compression')).toBe(true);
    expect(keys.length).toBe(5);
  });

  for (const s of SEVERITIES) {
    it(`severity ${s}: bit-identical (SSIM ≥ 0.99, PSNR ≥ 40 dB required)`, () => {
      let maxAbs = 0;
      let exact = 0;
      let count = 0;
      let psnrSum = 0;
      let ssimSum = 0;
      let ms = 0;
      let identical = 0;
      for (const key of keys) {
        const clean = readPng(REF('clean', `${key}.png`));
        const ref = readPng(REF('jpeg_compression', String(s), `${key}.png`));
        const t0 = performance.now();
        const out = corrupt(clean, 'jpeg_compression', s);
        ms += performance.now() - t0;
        expect(out.width).toBe(clean.width);
        expect(out.channels).toBe(3);
        const got = { width: out.width, height: out.height, channels: 3, data: out.data };
        const d = diffStats(got, ref);
        maxAbs = Math.max(maxAbs, d.maxAbs);
        exact += d.exact;
        count += d.count;
        psnrSum += psnr(got, ref);
        ssimSum += ssim(got, ref);
        if (d.exact === d.count) identical++;
      }
      const n = keys.length;
      rows.push(
        `sev ${s} (q${[25, 18, 15, 10, 7][s - 1]}): max|Δ| ${maxAbs}  exact ${((100 * exact) / count).toFixed(3)} %  ` +
          `PSNR ${(psnrSum / n).toFixed(2)} dB  SSIM ${(ssimSum / n).toFixed(6)}  identical ${identical}/${n}  ` +
          `${(ms / n).toFixed(1)} ms/image (encode+decode)`,
      );
      expect(ssimSum / n).toBeGreaterThanOrEqual(0.99);
      expect(psnrSum / n).toBeGreaterThanOrEqual(40);
      expect(identical).toBe(n);
    });
  }

  it('RGBA input: alpha passes through, RGB equals the packed-RGB result', () => {
    const clean = readPng(REF('clean', `${keys[0]}.png`));
    const n = clean.width * clean.height;
    const rgba = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      rgba.set(clean.data.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = i & 255;
    }
    const out = corrupt({ width: clean.width, height: clean.height, data: rgba }, 'jpeg_compression', 3);
    const rgb = jpegCompression(clean.data as Uint8Array, clean.width, clean.height, 3);
    expect(out.channels).toBe(4);
    let badAlpha = 0;
    let badRgb = 0;
    for (let i = 0; i < n; i++) {
      if (out.data[i * 4 + 3] !== (i & 255)) badAlpha++;
      if (out.data[i * 4] !== rgb[i * 3] || out.data[i * 4 + 1] !== rgb[i * 3 + 1] || out.data[i * 4 + 2] !== rgb[i * 3 + 2]) badRgb++;
    }
    expect([badAlpha, badRgb]).toEqual([0, 0]);
  });

  afterAll(() => {
    if (rows.length) console.log(`[jpeg_compression vs reference]\n${rows.join('\n')}`);
  });
});
