/**
 * The `corrupt()` entry point: names, shapes, alpha passthrough, array types, errors. Uses synthetic images only
 * (except the defocus cross-check, which reads the fixture crops when present).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { describeFixtures, fixture, HAVE_FIXTURES } from '../../support/fixtures';
import { decodePngBytes } from '../../support/png';
import { CORRUPTIONS } from '../../../src/core/corruption-catalog';
import { CORRUPTION_NAMES, DETERMINISTIC, corrupt, isImplemented, type Image8 } from '../../../src/core/corruptions/index';
import { defocusBlur, defocusBlurDirect } from '../../../src/core/corruptions/blur';

/** Deterministic pseudo-random test image (xorshift), RGB or RGBA. */
function synthetic(width: number, height: number, channels: 3 | 4, seed = 1): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    // smooth-ish gradient plus noise, so blurs and colour changes all do something
    const p = Math.floor(i / channels);
    const x = p % width;
    const y = Math.floor(p / width);
    data[i] = (x * 3 + y * 2 + (i % channels) * 40 + (s & 31)) & 255;
  }
  return data;
}

function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const BUILTIN = ['brightness', 'contrast', 'saturate', 'pixelate', 'gaussian_blur', 'defocus_blur', 'zoom_blur'] as const;
const texture = (w: number, h: number): Image8 => ({ width: w, height: h, channels: 3, data: synthetic(w, h, 3, 99) });
const TEXTURES = [texture(300, 260), texture(260, 240), texture(260, 240), texture(250, 230), texture(280, 250), texture(240, 230)];
const REPLAY: Record<string, Record<string, unknown>> = {
  motion_blur: { seed: 1, angle_deg: 17.5 },
  frost: { seed: 2, frost_index: 3, frost_file: 'frost4.jpg', rescaled_hw: [230, 250], row_start: 3, col_start: 11 },
};

describe('corrupt()', () => {
  it('lists the 19 corruptions in the catalogue order and the 8 deterministic ones', () => {
    expect(CORRUPTION_NAMES).toEqual(CORRUPTIONS.map((c) => c.name));
    expect([...DETERMINISTIC].sort()).toEqual(
      ['brightness', 'contrast', 'defocus_blur', 'gaussian_blur', 'jpeg_compression', 'pixelate', 'saturate', 'zoom_blur'],
    );
    for (const n of DETERMINISTIC) expect(CORRUPTION_NAMES).toContain(n);
  });

  it('throws a clear "not implemented" error for every name it cannot run, and rejects unknown names', () => {
    const img: Image8 = { width: 8, height: 8, data: synthetic(8, 8, 3) };
    for (const name of CORRUPTION_NAMES) {
      if (isImplemented(name)) continue;
      expect(() => corrupt(img, name, 3)).toThrow(/not implemented/);
    }
    expect(() => corrupt(img, 'no_such_corruption', 1)).toThrow(/unknown corruption/);
    expect(() => corrupt(img, 'brightness', 0 as never)).toThrow(RangeError);
    expect(() => corrupt(img, 'brightness', 6 as never)).toThrow(RangeError);
    expect(() => corrupt({ width: 8, height: 8, data: new Uint8Array(10) }, 'brightness', 1)).toThrow(RangeError);
  });

  it('motion_blur and frost: replayed params win over the seed; frost needs its textures and a crop inside them', () => {
    const img: Image8 = { width: 16, height: 16, data: synthetic(16, 16, 3) };
    expect(() => corrupt(img, 'frost', 1, { params: REPLAY.frost })).toThrow(/frostTextures/);
    expect(() => corrupt(img, 'frost', 1, { seed: 5 })).toThrow(/frostTextures/);
    expect(() => corrupt(img, 'frost', 1, { params: { ...REPLAY.frost, row_start: 1000 }, frostTextures: TEXTURES })).toThrow(/outside/);
    const a = corrupt(img, 'motion_blur', 2, { seed: 7, params: REPLAY.motion_blur });
    const b = corrupt(img, 'motion_blur', 2, { seed: 8, params: REPLAY.motion_blur });
    const c = corrupt(img, 'motion_blur', 2, { seed: 7 });
    const d = corrupt(img, 'motion_blur', 2, { seed: 7 });
    expect(sameBytes(a.data, b.data)).toBe(true);
    expect(sameBytes(c.data, d.data)).toBe(true);
    const f1 = corrupt(img, 'frost', 4, { seed: 11, frostTextures: TEXTURES });
    const f2 = corrupt(img, 'frost', 4, { seed: 11, frostTextures: TEXTURES });
    expect(sameBytes(f1.data, f2.data)).toBe(true);
  });

  it('every implemented corruption runs through corrupt() with the same shape and alpha copied (seeded)', () => {
    const w = 224;
    const h = 224;
    const rgba = synthetic(w, h, 4, 3);
    for (const name of CORRUPTION_NAMES) {
      if (!isImplemented(name)) continue;
      const out = corrupt({ width: w, height: h, data: rgba }, name, 3, { seed: 1234, frostTextures: TEXTURES });
      expect([name, out.width, out.height, out.channels ?? out.data.length / (w * h), out.data.length]).toEqual([name, w, h, 4, w * h * 4]);
      for (let i = 3; i < rgba.length; i += 4) if (out.data[i] !== rgba[i]) throw new Error(`${name}: alpha changed at ${i}`);
    }
  });

  for (const name of [...BUILTIN, 'motion_blur', 'frost']) {
    it(`${name}: same shape, RGBA alpha copied, RGB part equal to the RGB result, input untouched`, () => {
      for (const [w, h] of [
        [224, 224],
        [53, 37],
      ]) {
        const rgba = synthetic(w, h, 4, w + h);
        const rgb = new Uint8Array(w * h * 3);
        for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgba[i * 4 + c];
        const rgbaCopy = rgba.slice();
        const opts = { params: REPLAY[name], frostTextures: TEXTURES };
        for (const severity of [1, 3, 5] as const) {
          const a = corrupt({ width: w, height: h, data: rgb }, name, severity, opts);
          const b = corrupt({ width: w, height: h, data: rgba }, name, severity, opts); // channels inferred: 4
          const c = corrupt({ width: w, height: h, channels: 4, data: new Uint8ClampedArray(rgba) }, name, severity, opts);
          expect([a.width, a.height, a.channels, a.data.length]).toEqual([w, h, 3, w * h * 3]);
          expect([b.width, b.height, b.channels, b.data.length]).toEqual([w, h, 4, w * h * 4]);
          expect(c.data).toBeInstanceOf(Uint8ClampedArray);
          expect(sameBytes(c.data, b.data)).toBe(true);
          for (let i = 0; i < w * h; i++) {
            if (b.data[i * 4 + 3] !== rgba[i * 4 + 3]) throw new Error(`${name}: alpha changed at pixel ${i}`);
            if (b.data[i * 4] !== a.data[i * 3] || b.data[i * 4 + 1] !== a.data[i * 3 + 1] || b.data[i * 4 + 2] !== a.data[i * 3 + 2]) {
              throw new Error(`${name} ${w}x${h} sev ${severity}: RGBA and RGB results differ at pixel ${i}`);
            }
          }
          // it changed something (every corruption here alters this image at every severity)
          expect(sameBytes(a.data, rgb)).toBe(false);
        }
        expect(sameBytes(rgba, rgbaCopy)).toBe(true);
      }
    });
  }
});

describeFixtures('defocus_blur: the regrouped fast sum equals the plain 2-D sum', () => {
  it('on the clean crops of the reference images, every severity', () => {
    if (!HAVE_FIXTURES) return;
    const root = fixture('corruption-reference', 'clean');
    const keys = readdirSync(fixture('corruption-reference', 'defocus_blur', '1')).sort();
    let differing = 0;
    for (const wnid of keys) {
      for (const f of readdirSync(`${root}/${wnid}`)) {
        const png = decodePngBytes(new Uint8Array(readFileSync(`${root}/${wnid}/${f}`)));
        for (const s of [1, 2, 3, 4, 5] as const) {
          const a = defocusBlur(png.data, png.width, png.height, s);
          const b = defocusBlurDirect(png.data, png.width, png.height, s);
          for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
        }
      }
    }
    expect(differing).toBe(0);
  });
});
