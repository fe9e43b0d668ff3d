import { describe, expect, it } from 'vitest';
import { CombinedSource, FileListSource, HandleSource, IgnoredFiles } from '../../src/engine/dataset-source';
import { fakeDirectory, type Tree } from '../support/fake-handles';

const img = (n = 3) => new Uint8Array(n);
const classes = (names: string[], files: string[]): Tree => Object.fromEntries(names.map((c) => [c, Object.fromEntries(files.map((f) => [f, img()]))]));

describe('HandleSource: lazy listing', () => {
  const tree: Tree = {
    noise: { gaussian_noise: { '1': classes(['n02', 'n01'], ['b.JPEG', 'a.JPEG']), '2': classes(['n01'], ['a.JPEG']) } },
    fog: { '3': classes(['n01'], ['a.JPEG', 'notes.txt']), '7': classes(['n01'], ['a.JPEG']) },
    'README.md': img(),
    other: { x: { y: img() } },
  };

  it('reads only the structure when picked: no file is opened, cells come in catalogue order', async () => {
    const root = fakeDirectory('imagenet-c', tree);
    const src = new HandleSource(root);
    const ignored = new IgnoredFiles();
    const scan = await src.scan('corrupted', ignored);
    expect(root.stats.getFile).toBe(0);
    expect(scan.cells.map((c) => c.dir)).toEqual(['imagenet-c/noise/gaussian_noise/1', 'imagenet-c/noise/gaussian_noise/2', 'imagenet-c/fog/3']);
    expect(scan.layout).toBe('mixed');
    expect(scan.found.get('gaussian_noise')).toEqual([1, 2]);
    expect(scan.missingSeverities).toContainEqual({ corruption: 'fog', severity: 1 });
    expect(scan.fileCount).toBeNull();
    expect(ignored.examples.map((e) => e.reason)).toEqual(expect.arrayContaining(['severity folder "7" is not 1–5', 'not an image file']));
  });

  it('lists a cell when asked, still without opening files, and opens exactly the file asked for', async () => {
    const root = fakeDirectory('imagenet-c', tree);
    const src = new HandleSource(root);
    const ignored = new IgnoredFiles();
    const scan = await src.scan('corrupted', ignored);
    const listing = await src.listCell(scan.cells[2], ignored);
    expect(listing).toEqual([{ folder: 'n01', files: ['a.JPEG'] }]);
    expect(ignored.examples.some((e) => e.path === 'imagenet-c/fog/3/n01/notes.txt')).toBe(true);
    expect(root.stats.getFile).toBe(0);
    const f = await src.file(scan.cells[0], 'n02', 'b.JPEG');
    expect(f.name).toBe('b.JPEG');
    expect(root.stats.getFile).toBe(1);
    // After the cell's handles are released, a file is still found from the root.
    src.release(scan.cells[0]);
    expect((await src.file(scan.cells[0], 'n01', 'a.JPEG')).name).toBe('a.JPEG');
  });

  it('finds the class folders of a clean folder, directly or under val/', async () => {
    for (const [tree2, dir] of [
      [classes(['n01', 'n02'], ['a.JPEG']), 'clean'],
      [{ val: classes(['n01', 'n02'], ['a.JPEG']) }, 'clean/val'],
    ] as [Tree, string][]) {
      const src = new HandleSource(fakeDirectory('clean', tree2));
      const scan = await src.scan('clean', new IgnoredFiles());
      expect(scan.cells).toEqual([{ corruption: null, severity: null, dir }]);
      expect((await src.listCell(scan.cells[0], new IgnoredFiles())).map((c) => c.folder).sort()).toEqual(['n01', 'n02']);
    }
  });

  it('counts a million ignored files without keeping them', () => {
    const ig = new IgnoredFiles(5);
    for (let i = 0; i < 1_000_000; i++) ig.add(`x/${i}`, 'not an image file');
    expect(ig.count).toBe(1_000_000);
    expect(ig.examples).toHaveLength(5);
  });
});

describe('FileListSource and CombinedSource', () => {
  const picked = (paths: string[]) => paths.map((path) => ({ path, file: new File([img()], path.split('/').pop()!) }));

  it('groups picked files into the same cells as a handle would', async () => {
    const src = new FileListSource(picked(['c/fog/3/n01/a.JPEG', 'c/fog/3/n02/b.JPEG', 'c/fog/1/n01/a.JPEG', 'c/junk.txt']));
    const ignored = new IgnoredFiles();
    const scan = await src.scan('corrupted', ignored);
    expect(scan.cells.map((c) => c.dir)).toEqual(['c/fog/1', 'c/fog/3']);
    expect(scan.fileCount).toBe(4);
    expect(ignored.count).toBe(1);
    expect(await src.listCell(scan.cells[1])).toEqual([
      { folder: 'n01', files: ['a.JPEG'] },
      { folder: 'n02', files: ['b.JPEG'] },
    ]);
    expect((await src.file(scan.cells[1], 'n02', 'b.JPEG')).name).toBe('b.JPEG');
  });

  it('adds corruption folders picked one at a time into one dataset', async () => {
    const a = new FileListSource(picked(['fog/3/n01/a.JPEG']));
    const b = new FileListSource(picked(['snow/1/n01/a.JPEG', 'snow/2/n01/a.JPEG']));
    const both = new CombinedSource([a, b]);
    const scan = await both.scan('corrupted', new IgnoredFiles());
    expect(scan.cells.map((c) => c.dir)).toEqual(['snow/1', 'snow/2', 'fog/3']);
    expect(scan.fileCount).toBe(3);
    expect((await both.file(scan.cells[2], 'n01', 'a.JPEG')).name).toBe('a.JPEG');
    // Scanned again (the picker scans for its summary, the run scans again): the same cells, not "picked twice".
    const again = await both.scan('corrupted', new IgnoredFiles());
    expect(again.cells.map((c) => c.dir)).toEqual(['snow/1', 'snow/2', 'fog/3']);
    expect(again.fileCount).toBe(3);
  });
});
