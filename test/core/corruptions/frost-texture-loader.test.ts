import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  FROST_ORIGINAL_SIZES,
  FROST_TEXTURE_FILES,
  FrostTextureError,
  frostRescaledSize,
  frostTexturesFromDecoded,
  matchFrostTextureFiles,
  type DecodedFrostFile,
} from '../../../src/core/corruptions/frost-texture-loader';
import { FROST_TEXTURE_SIZES } from '../../../src/core/corruptions/frost-textures';
import { corrupt } from '../../../src/core/corruptions/index';
import type { Image8 } from '../../../src/core/corruptions/types';
import { describeFixtures, fixture } from '../../support/fixtures';
import { decodePngBytes } from '../../support/png';
import { hashImage } from '../../support/synthetic-image';

const readPng = (path: string): Image8 => {
  const p = decodePngBytes(readFileSync(path));
  return { width: p.width, height: p.height, data: p.data, channels: p.channels };
};
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// cv2.resize(INTER_CUBIC) outputs of OpenCV 4.6 for hash images of every original frost size
// (test/data/small/make-cv2-resize-reference.py).
const cv2Ref: { cases: { gen: string; width: number; height: number; channels: number; seed: number; dstWidth: number; dstHeight: number; sha256: string }[] } = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../data/small/cv2-resize-reference.json', import.meta.url)), 'utf8'),
);

const blank = (w: number, h: number, channels: 3 | 4 = 3): Image8 => ({ width: w, height: h, data: new Uint8Array(w * h * channels), channels });

describe('matchFrostTextureFiles', () => {
  it('finds the six official names in any order and case, from paths, and ignores other files', () => {
    const plan = matchFrostTextureFiles(['tex/FROST6.JPG', 'tex/frost_textures.json', 'tex/Frost2.png', 'tex/frost1.PNG', 'tex/frost5.jpg', 'tex/frost3.png', 'tex/frost4.jpg', 'README.md']);
    expect(plan.matches.map((m) => [m.index, m.kind, m.name])).toEqual([
      [0, 'original', 'tex/frost1.PNG'],
      [1, 'original', 'tex/Frost2.png'],
      [2, 'original', 'tex/frost3.png'],
      [3, 'original', 'tex/frost4.jpg'],
      [4, 'original', 'tex/frost5.jpg'],
      [5, 'original', 'tex/FROST6.JPG'],
    ]);
    expect(plan.ignored).toEqual(['tex/frost_textures.json', 'README.md']);
  });

  it('recognises the pre-rescaled fixture files', () => {
    const plan = matchFrostTextureFiles([6, 5, 4, 3, 2, 1].map((i) => `textures/frost${i}_rescaled_rgb.png`));
    expect(plan.matches.map((m) => `${m.index}:${m.kind}`)).toEqual(['0:rescaled', '1:rescaled', '2:rescaled', '3:rescaled', '4:rescaled', '5:rescaled']);
  });

  it('frost6 may be absent (randint(5) never draws it); frost1–5 may not', () => {
    expect(matchFrostTextureFiles(FROST_TEXTURE_FILES.slice(0, 5)).matches).toHaveLength(5);
    expect(() => matchFrostTextureFiles(['frost1.png', 'frost2.png', 'frost4.jpg', 'frost6.jpg'])).toThrow(/missing frost3\.png, frost5\.jpg/);
    expect(() => matchFrostTextureFiles(['notes.txt'])).toThrow(FrostTextureError);
  });

  it('refuses a texture given twice and an original with the wrong extension', () => {
    expect(() => matchFrostTextureFiles([...FROST_TEXTURE_FILES, 'frost1_rescaled_rgb.png'])).toThrow(/frost1 is given twice: frost1\.png and frost1_rescaled_rgb\.png/);
    expect(() => matchFrostTextureFiles([...FROST_TEXTURE_FILES.filter((n) => n !== 'frost4.jpg'), 'frost4.png'])).toThrow(/frost4\.png: the official frost4 is frost4\.jpg/);
  });
});

describe('frostTexturesFromDecoded', () => {
  it('rescaled sizes are ceil(1.1·W) × ceil(1.1·H) in float64, the shipped rescaled sizes', () => {
    expect(FROST_ORIGINAL_SIZES.map(([h, w]) => frostRescaledSize(w, h).reverse())).toEqual(FROST_TEXTURE_SIZES.map((s) => [...s]));
  });

  it('rescales each original exactly like cv2.resize INTER_CUBIC (OpenCV 4.6 reference), in frost1…frost6 order', () => {
    const files: DecodedFrostFile[] = FROST_ORIGINAL_SIZES.map(([h, w], index) => {
      const ref = cv2Ref.cases.find((c) => c.gen === 'hash' && c.width === w && c.height === h)!;
      return { index, kind: 'original' as const, name: FROST_TEXTURE_FILES[index], image: { width: w, height: h, data: hashImage(w, h, 3, ref.seed), channels: 3 as const } };
    });
    const set = frostTexturesFromDecoded([...files].reverse());
    expect(set.official).toBe(true);
    expect(set.warnings).toEqual([]);
    expect(set.description).toMatch(/official ImageNet-C — originals, rescaled 1\.1×/);
    set.textures.forEach((t, i) => {
      const [h, w] = FROST_ORIGINAL_SIZES[i];
      const ref = cv2Ref.cases.find((c) => c.gen === 'hash' && c.width === w && c.height === h)!;
      expect([t.height, t.width]).toEqual(FROST_TEXTURE_SIZES[i]);
      expect(sha256(t.data as Uint8Array), `frost${i + 1}`).toBe(ref.sha256);
    });
  });

  it('drops the alpha channel of RGBA originals, as cv2.imread does', () => {
    const [h, w] = FROST_ORIGINAL_SIZES[0];
    const rgb = hashImage(w, h, 3, 1);
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], 255 - (i % 7)], i * 4);
    const files: DecodedFrostFile[] = FROST_ORIGINAL_SIZES.map(([hh, ww], index) => ({ index, kind: 'original' as const, name: FROST_TEXTURE_FILES[index], image: index === 0 ? { width: w, height: h, data: rgba, channels: 4 as const } : blank(ww, hh) }));
    const ref = cv2Ref.cases.find((c) => c.gen === 'hash' && c.width === w && c.height === h)!;
    expect(ref.seed).toBe(1);
    expect(sha256(frostTexturesFromDecoded(files).textures[0].data as Uint8Array)).toBe(ref.sha256);
  });

  it('warns about non-official sizes, refuses textures too small to crop 224×224, accepts a missing frost6', () => {
    const files = (sizes: readonly [number, number][]): DecodedFrostFile[] => sizes.map(([h, w], index) => ({ index, kind: 'original' as const, name: FROST_TEXTURE_FILES[index], image: blank(w, h) }));
    const odd = frostTexturesFromDecoded(files([[610, 900], ...FROST_ORIGINAL_SIZES.slice(1)]));
    expect(odd.official).toBe(false);
    expect(odd.warnings).toEqual(['frost1.png is 900×610, the official frost1.png is 900×600: frost will not be ImageNet-C\'s']);
    expect(odd.textures[0].height).toBe(Math.ceil(610 * 1.1));
    expect(() => frostTexturesFromDecoded(files([[200, 900], ...FROST_ORIGINAL_SIZES.slice(1)]))).toThrow(/frost1\.png: 991×221 after rescaling is too small/);
    const five = frostTexturesFromDecoded(files(FROST_ORIGINAL_SIZES.slice(0, 5)));
    expect(five.textures).toHaveLength(5);
    expect(five.description).toMatch(/frost6 absent/);
    expect(() => frostTexturesFromDecoded(files(FROST_ORIGINAL_SIZES.slice(0, 4)))).toThrow(/missing frost5\.jpg/);
  });
});

describeFixtures('frost textures from the fixture folder', () => {
  it('the fixture textures/ folder loads as-is (no rescale) in frost1…frost6 order and reproduces a frost reference', () => {
    const names = [3, 1, 6, 2, 5, 4].map((i) => `textures/frost${i}_rescaled_rgb.png`);
    const plan = matchFrostTextureFiles([...names, 'textures/frost_textures.json']);
    const decoded: DecodedFrostFile[] = plan.matches.map((m) => ({ ...m, image: readPng(fixture('corruption-reference', m.name)) }));
    const set = frostTexturesFromDecoded(decoded);
    expect(set.official).toBe(true);
    expect(set.description).toMatch(/official ImageNet-C — pre-rescaled/);
    expect(set.textures.map((t) => [t.height, t.width])).toEqual(FROST_TEXTURE_SIZES.map((s) => [...s]));
    set.textures.forEach((t, i) => expect(Buffer.compare(Buffer.from(t.data), Buffer.from(readPng(fixture('corruption-reference', 'textures', `frost${i + 1}_rescaled_rgb.png`)).data))).toBe(0));

    // One replayed reference output, through the loaded textures.
    const params = JSON.parse(readFileSync(fixture('corruption-reference', 'params.json'), 'utf8')) as { entries: Record<string, Record<string, unknown>> };
    const key = 'frost/3/n02134084/n02134084_ice_bear';
    const [, , wnid, stem] = key.split('/');
    const clean = readPng(fixture('corruption-reference', 'clean', wnid, `${stem}.png`));
    const out = corrupt(clean, 'frost', 3, { seed: params.entries[key].seed as number, frostTextures: set.textures });
    const ref = readPng(fixture('corruption-reference', 'frost', '3', wnid, `${stem}.png`));
    expect(Buffer.compare(Buffer.from(out.data), Buffer.from(ref.data))).toBe(0);
  });
});
