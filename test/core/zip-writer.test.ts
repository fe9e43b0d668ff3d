import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '../../src/core/crc32';
import { ZipWriter, dosDateTime } from '../../src/core/zip-writer';
import { readZipWithPython } from '../support/python-zip';
import { hashImage } from '../support/synthetic-image';

const dir = mkdtempSync(join(tmpdir(), 'shiftlens-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const HAVE_UNZIP = existsSync('/usr/bin/unzip');
const WHEN = new Date(2024, 2, 9, 13, 45, 58);

function writeZip(file: string, entries: [string, Uint8Array][], zip64: 'auto' | 'always' = 'auto'): Buffer {
  const parts: Uint8Array[] = [];
  const w = new ZipWriter((p) => parts.push(p), { zip64, modified: WHEN });
  for (const [name, bytes] of entries) w.addBytes(name, bytes);
  const total = w.finish();
  const buf = Buffer.concat(parts);
  expect(buf.length).toBe(total);
  writeFileSync(file, buf);
  return buf;
}

const ENTRIES: [string, Uint8Array][] = [
  ['frost/3/n01440764/n01440764_tench.JPEG', hashImage(37, 11, 3, 1)],
  ['gaussian_noise/5/n01440764/empty.JPEG', new Uint8Array(0)],
  ['zoom_blur/1/n99999999/été — 雪 ❄.JPEG', hashImage(1000, 70, 1, 2)],
];

describe('crc32', () => {
  it('equals zlib.crc32, whole and in chunks', () => {
    for (const n of [0, 1, 3, 4, 5, 255, 4097]) {
      const b = hashImage(n, 1, 1, n);
      expect(crc32(b)).toBe(zlibCrc32(b));
      expect(crc32(b.subarray(Math.floor(n / 3)), crc32(b.subarray(0, Math.floor(n / 3))))).toBe(zlibCrc32(b));
    }
  });
});

describe('ZipWriter read back by Python zipfile (and unzip -t)', () => {
  for (const mode of ['auto', 'always'] as const) {
    it(`stores entries byte-exact with CRC, UTF-8 names and the DOS time (zip64 ${mode})`, () => {
      const file = join(dir, `small-${mode}.zip`);
      const buf = writeZip(file, ENTRIES, mode);
      const z = readZipWithPython(file, { testzip: true });
      expect(z.testzip).toBeNull();
      expect(z.zip64EndRecord).toBe(mode === 'always');
      expect(z.entries.map((e) => e.name)).toEqual(ENTRIES.map(([n]) => n));
      z.entries.forEach((e, i) => {
        const data = ENTRIES[i][1];
        expect(e.sha256).toBe(sha256(data));
        expect([e.size, e.compressSize, e.compressType, e.crc]).toEqual([data.length, data.length, 0, zlibCrc32(data)]);
        expect(e.flagBits & 0x800).toBe(0x800);
        expect(e.dateTime).toEqual([2024, 3, 9, 13, 45, 58]);
        // STORED: the data sits verbatim right after the local header.
        const at = e.headerOffset + 30 + buf.readUInt16LE(e.headerOffset + 26) + buf.readUInt16LE(e.headerOffset + 28);
        expect(Buffer.compare(buf.subarray(at, at + data.length), Buffer.from(data))).toBe(0);
      });
      if (HAVE_UNZIP) {
        const t = spawnSync('/usr/bin/unzip', ['-t', file], { encoding: 'utf8' });
        expect(t.status, t.stdout + t.stderr).toBe(0);
        expect(t.stdout).toMatch(/No errors detected/);
      }
    });
  }

  it('switches to ZIP64 end records past 65 534 entries', () => {
    const file = join(dir, 'many.zip');
    const entries: [string, Uint8Array][] = Array.from({ length: 70_000 }, (_, i) => [`c/${Math.floor(i / 1000)}/${i}.JPEG`, new Uint8Array([i & 255, i >> 8])]);
    writeZip(file, entries);
    const z = readZipWithPython(file, { testzip: true });
    expect(z.zip64EndRecord).toBe(true);
    expect(z.testzip).toBeNull();
    expect(z.entries).toHaveLength(70_000);
    expect(z.entries[69_999]).toMatchObject({ name: 'c/69/69999.JPEG', sha256: sha256(new Uint8Array([69_999 & 255, 69_999 >> 8])) });
  }, 60_000); // Python reads back 70,000 entries: seconds on a busy 2-core machine

  it('writes ZIP64 sizes and offsets past 4 GiB (sparse file: the big entry is zeros)', () => {
    const file = join(dir, 'huge.zip');
    const fd = openSync(file, 'w');
    const ZERO = new Uint8Array(1 << 24);
    const bigSize = 2 ** 32 + 5; // ≥ 0xFFFFFFFF: ZIP64 sizes; the entries after it start past 4 GiB
    let crcBig = 0;
    for (let left = bigSize; left > 0; left -= ZERO.length) crcBig = zlibCrc32(ZERO.subarray(0, Math.min(left, ZERO.length)), crcBig);
    let pos = 0;
    const w = new ZipWriter<'zeros'>((p) => {
      if (p === 'zeros') pos += bigSize; // a hole: the file system reads it back as zeros
      else pos += writeSync(fd, p, 0, p.length, pos);
    }, { modified: WHEN });
    const small = hashImage(300, 1, 1, 9);
    w.addBytes('before.bin', small);
    w.add({ name: 'zeros.bin', size: bigSize, crc32: crcBig }, 'zeros');
    w.addBytes('after/ü.bin', small);
    const total = w.finish();
    closeSync(fd);
    expect(statSync(file).size).toBe(total);
    const z = readZipWithPython(file, { readLimit: 1 << 20 });
    expect(z.zip64EndRecord).toBe(true);
    expect(z.entries.map((e) => [e.name, e.size])).toEqual([['before.bin', 300], ['zeros.bin', bigSize], ['after/ü.bin', 300]]);
    expect(z.entries[2].headerOffset).toBeGreaterThan(2 ** 32);
    expect(z.entries[2].sha256).toBe(sha256(small)); // read from past 4 GiB, CRC checked
    expect(z.entries[1].crc).toBe(crcBig);
    if (HAVE_UNZIP) {
      const l = spawnSync('/usr/bin/unzip', ['-l', file], { encoding: 'utf8' });
      expect(l.status, l.stderr).toBe(0);
      expect(l.stdout).toMatch(new RegExp(`${bigSize}\\s+(2024-03-09|03-09-2024) 13:45\\s+zeros\\.bin`));
    }
  });

  it('refuses bad names, duplicates, size mismatches and use after finish', () => {
    const w = new ZipWriter(() => {});
    for (const bad of ['', '/abs', 'a/../b', 'a//b', 'a\\b', './a']) expect(() => w.addBytes(bad, new Uint8Array(1))).toThrow(/bad entry name/);
    w.addBytes('a', new Uint8Array(1));
    expect(() => w.addBytes('a', new Uint8Array(1))).toThrow(/duplicate/);
    expect(() => w.add({ name: 'b', size: 2, crc32: 0 }, new Uint8Array(1))).toThrow(/has 1 bytes, not 2/);
    w.finish();
    expect(() => w.addBytes('c', new Uint8Array(1))).toThrow(/after finish/);
  });

  it('DOS time: local time, 2-second steps, clamped to 1980', () => {
    expect(dosDateTime(new Date(1975, 0, 1))).toEqual({ date: 33, time: 0 });
    expect(dosDateTime(new Date(2001, 11, 31, 23, 59, 59))).toEqual({ date: (21 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 });
  });
});
