import { describe, expect, it } from 'vitest';
import { ImageIndex, STATE_UNREADABLE } from '../../src/core/image-index';
import { aggregate, type ImagePrediction } from '../../src/core/aggregate';
import { outcomesFromPredictions } from '../../src/core/outcomes';
import { xoshiro128 } from '../../src/core/xoshiro128';

/** A random run held both ways: as ImagePrediction objects (the reference) and in the compact index. */
function randomRun(seed: number) {
  const rng = xoshiro128(seed);
  const rand = () => rng.next() / 2 ** 32;
  const wnids = Array.from({ length: 12 }, (_, i) => `n${String(1000 + i * 7).padStart(8, '0')}`);
  const labelIndex = new Map(wnids.map((w, i) => [w, i]));
  const index = new ImageIndex(labelIndex);
  const preds: ImagePrediction[] = [];
  const cells = [
    { corruption: 'fog', severity: 3, dir: 'c/fog/3' },
    { corruption: 'gaussian_noise', severity: 1, dir: 'c/noise/gaussian_noise/1' },
    { corruption: 'fog', severity: 3, dir: 'c/weather/fog/3' }, // the same cell twice (mixed layout): counts add up
    { corruption: null, severity: null, dir: 'clean/val' },
  ];
  for (const [k, spec] of cells.entries()) {
    const classes = wnids
      .filter(() => rand() < 0.8)
      .map((w) => ({ folder: w, files: Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, j) => `${k === 2 ? 'dup' : 'img'}_${w}_${j}.${spec.corruption ? 'JPEG' : 'png'}`) }));
    const cell = index.cells[index.addCell(spec, classes.reverse())];
    for (let i = cell.start; i < cell.start + cell.count; i++) {
      const label = index.label(i);
      const base = { path: index.path(i), corruption: spec.corruption, severity: spec.severity, label, identity: index.identity(i) };
      const r = rand();
      if (r < 0.05) {
        index.setUnreadable(i, 'truncated');
        preds.push({ ...base, top: [], topLogits: [], unreadable: 'truncated' });
      } else {
        const top1 = r < 0.5 ? label : Math.floor(rand() * 12);
        index.setPrediction(i, top1);
        preds.push({ ...base, top: [top1], topLogits: [0] });
      }
    }
  }
  return { index, preds };
}

describe('ImageIndex', () => {
  it('keeps paths sorted within a cell and gives each image its label and identity', () => {
    const ix = new ImageIndex(new Map([['n01', 0], ['n02', 1]]));
    ix.addCell({ corruption: 'fog', severity: 1, dir: 'x/fog/1' }, [
      { folder: 'n02', files: ['b.JPEG', 'a.JPEG'] },
      { folder: 'n01', files: ['z.JPEG'] },
    ]);
    expect([0, 1, 2].map((i) => ix.path(i))).toEqual(['x/fog/1/n01/z.JPEG', 'x/fog/1/n02/a.JPEG', 'x/fog/1/n02/b.JPEG']);
    expect([0, 1, 2].map((i) => ix.label(i))).toEqual([0, 1, 1]);
    expect(ix.identity(1)).toBe('n02/a');
    ix.addCell({ corruption: null, severity: null, dir: 'v' }, [{ folder: 'n01', files: ['z.png'] }]);
    expect(ix.cellIndexOf(3)).toBe(1);
    expect(ix.identity(3)).toBe('n01/z');
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`counts, clean-matched counts, unreadable list and outcomes equal the per-object reference (seed ${seed})`, () => {
      const { index, preds } = randomRun(seed);
      const ref = aggregate(preds);
      const got = index.counts();
      expect(got.corruptions).toEqual(ref.corruptions);
      expect(got.clean).toEqual(ref.clean);
      expect(index.cleanMatched()).toEqual(ref.cleanMatched);
      expect(index.unreadableList()).toEqual(ref.unreadable);
      expect(index.outcomes()).toEqual(outcomesFromPredictions(preds));
      expect(index.countDone()).toBe(preds.length);
    });
  }

  it('survives structured cloning (postMessage to the export worker): revived, it answers as before and still grows', () => {
    const { index, preds } = randomRun(7);
    const clone = ImageIndex.revive(structuredClone(index));
    expect(clone).toBeInstanceOf(ImageIndex);
    expect(clone.counts()).toEqual(index.counts());
    expect(clone.outcomes()).toEqual(index.outcomes());
    expect(clone.unreadableList()).toEqual(aggregate(preds).unreadable);
    for (let i = 0; i < index.size; i++) {
      expect([clone.path(i), clone.label(i), clone.stateOf(i), clone.top1(i), clone.identity(i)]).toEqual([index.path(i), index.label(i), index.stateOf(i), index.top1(i), index.identity(i)]);
      const k = index.cellIndexOf(i);
      expect(clone.findInCell(k, index.classFolder(i), index.fileName(i))).toBe(i);
    }
    // The transfer form (per-image arrays in fresh buffers, moved rather than copied): the same answers, the
    // original untouched.
    const sent = index.forTransfer();
    const moved = ImageIndex.revive(structuredClone(sent.index, { transfer: sent.buffers }));
    expect(sent.buffers.every((b) => b.byteLength === 0)).toBe(true); // transferred away
    expect(moved.counts()).toEqual(index.counts());
    expect(moved.outcomes()).toEqual(index.outcomes());
    for (let i = 0; i < index.size; i++) expect([moved.path(i), moved.stateOf(i), moved.top1(i)]).toEqual([index.path(i), index.stateOf(i), index.top1(i)]);
    expect(index.counts()).toEqual(clone.counts());
    // Its growable arrays work again (a plain clone has no prototype): a cell of 3,000 images more.
    const files = Array.from({ length: 3000 }, (_, j) => `more_${j}.JPEG`);
    const more = clone.cells[clone.addCell({ corruption: 'snow', severity: 2, dir: 'c/snow/2' }, [{ folder: index.classes[0], files }])];
    expect(more.count).toBe(3000);
    expect(clone.path(more.start + 2999)).toBe(`c/snow/2/${index.classes[0]}/more_999.JPEG`);
  });

  it('refuses outcomes when one cell has two images of one identity, like outcomesFromPredictions', () => {
    const ix = new ImageIndex(new Map([['n01', 0]]));
    ix.addCell({ corruption: 'fog', severity: 1, dir: 'a/fog/1' }, [{ folder: 'n01', files: ['x.JPEG'] }]);
    ix.addCell({ corruption: 'fog', severity: 1, dir: 'b/fog/1' }, [{ folder: 'n01', files: ['x.png'] }]);
    ix.setPrediction(0, 0);
    ix.setPrediction(1, 0);
    expect(() => ix.outcomes()).toThrow(/two images with the identity "n01\/x" in fog\/1/);
  });

  it('holds a full ImageNet-C cell in a few bytes per image', () => {
    const wnids = Array.from({ length: 1000 }, (_, i) => `n${String(i).padStart(8, '0')}`);
    const ix = new ImageIndex(new Map(wnids.map((w, i) => [w, i])));
    const files = Array.from({ length: 50 }, (_, j) => `ILSVRC2012_val_${String(j).padStart(8, '0')}.JPEG`);
    for (let s = 1; s <= 5; s++) ix.addCell({ corruption: 'fog', severity: s, dir: `c/fog/${s}` }, wnids.map((w) => ({ folder: w, files })));
    expect(ix.size).toBe(250_000);
    expect(ix.names).toHaveLength(50); // file names interned, not one string per image
    ix.setUnreadable(7, 'empty file');
    expect(ix.stateOf(7)).toBe(STATE_UNREADABLE);
  });
});

describe('cell digests and outcomes (cache summaries)', () => {
  const labels = new Map([['n1', 0], ['n2', 1], ['n3', 2]]);
  const cell = { corruption: 'fog', severity: 3, dir: 'c/fog/3' };
  const build = (classes: { folder: string; files: string[] }[], l = labels) => {
    const ix = new ImageIndex(l);
    return { ix, k: ix.addCell(cell, classes) };
  };
  const base = [
    { folder: 'n1', files: ['a.JPEG', 'b.JPEG'] },
    { folder: 'n2', files: ['a.JPEG'] },
  ];

  it('is the same for the same images in any listing order, and differs for another file, folder or label', () => {
    const d = build(base).ix.cellDigest(0);
    expect(d).toMatch(/^[0-9a-f]{16}$/);
    expect(build([base[1], { folder: 'n1', files: ['b.JPEG', 'a.JPEG'] }]).ix.cellDigest(0)).toBe(d);
    expect(build([base[0], { folder: 'n2', files: ['a.JPEG', 'c.JPEG'] }]).ix.cellDigest(0)).not.toBe(d);
    expect(build([base[0], { folder: 'n3', files: ['a.JPEG'] }]).ix.cellDigest(0)).not.toBe(d);
    expect(build([base[0], { folder: 'n2', files: ['b.JPEG'] }]).ix.cellDigest(0)).not.toBe(d);
    expect(build(base, new Map([['n1', 0], ['n2', 2]])).ix.cellDigest(0)).not.toBe(d);
    // a second cell with the same images has the same digest
    const two = build(base);
    two.ix.addCell({ ...cell, dir: 'c/fog/4', severity: 4 }, base);
    expect(two.ix.cellDigest(1)).toBe(d);
  });

  it('outcomes copied out of one index and applied to another give the same counts and outcomes', () => {
    const a = build(base).ix;
    a.setPrediction(0, 0);
    a.setUnreadable(1, 'truncated');
    a.setPrediction(2, 2);
    const b = build(base).ix;
    expect(b.applyCellOutcomes(0, a.cellOutcomes(0))).toBe(2);
    expect(b.counts()).toEqual(a.counts());
    expect(b.unreadableList()).toEqual(a.unreadableList());
    expect(b.outcomes()).toEqual(a.outcomes());
    expect(b.stateOf(1)).toBe(STATE_UNREADABLE);
    expect(() => b.applyCellOutcomes(0, { state: new Uint8Array(2), top: new Int16Array(2), unreadable: [] })).toThrow(RangeError);
  });
});

describe('findInCell', () => {
  it('finds an image of a cell by class folder and file name, with or without a hint; −1 when not there', () => {
    const ix = new ImageIndex(new Map([['n1', 0], ['n1-x', 1], ['n2', 2]]));
    ix.addCell({ corruption: 'fog', severity: 1, dir: 'c/fog/1' }, [{ folder: 'n2', files: ['a.JPEG'] }]);
    // 'n1-x/…' sorts before 'n1/…' as a key ('-' < '/'), after 'n1' as a folder: the search is by folder, then file.
    const k = ix.addCell({ corruption: 'fog', severity: 2, dir: 'c/fog/2' }, [
      { folder: 'n1-x', files: ['b.JPEG', 'a.JPEG'] },
      { folder: 'n1', files: ['c.JPEG', 'a.JPEG'] },
      { folder: 'n2', files: ['a.JPEG'] },
    ]);
    const start = ix.cells[k].start;
    for (let i = start; i < start + 5; i++) {
      expect(ix.findInCell(k, ix.classFolder(i), ix.fileName(i))).toBe(i);
      expect(ix.findInCell(k, ix.classFolder(i), ix.fileName(i), i)).toBe(i);
      expect(ix.findInCell(k, ix.classFolder(i), ix.fileName(i), start)).toBe(i);
    }
    expect(ix.findInCell(k, 'n1', 'b.JPEG')).toBe(-1);
    expect(ix.findInCell(k, 'n3', 'a.JPEG')).toBe(-1);
    expect(ix.findInCell(0, 'n1', 'a.JPEG')).toBe(-1);
  });
});
