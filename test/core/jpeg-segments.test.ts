import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jpegIsTruncated, stripOrientationAndColorProfile } from '../../src/core/jpeg-segments';
import { describeFixtures, fixture } from '../support/fixtures';

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const cat = (...parts: number[][]) => new Uint8Array(parts.flat());

const SOI = [0xff, 0xd8];
const APP0 = [0xff, 0xe0, 0x00, 0x10, ...ascii('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]; // length 16
const APP1_EXIF = [0xff, 0xe1, 0x00, 0x0a, ...ascii('Exif\0\0'), 0x4d, 0x4d]; // length 10
const APP1_XMP = [0xff, 0xe1, 0x00, 0x08, ...ascii('http:/')]; // length 8
const APP2_ICC = [0xff, 0xe2, 0x00, 0x10, ...ascii('ICC_PROFILE\0'), 1, 1]; // length 16
const DQT = [0xff, 0xdb, 0x00, 0x05, 0x00, 0x01, 0x02]; // length 5 (truncated table: fine for a byte test)
const APP14 = [0xff, 0xee, 0x00, 0x07, ...ascii('Adobe')]; // length 7
const SOF0 = [0xff, 0xc0, 0x00, 0x0b, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]; // length 11
const DHT = [0xff, 0xc4, 0x00, 0x04, 0x00, 0x00]; // length 4
const SOS = [0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0];
// Entropy-coded data, including bytes that look like APP1/APP2 markers: after SOS nothing may change.
const DATA = [0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xe1, 0x00, 0x04, 0xff, 0xe2, 0x99];
const EOI = [0xff, 0xd9];

describe('stripOrientationAndColorProfile: synthetic JPEG', () => {
  it('removes APP1 (Exif) and APP2 (ICC), keeps everything else byte for byte', () => {
    const input = cat(SOI, APP0, APP1_EXIF, APP2_ICC, DQT, APP14, SOF0, DHT, SOS, DATA, EOI);
    const out = stripOrientationAndColorProfile(input);
    expect([...out]).toEqual([...cat(SOI, APP0, DQT, APP14, SOF0, DHT, SOS, DATA, EOI)]);
    expect(out.length).toBe(input.length - APP1_EXIF.length - APP2_ICC.length);
    // the input is not modified
    expect([...input]).toEqual([...cat(SOI, APP0, APP1_EXIF, APP2_ICC, DQT, APP14, SOF0, DHT, SOS, DATA, EOI)]);
  });

  it('removes several APP1 segments (Exif + XMP) wherever they stand before SOS', () => {
    const input = cat(SOI, APP1_EXIF, APP0, DQT, APP1_XMP, SOF0, APP2_ICC, SOS, DATA, EOI);
    expect([...stripOrientationAndColorProfile(input)]).toEqual([...cat(SOI, APP0, DQT, SOF0, SOS, DATA, EOI)]);
  });

  it('APP1/APP2 directly after SOI and nothing else', () => {
    const input = cat(SOI, APP1_EXIF, APP2_ICC, SOS, DATA, EOI);
    expect([...stripOrientationAndColorProfile(input)]).toEqual([...cat(SOI, SOS, DATA, EOI)]);
  });

  it('a JPEG with nothing to strip comes back as the same object', () => {
    const input = cat(SOI, APP0, DQT, SOF0, SOS, DATA, EOI);
    expect(stripOrientationAndColorProfile(input)).toBe(input);
  });

  it('fill bytes (0xFF padding) before a marker are tolerated', () => {
    const input = cat(SOI, [0xff], APP1_EXIF, APP0, SOS, DATA, EOI);
    const out = stripOrientationAndColorProfile(input);
    // Exif is gone; whatever remains still starts with SOI and ends with the unchanged scan
    expect(out.length).toBe(input.length - APP1_EXIF.length);
    expect([...out.subarray(0, 2)]).toEqual(SOI);
    expect([...out.subarray(out.length - (SOS.length + DATA.length + EOI.length))]).toEqual([...SOS, ...DATA, ...EOI]);
    expect(countMarkerBeforeSos(out, 0xe1)).toBe(0);
  });

  it('non-JPEG input is returned unchanged (same object)', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect(stripOrientationAndColorProfile(png)).toBe(png);
    const tiny = new Uint8Array([0xff, 0xd8, 0xff]);
    expect(stripOrientationAndColorProfile(tiny)).toBe(tiny);
    const empty = new Uint8Array(0);
    expect(stripOrientationAndColorProfile(empty)).toBe(empty);
    const text = new Uint8Array(ascii('not a jpeg at all'));
    expect(stripOrientationAndColorProfile(text)).toBe(text);
  });

  it('malformed segment structure before SOS: left to the decoder (returned unchanged)', () => {
    // garbage where a marker must be, after an APP1 that would otherwise be stripped
    const garbage = cat(SOI, APP1_EXIF, [0x00, 0x11, 0x22, 0x33], SOS, DATA, EOI);
    expect(stripOrientationAndColorProfile(garbage)).toBe(garbage);
    // a segment length below 2
    const badLen = cat(SOI, APP1_EXIF, [0xff, 0xdb, 0x00, 0x01], SOS, DATA, EOI);
    expect(stripOrientationAndColorProfile(badLen)).toBe(badLen);
  });
});

/** Counts segments with the given marker between SOI and SOS (independent walker for the checks). */
function countMarkerBeforeSos(b: Uint8Array, marker: number): number {
  let pos = 2;
  let count = 0;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) throw new Error(`no marker at ${pos}`);
    if (b[pos + 1] === 0xff) {
      pos++;
      continue;
    }
    if (b[pos + 1] === 0xda) return count;
    if (b[pos + 1] === marker) count++;
    pos += 2 + ((b[pos + 2] << 8) | b[pos + 3]);
  }
  throw new Error('no SOS');
}

function sosOffset(b: Uint8Array): number {
  for (let i = 2; i + 1 < b.length; i++) {
    // walk segments properly rather than scanning, so that bytes inside a segment are not mistaken for SOS
    if (b[i] !== 0xff) throw new Error(`no marker at ${i}`);
    if (b[i + 1] === 0xff) continue;
    if (b[i + 1] === 0xda) return i;
    i += 1 + ((b[i + 2] << 8) | b[i + 3]);
  }
  throw new Error('no SOS');
}

describeFixtures('stripOrientationAndColorProfile on real JPEGs', () => {
  const root = fixture('imagenet-val-sample');

  it('n02951585_can_opener (EXIF orientation 6): both APP1 segments go, scan identical', () => {
    const input = new Uint8Array(readFileSync(join(root, 'n02951585', 'n02951585_can_opener.JPEG')));
    expect(input.length).toBe(56130);
    expect(countMarkerBeforeSos(input, 0xe1)).toBe(2); // Exif (7318) + XMP (3983)
    const out = stripOrientationAndColorProfile(input);
    // 56130 − (2 + 7318) − (2 + 3983) = 44825
    expect(out.length).toBe(44825);
    expect(countMarkerBeforeSos(out, 0xe1)).toBe(0);
    expect(countMarkerBeforeSos(out, 0xe2)).toBe(0);
    expect(countMarkerBeforeSos(out, 0xe0)).toBe(1); // JFIF kept
    expect(countMarkerBeforeSos(out, 0xdb)).toBe(2); // both quantisation tables kept
    expect(countMarkerBeforeSos(out, 0xc4)).toBe(4); // all Huffman tables kept
    const tailIn = input.subarray(sosOffset(input));
    const tailOut = out.subarray(sosOffset(out));
    expect(Buffer.from(tailOut).equals(Buffer.from(tailIn))).toBe(true);
    // the header minus APP1s is the same bytes too: SOI+APP0 (2+18) then from DQT on
    expect(Buffer.from(out.subarray(0, 20)).equals(Buffer.from(input.subarray(0, 20)))).toBe(true);
    expect(Buffer.from(out.subarray(20)).equals(Buffer.from(input.subarray(20 + 7320 + 3985)))).toBe(true);
  });

  it('a file with an ICC profile: APP2 goes, scan identical', () => {
    const marker = Buffer.from('ICC_PROFILE');
    let found: { path: string; bytes: Buffer } | undefined;
    for (const dir of readdirSync(root).sort()) {
      for (const name of readdirSync(join(root, dir)).sort()) {
        const bytes = readFileSync(join(root, dir, name));
        if (bytes.indexOf(marker) >= 0) {
          found = { path: `${dir}/${name}`, bytes };
          break;
        }
      }
      if (found) break;
    }
    expect(found, 'no JPEG with an ICC profile in imagenet-val-sample').toBeDefined();
    const input = new Uint8Array(found!.bytes);
    const app2 = countMarkerBeforeSos(input, 0xe2);
    expect(app2).toBeGreaterThan(0);
    const out = stripOrientationAndColorProfile(input);
    expect(out.length).toBeLessThan(input.length);
    expect(countMarkerBeforeSos(out, 0xe2)).toBe(0);
    expect(countMarkerBeforeSos(out, 0xe1)).toBe(0);
    expect(Buffer.from(out).indexOf(marker)).toBe(-1);
    expect(countMarkerBeforeSos(out, 0xdb)).toBe(countMarkerBeforeSos(input, 0xdb));
    expect(countMarkerBeforeSos(out, 0xc0)).toBe(countMarkerBeforeSos(input, 0xc0));
    expect(Buffer.from(out.subarray(sosOffset(out))).equals(Buffer.from(input.subarray(sosOffset(input))))).toBe(true);
    if (found!.path === 'n01514668/n01514668_cock.JPEG') {
      // one APP2 of length 3160: 122371 − 3162
      expect(out.length).toBe(119209);
    }
  });
});

describe('jpegIsTruncated', () => {
  const jpeg = (...parts: number[][]) => new Uint8Array(parts.flat());
  const SOI = [0xff, 0xd8];
  const APP0 = [0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46];
  const SOS = [0xff, 0xda, 0x00, 0x04, 0x01, 0x00];
  // Entropy data with a stuffed 0xFF00 and a restart marker: neither is an end of image.
  const DATA = [0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56];
  const EOI = [0xff, 0xd9];

  it('a complete JPEG is not truncated (stuffed bytes and restart markers are not EOI)', () => {
    expect(jpegIsTruncated(jpeg(SOI, APP0, SOS, DATA, EOI))).toBe(false);
  });
  it('a JPEG cut inside its scan is truncated', () => {
    expect(jpegIsTruncated(jpeg(SOI, APP0, SOS, DATA))).toBe(true);
  });
  it('a JPEG cut inside its header is truncated', () => {
    expect(jpegIsTruncated(jpeg(SOI, [0xff, 0xe0, 0x00, 0x40, 0x4a]))).toBe(true);
  });
  it('a PNG or other non-JPEG is not judged', () => {
    expect(jpegIsTruncated(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]))).toBe(false);
  });
});

describeFixtures('jpegIsTruncated on real files', () => {
  it('no fixture JPEG is truncated; each cut short is', () => {
    const dir = fixture('imagenet-val-sample');
    const files = readdirSync(dir).flatMap((c) => readdirSync(join(dir, c)).map((f) => join(dir, c, f)));
    expect(files.length).toBeGreaterThan(400);
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      expect(jpegIsTruncated(bytes), f).toBe(false);
      expect(jpegIsTruncated(bytes.subarray(0, Math.floor(bytes.length * 0.7))), f).toBe(true);
      expect(jpegIsTruncated(bytes.subarray(0, bytes.length - 2)), f).toBe(true);
    }
  });
});
