import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  discoverClean,
  discoverCorrupted,
  imageIdentity,
  isImageFileName,
  type FileRef,
} from '../../src/core/dataset-discovery';
import { describeFixtures, fixture } from '../support/fixtures';

const ALL_19 = [
  'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
  'speckle_noise', 'gaussian_blur', 'spatter', 'saturate',
];

const refs = (...paths: string[]): FileRef[] => paths.map((path) => ({ path, size: 1234 }));
const reasonOf = (ignored: { path: string; reason: string }[], path: string) => ignored.find((i) => i.path === path)?.reason;

describe('isImageFileName', () => {
  it('accepts common image extensions, any case; rejects others and dot files', () => {
    for (const n of ['a.JPEG', 'a.jpeg', 'a.jpg', 'a.JPG', 'a.png', 'a.webp', 'a.bmp']) expect(isImageFileName(n)).toBe(true);
    for (const n of ['a.txt', 'a.jpeg.txt', 'README', '.hidden.jpg', '._a.JPEG', 'a.gif', 'jpeg']) expect(isImageFileName(n)).toBe(false);
  });
});

describe('discoverCorrupted: flat layout', () => {
  const ds = discoverCorrupted(
    refs(
      'root/fog/3/n01440764/b.JPEG',
      'root/fog/3/n01440764/a.JPEG',
      'root/fog/1/n01443537/c.JPEG',
      'root/saturate/5/n01440764/a.JPEG',
    ),
  );

  it('finds every image with its corruption, severity, class and file name', () => {
    expect(ds.layout).toBe('flat');
    expect(ds.images).toHaveLength(4);
    // sorted by path
    expect(ds.images.map((i) => i.path)).toEqual([
      'root/fog/1/n01443537/c.JPEG',
      'root/fog/3/n01440764/a.JPEG',
      'root/fog/3/n01440764/b.JPEG',
      'root/saturate/5/n01440764/a.JPEG',
    ]);
    expect(ds.images[1]).toEqual({
      path: 'root/fog/3/n01440764/a.JPEG',
      corruption: 'fog',
      severity: 3,
      classFolder: 'n01440764',
      fileName: 'a.JPEG',
    });
    expect(ds.ignored).toEqual([]);
    expect([...ds.classFolders].sort()).toEqual(['n01440764', 'n01443537']);
  });

  it('reports found severities (ascending) and missing ones per present corruption', () => {
    expect(ds.found.get('fog')).toEqual([1, 3]);
    expect(ds.found.get('saturate')).toEqual([5]);
    expect(ds.found.has('snow')).toBe(false);
    expect(ds.missingSeverities).toEqual([
      { corruption: 'fog', severity: 2 },
      { corruption: 'fog', severity: 4 },
      { corruption: 'fog', severity: 5 },
      { corruption: 'saturate', severity: 1 },
      { corruption: 'saturate', severity: 2 },
      { corruption: 'saturate', severity: 3 },
      { corruption: 'saturate', severity: 4 },
    ]);
  });

  it('lists the 17 corruptions that have no images', () => {
    expect(ds.missingCorruptions).toEqual(ALL_19.filter((n) => n !== 'fog' && n !== 'saturate'));
  });

  it('accepts paths without the picked folder and with backslashes', () => {
    const d = discoverCorrupted(refs('fog/3/n01440764/a.JPEG', 'pick\\snow\\2\\n01440764\\x.jpg'));
    expect(d.images.map((i) => [i.corruption, i.severity, i.classFolder, i.fileName])).toEqual([
      ['fog', 3, 'n01440764', 'a.JPEG'],
      ['snow', 2, 'n01440764', 'x.jpg'],
    ]);
    expect(d.layout).toBe('flat');
  });
});

describe('discoverCorrupted: grouped and mixed layouts', () => {
  it('<group>/<corruption>/... is "grouped"', () => {
    const ds = discoverCorrupted(
      refs('root/weather/fog/3/n01440764/a.JPEG', 'root/extra/saturate/1/n01440764/a.JPEG', 'root/noise/gaussian_noise/5/n01/x.png'),
    );
    expect(ds.layout).toBe('grouped');
    expect(ds.images.map((i) => `${i.corruption}/${i.severity}`).sort()).toEqual(['fog/3', 'gaussian_noise/5', 'saturate/1']);
    expect(ds.ignored).toEqual([]);
  });

  it('some grouped and some flat is "mixed"', () => {
    const ds = discoverCorrupted(refs('root/weather/fog/3/n01440764/a.JPEG', 'root/snow/3/n01440764/a.JPEG'));
    expect(ds.layout).toBe('mixed');
    expect(ds.images).toHaveLength(2);
  });

  it('no images is "empty" with all 19 missing and no missing severities', () => {
    const ds = discoverCorrupted([]);
    expect(ds.layout).toBe('empty');
    expect(ds.images).toEqual([]);
    expect(ds.missingCorruptions).toEqual(ALL_19);
    expect(ds.missingSeverities).toEqual([]);
    expect(ds.found.size).toBe(0);
  });
});

describe('discoverCorrupted: junk is reported, never fatal', () => {
  const good = 'root/fog/3/n01440764/a.JPEG';
  const files: FileRef[] = [
    { path: good, size: 100 },
    { path: 'root/.DS_Store', size: 6148 },
    { path: 'root/fog/.DS_Store', size: 6148 },
    { path: 'root/README.txt', size: 10 },
    { path: 'root/fog/3/notes.txt', size: 10 },
    { path: 'root/fog/7/n01440764/x.JPEG', size: 100 },
    { path: 'root/fog/0/n01440764/x.JPEG', size: 100 },
    { path: 'root/fog/high/n01440764/x.JPEG', size: 100 },
    { path: 'root/unknown_corr/3/n01440764/x.JPEG', size: 100 },
    { path: 'root/loose.JPEG', size: 100 },
    { path: '__MACOSX/root/fog/3/n01440764/._a.JPEG', size: 100 },
    { path: 'root/__MACOSX/fog/3/n01440764/a.JPEG', size: 100 },
    { path: 'root/fog/3/n01440764/sub/deep.JPEG', size: 100 },
  ];
  const ds = discoverCorrupted(files);

  it('keeps the one good image', () => {
    expect(ds.images.map((i) => i.path)).toEqual([good]);
    expect(ds.layout).toBe('flat');
  });

  it('reports every other file with a reason', () => {
    expect(ds.ignored).toHaveLength(files.length - 1);
    const r = (p: string) => reasonOf(ds.ignored, p);
    expect(r('root/.DS_Store')).toMatch(/hidden|system/);
    expect(r('root/fog/.DS_Store')).toMatch(/hidden|system/);
    expect(r('root/README.txt')).toMatch(/not an image/);
    expect(r('root/fog/3/notes.txt')).toMatch(/not an image/);
    expect(r('root/fog/7/n01440764/x.JPEG')).toMatch(/severity.*"7".*1–5/);
    expect(r('root/fog/0/n01440764/x.JPEG')).toMatch(/severity.*"0"/);
    expect(r('root/fog/high/n01440764/x.JPEG')).toMatch(/severity.*"high"/);
    expect(r('root/unknown_corr/3/n01440764/x.JPEG')).toMatch(/unknown corruption folder "unknown_corr"/);
    expect(r('root/loose.JPEG')).toMatch(/not inside <corruption>\/<severity>\/<class>/);
    expect(r('__MACOSX/root/fog/3/n01440764/._a.JPEG')).toMatch(/hidden|system/);
    expect(r('root/__MACOSX/fog/3/n01440764/a.JPEG')).toMatch(/hidden|system/);
    expect(r('root/fog/3/n01440764/sub/deep.JPEG')).toMatch(/not inside/);
  });

  it('junk does not create corruptions, severities or class folders', () => {
    expect([...ds.found.keys()]).toEqual(['fog']);
    expect(ds.found.get('fog')).toEqual([3]);
    expect([...ds.classFolders]).toEqual(['n01440764']);
    expect(ds.missingSeverities.map((m) => m.severity)).toEqual([1, 2, 4, 5]);
  });

  it('a zero-byte image is kept: the decoder lists it as unreadable, with its path', () => {
    const d = discoverCorrupted([{ path: 'fog/1/n01/a.JPEG' }, { path: 'fog/1/n01/empty.JPEG', size: 0 }]);
    expect(d.images.map((i) => i.fileName)).toEqual(['a.JPEG', 'empty.JPEG']);
  });
});

describe('discoverClean', () => {
  it('finds val/<wnid>/x and <wnid>/x', () => {
    const ds = discoverClean(refs('val/n01443537/b.JPEG', 'n01440764/a.JPEG', 'pick/val/n01440764/c.png'));
    expect(ds.images).toEqual([
      { path: 'n01440764/a.JPEG', classFolder: 'n01440764', fileName: 'a.JPEG' },
      { path: 'pick/val/n01440764/c.png', classFolder: 'n01440764', fileName: 'c.png' },
      { path: 'val/n01443537/b.JPEG', classFolder: 'n01443537', fileName: 'b.JPEG' },
    ]);
    expect([...ds.classFolders].sort()).toEqual(['n01440764', 'n01443537']);
    expect(ds.ignored).toEqual([]);
  });

  it('rejects ImageNet-C paths given as clean', () => {
    const ds = discoverClean(refs('fog/3/n01440764/a.JPEG', 'root/weather/snow/1/n01440764/b.JPEG', 'val/n01440764/ok.JPEG'));
    expect(ds.images.map((i) => i.path)).toEqual(['val/n01440764/ok.JPEG']);
    expect(reasonOf(ds.ignored, 'fog/3/n01440764/a.JPEG')).toMatch(/ImageNet-C/);
    expect(reasonOf(ds.ignored, 'root/weather/snow/1/n01440764/b.JPEG')).toMatch(/ImageNet-C/);
  });

  it('reports junk and loose files', () => {
    const ds = discoverClean([
      { path: 'loose.JPEG', size: 5 },
      { path: 'val/.DS_Store', size: 5 },
      { path: 'val/n01440764/notes.txt', size: 5 },
      { path: '__MACOSX/val/n01440764/._a.JPEG', size: 5 },
    ]);
    expect(ds.images).toEqual([]);
    expect(ds.ignored).toHaveLength(4);
    expect(reasonOf(ds.ignored, 'loose.JPEG')).toMatch(/class/);
    expect(reasonOf(ds.ignored, 'val/n01440764/notes.txt')).toMatch(/not an image/);
  });
});

describe('imageIdentity', () => {
  it('is class folder + file stem (last extension removed)', () => {
    expect(imageIdentity('n01440764', 'n01440764_tench.JPEG')).toBe('n01440764/n01440764_tench');
    expect(imageIdentity('n01440764', 'a.b.png')).toBe('n01440764/a.b');
    expect(imageIdentity('n01440764', 'noext')).toBe('n01440764/noext');
    // a clean JPEG and a PNG copy of the corrupted version tie together
    expect(imageIdentity('c', 'x.JPEG')).toBe(imageIdentity('c', 'x.png'));
  });
});

function walk(dir: string, rel: string, out: FileRef[]) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name), `${rel}/${e.name}`, out);
    else out.push({ path: `${rel}/${e.name}`, size: 1 });
  }
  return out;
}

describeFixtures('discovery on the real fixture folders', () => {
  it('imagenet-c-mini: 19 × 5 × 50 images, flat, complete, 50 classes', () => {
    const ds = discoverCorrupted(walk(fixture('imagenet-c-mini'), 'imagenet-c-mini', []));
    expect(ds.images).toHaveLength(4750);
    expect(ds.layout).toBe('flat');
    expect(ds.missingCorruptions).toEqual([]);
    expect(ds.missingSeverities).toEqual([]);
    expect(ds.classFolders.size).toBe(50);
    expect(ds.ignored).toEqual([]);
  });

  it('imagenet-val-sample: 487 clean images in 487 classes', () => {
    const ds = discoverClean(walk(fixture('imagenet-val-sample'), 'imagenet-val-sample', []));
    expect(ds.images).toHaveLength(487);
    expect(ds.classFolders.size).toBe(487);
    expect(ds.ignored).toEqual([]);
  });
});

describe('ImageNet-C-bar and 3DCC folders', () => {
  it('are read in the ImageNet-C layout; what is missing is named within their own benchmark only', () => {
    const ds = discoverCorrupted([
      { path: 'ImageNet-3DCC/near_focus/1/n01440764/a.JPEG' },
      { path: 'ImageNet-3DCC/h265_crf/5/n01440764/a.JPEG' },
      { path: 'imagenet-c-bar/cocentric_sine_waves/2/n01440764/a.JPEG' },
    ]);
    expect(ds.images.map((i) => `${i.corruption}/${i.severity}`)).toEqual(['h265_crf/5', 'near_focus/1', 'cocentric_sine_waves/2']);
    expect(ds.ignored).toEqual([]);
    expect(ds.missingCorruptions).toHaveLength(10 - 1 + 12 - 2);
    expect(ds.missingCorruptions).toContain('sparkles');
    expect(ds.missingCorruptions).toContain('fog_3d');
    expect(ds.missingCorruptions).not.toContain('fog'); // ImageNet-C's are not asked for
    expect(ds.missingSeverities.filter((m) => m.corruption === 'near_focus').map((m) => m.severity)).toEqual([2, 3, 4, 5]);
  });
});
