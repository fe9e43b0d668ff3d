import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BICUBIC, resizeAndCenterCrop, resizePillow, type RgbImage } from '../../src/core/pillow-resize';
import { resizeReferenceImage, type ResizeReferenceImage } from '../support/synthetic-image';

// Pillow 9.4 BICUBIC and torchvision's Resize(…, interpolation=3) + CenterCrop on PIL images; made by
// test/data/small/make-bicubic-reference.py (image generators shared with make-resize-reference.py).
interface RefImage extends ResizeReferenceImage { sha256: string }
interface RefCase { kind: 'resize' | 'protocol'; image: string; sha256: string; full?: string; outW?: number; outH?: number; resizeTo?: number; crop?: number }
const ref: { pillow: string; images: Record<string, RefImage>; cases: RefCase[] } = JSON.parse(
  readFileSync(fileURLToPath(new URL('../data/small/bicubic-reference.json', import.meta.url)), 'utf8'),
);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const makeImage = (spec: RefImage): RgbImage => ({ width: spec.width, height: spec.height, data: resizeReferenceImage(spec), channels: 3 });

describe('Pillow-exact BICUBIC', () => {
  const images = Object.fromEntries(Object.entries(ref.images).map(([k, v]) => [k, makeImage(v)]));

  it('the synthetic inputs equal the generator’s', () => {
    for (const [name, spec] of Object.entries(ref.images)) expect(sha256(images[name].data as Uint8Array), name).toBe(spec.sha256);
  });

  for (const c of ref.cases) {
    const label = c.kind === 'resize' ? `resize ${c.image} → ${c.outW}×${c.outH}` : `Resize(${c.resizeTo}, bicubic) + CenterCrop(${c.crop}) of ${c.image}`;
    it(`${label} is byte-identical to Pillow ${ref.pillow}`, () => {
      const img = images[c.image];
      const out = c.kind === 'resize' ? resizePillow(img, c.outW!, c.outH!, BICUBIC) : resizeAndCenterCrop(img, c.resizeTo!, c.crop!, BICUBIC);
      const bytes = out.data as Uint8Array;
      if (c.full) {
        const want = Buffer.from(c.full, 'base64');
        let diff = 0;
        for (let i = 0; i < want.length; i++) if (want[i] !== bytes[i]) diff++;
        expect(diff, 'differing bytes').toBe(0);
      }
      expect(sha256(bytes)).toBe(c.sha256);
    });
  }

  it('differs from bilinear (the filter really is used)', () => {
    const img = images.h300x200;
    const a = resizeAndCenterCrop(img, 256, 224, BICUBIC).data;
    const b = resizeAndCenterCrop(img, 256, 224).data;
    expect(sha256(a as Uint8Array)).not.toBe(sha256(b as Uint8Array));
  });
});
