import { describe, expect, it } from 'vitest';
import { Base64Error, decodeBase64, encodeBase64 } from '../../src/core/base64';

describe('base64 agrees with Node Buffer', () => {
  it('every length 0…70 and a 100 kB buffer (past one chunk) round-trip and equal Buffer.toString("base64")', () => {
    let s = 7;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) & 255;
    for (const len of [...Array.from({ length: 71 }, (_, i) => i), 100_003]) {
      const bytes = Uint8Array.from({ length: len }, rand);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(decodeBase64(text)).toEqual(bytes);
    }
  });

  it('refuses malformed text', () => {
    for (const bad of ['abc', 'ab=c', 'a===', 'ab c', 'ab-_', 'é+/A', '====']) expect(() => decodeBase64(bad), bad).toThrow(Base64Error);
  });
});
