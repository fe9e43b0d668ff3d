import { ALL_CORRUPTIONS, SEVERITIES, isCorruptionName, isGroupName } from './corruption-catalog';

/** One picked file, by its path relative to (and usually including) the picked folder. */
export interface FileRef {
  readonly path: string;
  readonly size?: number;
}

export interface CorruptedImage {
  readonly path: string;
  readonly corruption: string;
  readonly severity: number;
  readonly classFolder: string;
  readonly fileName: string;
}

export interface CleanImage {
  readonly path: string;
  readonly classFolder: string;
  readonly fileName: string;
}

export interface IgnoredFile {
  readonly path: string;
  readonly reason: string;
}

export interface CorruptedDataset {
  readonly images: CorruptedImage[];
  readonly ignored: IgnoredFile[];
  /** Corruption name → severities found, ascending. */
  readonly found: Map<string, number[]>;
  /** Severities 1–5 missing for a corruption that is present. */
  readonly missingSeverities: { corruption: string; severity: number }[];
  /** Corruptions with no images at all, of the benchmarks (ImageNet-C, -C-bar, 3DCC) that have some. */
  readonly missingCorruptions: string[];
  readonly classFolders: Set<string>;
  readonly layout: 'flat' | 'grouped' | 'mixed' | 'empty';
}

export interface CleanDataset {
  readonly images: CleanImage[];
  readonly ignored: IgnoredFile[];
  readonly classFolders: Set<string>;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp)$/i;

export function isImageFileName(name: string): boolean {
  return IMAGE_EXT.test(name) && !name.startsWith('.');
}

function splitPath(path: string): string[] {
  return path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
}

function junkReason(parts: string[]): string | null {
  const name = parts[parts.length - 1] ?? '';
  if (name.startsWith('.') || parts.some((p) => p === '__MACOSX')) return 'hidden or system file';
  if (!IMAGE_EXT.test(name)) return 'not an image file';
  return null;
}

/** The files worth looking at, split into path parts; junk goes to `ignored` with its reason. */
function* candidates(files: Iterable<FileRef>, ignored: IgnoredFile[]): Generator<{ path: string; parts: string[] }> {
  for (const f of files) {
    const parts = splitPath(f.path);
    const junk = junkReason(parts);
    if (junk) ignored.push({ path: f.path, reason: junk });
    else yield { path: f.path, parts };
  }
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Finds `<corruption>/<severity>/<class>/<file>` at the end of each path, whatever folders stand before it
 * (the picked folder's own name, a `<group>/` level, …). Junk is reported, never fatal.
 */
export function discoverCorrupted(files: Iterable<FileRef>): CorruptedDataset {
  const images: CorruptedImage[] = [];
  const ignored: IgnoredFile[] = [];
  const found = new Map<string, Set<number>>();
  const classFolders = new Set<string>();
  let flat = 0;
  let grouped = 0;
  for (const f of candidates(files, ignored)) {
    const { parts } = f;
    const n = parts.length;
    if (n < 4) {
      ignored.push({ path: f.path, reason: 'not inside <corruption>/<severity>/<class>/' });
      continue;
    }
    const [corruption, sev, classFolder, fileName] = parts.slice(n - 4);
    if (!isCorruptionName(corruption)) {
      const hint = /^\d+$/.test(sev) ? `unknown corruption folder "${corruption}"` : 'not inside <corruption>/<severity>/<class>/';
      ignored.push({ path: f.path, reason: hint });
      continue;
    }
    const severity = Number(sev);
    if (!/^[1-5]$/.test(sev) || !(SEVERITIES as readonly number[]).includes(severity)) {
      ignored.push({ path: f.path, reason: `severity folder "${sev}" is not 1–5` });
      continue;
    }
    if (n >= 5 && isGroupName(parts[n - 5])) grouped++;
    else flat++;
    images.push({ path: f.path, corruption, severity, classFolder, fileName });
    classFolders.add(classFolder);
    let s = found.get(corruption);
    if (!s) found.set(corruption, (s = new Set()));
    s.add(severity);
  }
  const { found: foundSorted, missingSeverities, missingCorruptions } = coverage(found);
  const layout = images.length === 0 ? 'empty' : grouped && flat ? 'mixed' : grouped ? 'grouped' : 'flat';
  images.sort(byPath);
  return { images, ignored, found: foundSorted, missingSeverities, missingCorruptions, classFolders, layout };
}

/** What was found of the catalogue: severities per corruption (catalogue order, ascending), what is missing. */
export function coverage(found: ReadonlyMap<string, ReadonlySet<number>>): {
  found: Map<string, number[]>;
  missingSeverities: { corruption: string; severity: number }[];
  missingCorruptions: string[];
} {
  const missingSeverities: { corruption: string; severity: number }[] = [];
  const sorted = new Map<string, number[]>();
  const benchmarks = new Set<string>();
  for (const c of ALL_CORRUPTIONS) {
    const s = found.get(c.name);
    if (!s) continue;
    benchmarks.add(c.benchmark);
    sorted.set(c.name, [...s].sort((a, b) => a - b));
    for (const sev of SEVERITIES) if (!s.has(sev)) missingSeverities.push({ corruption: c.name, severity: sev });
  }
  // Nothing found: ImageNet-C's 19 are what is missing. Otherwise only the benchmarks that are there.
  if (!benchmarks.size) benchmarks.add('imagenet-c');
  const missingCorruptions = ALL_CORRUPTIONS.filter((c) => benchmarks.has(c.benchmark) && !found.has(c.name)).map((c) => c.name);
  return { found: sorted, missingSeverities, missingCorruptions };
}

/** Finds `<class>/<file>` at the end of each path (`val/<class>/<file>` and any other prefix included). */
export function discoverClean(files: Iterable<FileRef>): CleanDataset {
  const images: CleanImage[] = [];
  const ignored: IgnoredFile[] = [];
  const classFolders = new Set<string>();
  for (const f of candidates(files, ignored)) {
    const { parts } = f;
    const n = parts.length;
    if (n < 2) {
      ignored.push({ path: f.path, reason: 'not inside a <class>/ folder' });
      continue;
    }
    if (n >= 4 && isCorruptionName(parts[n - 4]) && /^[1-5]$/.test(parts[n - 3])) {
      ignored.push({ path: f.path, reason: 'this is an ImageNet-C path, not a clean image' });
      continue;
    }
    const classFolder = parts[n - 2];
    const fileName = parts[n - 1];
    images.push({ path: f.path, classFolder, fileName });
    classFolders.add(classFolder);
  }
  images.sort(byPath);
  return { images, ignored, classFolders };
}

/** The identity that ties a corrupted image to its clean original: class folder + file stem. */
export function imageIdentity(classFolder: string, fileName: string): string {
  return `${classFolder}/${fileName.replace(/\.[^.]+$/, '')}`;
}
