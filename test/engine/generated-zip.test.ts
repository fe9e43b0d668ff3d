import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from '../../src/core/crc32';
import { zipGeneratedSet } from '../../src/engine/generated-zip';
import type { GeneratedFile } from '../../src/engine/generate-set';
import { readZipWithPython } from '../support/python-zip';
import { hashImage } from '../support/synthetic-image';

const dir = mkdtempSync(join(tmpdir(), 'shiftlens-genzip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('zipGeneratedSet', () => {
  it('lays a generated set out as <corruption>/<severity>/<wnid>/<stem>.JPEG with the files as they are', async () => {
    const files: GeneratedFile[] = ['frost/3/n01/a', 'frost/3/n01/b', 'fog/5/n02/c'].map((p, i) => {
      const bytes = hashImage(100 + i, 3, 1, i);
      return { path: `generated/${p}.JPEG`, crc32: crc32(bytes), file: new File([bytes as Uint8Array<ArrayBuffer>], `${p.split('/').pop()}.JPEG`) };
    });
    const blob = zipGeneratedSet(files, new Date(2025, 0, 2, 3, 4, 6));
    expect(blob.type).toBe('application/zip');
    const path = join(dir, 'set.zip');
    writeFileSync(path, new Uint8Array(await blob.arrayBuffer()));
    const z = readZipWithPython(path, { testzip: true });
    expect(z.testzip).toBeNull();
    expect(z.entries.map((e) => [e.name, e.sha256, e.dateTime.join(',')])).toEqual(
      files.map((f, i) => [f.path.slice('generated/'.length), sha256(hashImage(100 + i, 3, 1, i)), '2025,1,2,3,4,6']),
    );
  });
});
