/**
 * Where a run's images come from. A directory handle (showDirectoryPicker, or a dropped folder's handle) is read
 * lazily: picking reads only the folder structure down to the corruption × severity folders; a cell's file names
 * are listed when the pipeline reaches it, and a File is opened (`getFile()`) only for the batch being decoded.
 * A file list (webkitdirectory, the older drop API, a generated set) is already in memory and indexed by cell.
 */
import { corruptionRank, isCorruptionName, isGroupName } from '../core/corruption-catalog';
import { coverage, discoverClean, discoverCorrupted, isImageFileName, type IgnoredFile } from '../core/dataset-discovery';
import type { CellSpec } from '../core/image-index';
import type { PickedFile } from './picked-files';
import { digest64 } from '../core/hash';
import { yieldIfBusy } from './main-thread';

export type DatasetRole = 'corrupted' | 'clean';

/** The structure of a dataset, known right after picking (no file is opened, no cell listed). */
export interface DatasetScan {
  readonly cells: CellSpec[];
  readonly layout: 'flat' | 'grouped' | 'mixed' | 'empty';
  /** Corruption → severities present, ascending. */
  readonly found: Map<string, number[]>;
  readonly missingSeverities: { corruption: string; severity: number }[];
  readonly missingCorruptions: string[];
  /** Known for file lists; null for a directory handle (counted as cells are listed). */
  readonly fileCount: number | null;
}

/** Ignored files: a count and the first few, so a folder of a million stray files costs no memory. */
export class IgnoredFiles {
  count = 0;
  readonly examples: IgnoredFile[] = [];
  constructor(private readonly keep = 200) {}
  add(path: string, reason: string): void {
    this.count++;
    if (this.examples.length < this.keep) this.examples.push({ path, reason });
  }
}

export interface ClassListing {
  readonly folder: string;
  readonly files: string[];
}

export interface DatasetSource {
  /** The picked folder's name (the first segment of every path). */
  readonly name: string;
  /** A directory handle that IndexedDB can keep for resuming after a reload (File System Access API only). */
  readonly handle?: FileSystemDirectoryHandle;
  readonly lazy: boolean;
  scan(role: DatasetRole, ignored: IgnoredFiles): Promise<DatasetScan>;
  /** The class folders of one cell and their image file names (junk goes to `ignored`). */
  listCell(cell: CellSpec, ignored: IgnoredFiles): Promise<ClassListing[]>;
  /** Opens one image. */
  file(cell: CellSpec, classFolder: string, fileName: string): Promise<File>;
}

function summarise(cells: CellSpec[], groupedCells: number, fileCount: number | null): DatasetScan {
  const found = new Map<string, Set<number>>();
  for (const c of cells) {
    if (c.corruption === null) continue;
    let s = found.get(c.corruption);
    if (!s) found.set(c.corruption, (s = new Set()));
    s.add(c.severity as number);
  }
  const cover = coverage(found);
  const corruptedCells = cells.filter((c) => c.corruption !== null).length;
  const layout = corruptedCells === 0 ? 'empty' : groupedCells === corruptedCells ? 'grouped' : groupedCells ? 'mixed' : 'flat';
  return {
    cells,
    layout,
    found: cover.found,
    missingSeverities: cover.missingSeverities,
    missingCorruptions: found.size ? cover.missingCorruptions : [],
    fileCount,
  };
}

type DirHandle = FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> };

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A dataset behind a File System Access directory handle, read lazily. */
export class HandleSource implements DatasetSource {
  readonly lazy = true;
  readonly name: string;
  /** Directory handles by path, for opening files; the class folders of the cells in flight. */
  private readonly dirs = new Map<string, FileSystemDirectoryHandle>();

  constructor(readonly handle: FileSystemDirectoryHandle) {
    this.name = handle.name;
    this.dirs.set(this.name, handle);
  }

  private async *children(dir: FileSystemDirectoryHandle): AsyncGenerator<FileSystemHandle> {
    for await (const h of (dir as DirHandle).values()) {
      yield h;
      await yieldIfBusy();
    }
  }

  private scans = new Map<DatasetRole, { scan: DatasetScan; ignored: IgnoredFiles }>();

  /** The structure, read once per role (picking shows it; the run reuses it). */
  async scan(role: DatasetRole, ignored: IgnoredFiles): Promise<DatasetScan> {
    let known = this.scans.get(role);
    if (!known) {
      const own = new IgnoredFiles();
      known = { scan: await this.readStructure(role, own), ignored: own };
      this.scans.set(role, known);
    }
    ignored.count += known.ignored.count - known.ignored.examples.length;
    for (const e of known.ignored.examples) ignored.add(e.path, e.reason);
    return known.scan;
  }

  private async readStructure(role: DatasetRole, ignored: IgnoredFiles): Promise<DatasetScan> {
    const cells: CellSpec[] = [];
    let grouped = 0;
    if (role === 'clean') {
      // Class folders hold images; `val/<class>/…` or any single wrapper folder is looked through.
      const walk = async (dir: FileSystemDirectoryHandle, path: string, depth: number): Promise<void> => {
        const subdirs: [string, FileSystemDirectoryHandle][] = [];
        for await (const h of this.children(dir)) {
          if (h.kind === 'directory') {
            if (!h.name.startsWith('.') && h.name !== '__MACOSX') subdirs.push([h.name, h as FileSystemDirectoryHandle]);
          } else if (!h.name.startsWith('.')) ignored.add(`${path}/${h.name}`, isImageFileName(h.name) ? 'not inside a <class>/ folder' : 'not an image file');
        }
        if (!subdirs.length) return;
        // Are the folders below class folders? Look into the first one.
        subdirs.sort((a, b) => byCodeUnits(a[0], b[0]));
        let firstHasImages = false;
        for await (const h of this.children(subdirs[0][1])) {
          if (h.kind === 'file' && isImageFileName(h.name)) {
            firstHasImages = true;
            break;
          }
        }
        if (firstHasImages || depth >= 2) {
          this.dirs.set(path, dir);
          cells.push({ corruption: null, severity: null, dir: path });
          return;
        }
        for (const [n, d] of subdirs) await walk(d, `${path}/${n}`, depth + 1);
      };
      await walk(this.handle, this.name, 0);
      return summarise(cells, 0, null);
    }
    const walk = async (dir: FileSystemDirectoryHandle, path: string, depth: number, parentName: string): Promise<void> => {
      for await (const h of this.children(dir)) {
        const p = `${path}/${h.name}`;
        if (h.kind !== 'directory') {
          if (!h.name.startsWith('.')) ignored.add(p, isImageFileName(h.name) ? 'not inside <corruption>/<severity>/<class>/' : 'not an image file');
          continue;
        }
        if (isCorruptionName(h.name)) {
          for await (const s of this.children(h as FileSystemDirectoryHandle)) {
            const sp = `${p}/${s.name}`;
            if (s.kind === 'directory' && /^[1-5]$/.test(s.name)) {
              this.dirs.set(sp, s as FileSystemDirectoryHandle);
              cells.push({ corruption: h.name, severity: Number(s.name), dir: sp });
              if (isGroupName(parentName)) grouped++;
            } else if (s.kind === 'directory') ignored.add(`${sp}/`, `severity folder "${s.name}" is not 1–5`);
            else if (!s.name.startsWith('.')) ignored.add(sp, 'not inside <corruption>/<severity>/<class>/');
          }
        } else if (depth < 3 && !h.name.startsWith('.') && h.name !== '__MACOSX') {
          await walk(h as FileSystemDirectoryHandle, p, depth + 1, h.name);
        } else ignored.add(`${p}/`, `unknown corruption folder "${h.name}"`);
      }
    };
    await walk(this.handle, this.name, 0, '');
    cells.sort(cellOrder);
    return summarise(cells, grouped, null);
  }

  async listCell(cell: CellSpec, ignored: IgnoredFiles): Promise<ClassListing[]> {
    const dir = await this.dir(cell.dir);
    const out: ClassListing[] = [];
    for await (const h of this.children(dir)) {
      const p = `${cell.dir}/${h.name}`;
      if (h.kind !== 'directory') {
        if (!h.name.startsWith('.')) ignored.add(p, cell.corruption === null ? 'not inside a <class>/ folder' : 'not inside <corruption>/<severity>/<class>/');
        continue;
      }
      if (h.name.startsWith('.') || h.name === '__MACOSX') continue;
      this.dirs.set(p, h as FileSystemDirectoryHandle);
      const files: string[] = [];
      for await (const f of this.children(h as FileSystemDirectoryHandle)) {
        if (f.kind !== 'file') ignored.add(`${p}/${f.name}/`, 'a folder inside a class folder');
        else if (isImageFileName(f.name)) files.push(f.name);
        else ignored.add(`${p}/${f.name}`, f.name.startsWith('.') ? 'hidden or system file' : 'not an image file');
      }
      out.push({ folder: h.name, files });
    }
    return out;
  }

  private async dir(path: string): Promise<FileSystemDirectoryHandle> {
    const known = this.dirs.get(path);
    if (known) return known;
    const cut = path.lastIndexOf('/');
    const parent = await this.dir(path.slice(0, cut));
    const d = await parent.getDirectoryHandle(path.slice(cut + 1));
    this.dirs.set(path, d);
    return d;
  }

  async file(cell: CellSpec, classFolder: string, fileName: string): Promise<File> {
    const dir = await this.dir(`${cell.dir}/${classFolder}`);
    return (await dir.getFileHandle(fileName)).getFile();
  }

  /** Lets go of a finished cell's class folder handles. */
  release(cell: CellSpec): void {
    const prefix = `${cell.dir}/`;
    for (const k of [...this.dirs.keys()]) if (k.startsWith(prefix)) this.dirs.delete(k);
  }
}

/** Cells in catalogue order (corruption, then severity), clean last. */
export function cellOrder(a: CellSpec, b: CellSpec): number {
  const rank = (c: CellSpec) => (c.corruption === null ? 1e6 : corruptionRank(c.corruption) * 10 + (c.severity ?? 0));
  return rank(a) - rank(b) || byCodeUnits(a.dir, b.dir);
}

/** A dataset whose Files are already in memory (webkitdirectory, a dropped folder, a generated set). */
export class FileListSource implements DatasetSource {
  readonly lazy = false;
  readonly name: string;
  private readonly byCell = new Map<string, Map<string, Map<string, File>>>();
  private scanned: { role: DatasetRole; scan: DatasetScan } | null = null;

  constructor(
    private readonly files: readonly PickedFile[],
    name?: string,
  ) {
    this.name = name ?? files[0]?.path.split('/')[0] ?? '';
  }

  get size(): number {
    return this.files.length;
  }

  get picked(): readonly PickedFile[] {
    return this.files;
  }

  async scan(role: DatasetRole, ignored: IgnoredFiles): Promise<DatasetScan> {
    if (this.scanned?.role === role) return this.scanned.scan;
    const byPath = new Map<string, File>();
    const refs = [];
    for (let i = 0; i < this.files.length; i++) {
      refs.push({ path: this.files[i].path });
      byPath.set(this.files[i].path, this.files[i].file);
      if ((i & 1023) === 1023) await yieldIfBusy();
    }
    const cells = new Map<string, CellSpec>();
    let grouped = 0;
    const add = (dir: string, corruption: string | null, severity: number | null, cls: string, fileName: string, path: string) => {
      let cell = this.byCell.get(dir);
      if (!cell) {
        this.byCell.set(dir, (cell = new Map()));
        cells.set(dir, { corruption, severity, dir });
        const parts = dir.split('/');
        if (corruption !== null && parts.length >= 3 && isGroupName(parts[parts.length - 3])) grouped++;
      }
      let c = cell.get(cls);
      if (!c) cell.set(cls, (c = new Map()));
      c.set(fileName, byPath.get(path)!);
    };
    if (role === 'clean') {
      const d = discoverClean(refs);
      for (const im of d.images) add(im.path.split('/').slice(0, -2).join('/'), null, null, im.classFolder, im.fileName, im.path);
      for (const i of d.ignored) ignored.add(i.path, i.reason);
    } else {
      const d = discoverCorrupted(refs);
      for (const im of d.images) add(im.path.split('/').slice(0, -2).join('/'), im.corruption, im.severity, im.classFolder, im.fileName, im.path);
      for (const i of d.ignored) ignored.add(i.path, i.reason);
    }
    const scan = summarise([...cells.values()].sort(cellOrder), grouped, this.files.length);
    this.scanned = { role, scan };
    return scan;
  }

  async listCell(cell: CellSpec): Promise<ClassListing[]> {
    const c = this.byCell.get(cell.dir);
    if (!c) return [];
    return [...c].map(([folder, files]) => ({ folder, files: [...files.keys()] }));
  }

  async file(cell: CellSpec, classFolder: string, fileName: string): Promise<File> {
    const f = this.byCell.get(cell.dir)?.get(classFolder)?.get(fileName);
    if (!f) throw new Error(`${cell.dir}/${classFolder}/${fileName} is no longer in the picked files`);
    return f;
  }
}

/**
 * Several picked folders as one dataset: browsers without showDirectoryPicker hold every picked File in memory,
 * so ImageNet-C is added one corruption folder at a time.
 */
export class CombinedSource implements DatasetSource {
  readonly lazy: boolean;
  readonly name: string;
  private owner = new Map<string, DatasetSource>();

  constructor(readonly parts: readonly DatasetSource[]) {
    this.lazy = parts.some((p) => p.lazy);
    this.name = parts.map((p) => p.name).join('+');
  }

  async scan(role: DatasetRole, ignored: IgnoredFiles): Promise<DatasetScan> {
    const cells: CellSpec[] = [];
    let files = 0;
    let grouped = 0;
    // A fresh map each scan: the picker scans once for its summary and the run scans again (a map kept from the first
    // scan made the second see every folder as "picked twice" and find no images).
    const owner = new Map<string, DatasetSource>();
    for (const p of this.parts) {
      const s = await p.scan(role, ignored);
      for (const c of s.cells) {
        if (owner.has(c.dir)) continue; // the same folder picked twice
        owner.set(c.dir, p);
        cells.push(c);
      }
      if (s.layout === 'grouped') grouped += s.cells.length;
      files = s.fileCount === null || files === null ? (null as unknown as number) : files + s.fileCount;
    }
    this.owner = owner;
    return summarise(cells.sort(cellOrder), grouped, files);
  }

  listCell(cell: CellSpec, ignored: IgnoredFiles): Promise<ClassListing[]> {
    return this.owner.get(cell.dir)!.listCell(cell, ignored);
  }

  file(cell: CellSpec, classFolder: string, fileName: string): Promise<File> {
    return this.owner.get(cell.dir)!.file(cell, classFolder, fileName);
  }
}

/** Every image of a (small) dataset as picked files, opened now: for generating a corrupted set from clean images. */
export async function allFiles(source: DatasetSource, role: DatasetRole): Promise<PickedFile[]> {
  if (source instanceof FileListSource) return [...source.picked];
  const ignored = new IgnoredFiles();
  const out: PickedFile[] = [];
  for (const cell of (await source.scan(role, ignored)).cells) {
    for (const c of await source.listCell(cell, ignored)) {
      for (const f of c.files) out.push({ path: `${cell.dir}/${c.folder}/${f}`, file: await source.file(cell, c.folder, f) });
    }
  }
  return out;
}

/**
 * What identifies a picked dataset for its run record: its name, its corruption × severity folders and the class
 * folders and file names of its first folder (listed anyway), as a 64-bit digest. Two folders with the
 * same name but other contents are two runs; a re-pick of the same folder is the same run. (Individual files are
 * matched by path, size and date: the reuse rule of the evaluation session.)
 */
export function datasetDigest(name: string, scan: DatasetScan, firstCell: readonly ClassListing[]): string {
  const parts: string[] = [name, ...scan.cells.map((c) => c.dir), String(scan.fileCount)];
  for (const c of [...firstCell].sort((a, b) => byCodeUnits(a.folder, b.folder))) parts.push(c.folder, ...[...c.files].sort(byCodeUnits));
  return digest64(parts.join('\n'));
}
