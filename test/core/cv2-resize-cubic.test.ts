import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { resizeCubicCv2 } from '../../src/core/cv2-resize-cubic';
import { hashImage, smoothImage } from '../support/synthetic-image';

// OpenCV 4.6 (Debian 12 python3-opencv) outputs; see test/data/small/make-cv2-resize-reference.py.
interface RefCase {
  gen: 'hash' | 'smooth';
  width: number;
  height: number;
  channels: number;
  seed: number;
  dstWidth: number;
  dstHeight: number;
  input_sha256: string;
  sha256: string;
  full?: string;
  samples?: { idx: number[]; values: string };
}
const ref: { opencv: string; cases: RefCase[] } = JSON.parse(
  readFileSync(fileURLToPath(new URL('../data/small/cv2-resize-reference.json', import.meta.url)), 'utf8'),
);

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const makeInput = (c: RefCase): Uint8Array =>
  c.gen === 'hash' ? hashImage(c.width, c.height, c.channels, c.seed) : smoothImage(c.width, c.height, c.channels);

describe('resizeCubicCv2 equals cv2.resize(INTER_CUBIC) of OpenCV 4.6', () => {
  it('the reference was made with OpenCV 4.6', () => expect(ref.opencv).toMatch(/^4\.6\./));

  for (const c of ref.cases) {
    it(`${c.gen} ${c.width}x${c.height}x${c.channels} → ${c.dstWidth}x${c.dstHeight}: bit-exact`, () => {
      const input = makeInput(c);
      expect(sha256(input), 'input generator').toBe(c.input_sha256);
      const out = resizeCubicCv2({ width: c.width, height: c.height, data: input }, c.dstWidth, c.dstHeight, c.channels);
      expect(out.length).toBe(c.dstWidth * c.dstHeight * c.channels);
      if (c.full) expect(Array.from(out)).toEqual(Array.from(Buffer.from(c.full, 'base64')));
      if (c.samples) {
        const values = Buffer.from(c.samples.values, 'base64');
        expect(c.samples.idx.map((i) => out[i])).toEqual(Array.from(values));
      }
      expect(sha256(out)).toBe(c.sha256);
    });
  }

  it('rejects data that does not fit the size', () => {
    expect(() => resizeCubicCv2({ width: 4, height: 4, data: new Uint8Array(47) }, 5, 5)).toThrow(/do not make/);
    expect(() => resizeCubicCv2({ width: 4, height: 4, data: new Uint8Array(48) }, 0, 5)).toThrow(/bad size/);
  });
});
