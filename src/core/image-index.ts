/**
 * The images of a run, held as a few bytes each: ImageNet-C has 4.75 M files, so the page keeps indices into
 * interned string tables and typed arrays, never an object per image. Cells (one corruption × severity folder,
 * or the clean folder) are appended as the pipeline lists them; within a cell images are sorted by path.
 *
 * Per image: class folder id (2 bytes), file name id (4), outcome state (1), top-1 class (2) = 9 bytes.
 *
 * Shift datasets (ImageNet-R, -A, -V2, -Sketch, …) are cells too (`spec.shift`): their class folders get ids of their
 * own per kind (so their identities, `<kind>:<class>/<stem>`, never meet a clean or corrupted image's), their labels
 * come from their kind (V2: the folder name is the class index), the top-1 kept is the SCORED one (for R and A the
 * argmax over their 200 classes), and one more byte per shift image records the 1000-way and top-5 outcomes.
 */
import { SEVERITIES, corruptionRank } from './corruption-catalog';
import type { CellCounts, CorruptionCounts } from './metrics';
import { ALL_CELL_IDS, CORRECT, OutcomesError, WRONG, encodeCell, predictionCellId, type ImageOutcomes } from './outcomes';
import { SHIFT_KINDS, emptyShiftCounts, isMaskedKind, shiftLabel, subsetIndices, type ShiftCounts, type ShiftKind } from './shift-datasets';
import { fmix32, seededHash32 } from './hash';

/** A folder of images: one corruption × severity, or the clean images (corruption and severity null). */
export interface CellSpec {
  readonly corruption: string | null;
  readonly severity: number | null;
  /** Path of the folder that holds the class folders, from (and including) the picked folder's name. */
  readonly dir: string;
  /** A shift dataset's cell (corruption and severity null): its kind decides labels and scoring. */
  readonly shift?: ShiftKind;
}

/** A cell of clean ImageNet images (not a corruption, not a shift dataset). */
export function isCleanCell(spec: CellSpec): boolean {
  return spec.corruption === null && !spec.shift;
}

/** Bits of a shift image's extra outcome byte. */
const SHIFT_KNOWN = 1;
const SHIFT_WRONG_1000 = 2;
const SHIFT_WRONG_5 = 4;

export interface IndexedCell {
  readonly spec: CellSpec;
  /** First image index of the cell. */
  readonly start: number;
  readonly count: number;
}

/** Outcome states per image. */
export const PENDING = 0;
export const STATE_CORRECT = 1;
export const STATE_WRONG = 2;
export const STATE_UNREADABLE = 3;

/**
 * A growable typed array (doubling), so appending a cell never copies per-image objects. Plain data (no function
 * fields), so an ImageIndex survives structured cloning (see ImageIndex.revive).
 */
class Grow<T extends Uint8Array | Uint16Array | Uint32Array | Int16Array> {
  length = 0;
  constructor(public data: T) {}
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    let cap = Math.max(1024, this.data.length); // a transferred copy may be cut to length 0
    while (cap < this.length + n) cap *= 2;
    const next = new (this.data.constructor as new (n: number) => T)(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Long loops over the index pause every 2^16 images (a few milliseconds of work). */
const STEP_MASK = 0xffff;

export function drain<T>(g: Generator<void, T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** Runs a stepped computation, yielding to the page between steps, so no task runs long at 4.75 M images. */
export async function drainYielding<T>(g: Generator<void, T>, pause: () => Promise<void>): Promise<T> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    await pause();
  }
}

export class ImageIndex {
  readonly classes: string[] = [];
  private readonly classIds = new Map<string, number>();
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  readonly cells: IndexedCell[] = [];
  private readonly cls = new Grow(new Uint16Array(1024));
  private readonly name = new Grow(new Uint32Array(1024));
  private readonly state = new Grow(new Uint8Array(1024));
  private readonly top = new Grow(new Int16Array(1024));
  /** Why an image could not be read, by image index (few). */
  readonly unreadable = new Map<number, string>();
  /** Class folder id → class index in the label list (−1: not in it). */
  private labelOf: Int32Array = new Int32Array(0);

  constructor(private readonly labelIndex: ReadonlyMap<string, number>) {}

  /**
   * A copy to post to a worker, with the per-image arrays cut to their length in fresh buffers, listed to be
   * transferred: a structured clone copies them on the sending thread (at 4.75 M images, hundreds of ms of the page's
   * time). The other side calls revive.
   */
  forTransfer(): { index: ImageIndex; buffers: ArrayBuffer[] } {
    const copy = Object.assign({}, this) as unknown as Record<string, unknown>;
    const buffers: ArrayBuffer[] = [];
    for (const key of ['cls', 'name', 'state', 'top', 'nameHashes'] as const) {
      const g = this[key] as Grow<Uint8Array>;
      const data = g.data.slice(0, g.length);
      buffers.push(data.buffer);
      copy[key] = { data, length: g.length };
    }
    return { index: copy as unknown as ImageIndex, buffers };
  }

  /**
   * The index again after a structured clone (postMessage to a worker: the per-image export), which keeps every
   * field (typed arrays, Maps, strings) but not the classes' prototypes.
   */
  static revive(cloned: ImageIndex): ImageIndex {
    const o = Object.setPrototypeOf(cloned, ImageIndex.prototype) as ImageIndex;
    for (const g of [o.cls, o.name, o.state, o.top, o.nameHashes]) Object.setPrototypeOf(g, Grow.prototype);
    return o;
  }

  get size(): number {
    return this.cls.length;
  }

  /** Kind of each class id ('' for ImageNet / ImageNet-C class folders). */
  private readonly classKind: string[] = [];

  private classId(folder: string, shift?: ShiftKind): number {
    const key = shift ? `${shift}\u0000${folder}` : folder;
    let id = this.classIds.get(key);
    if (id === undefined) {
      id = this.classes.length;
      if (id > 0xffff) throw new RangeError('more than 65,536 class folders');
      this.classes.push(folder);
      this.classKind.push(shift ?? '');
      this.classIds.set(key, id);
      const l = new Int32Array(id + 1);
      l.set(this.labelOf);
      l[id] = this.labelFor(folder, shift);
      this.labelOf = l;
    }
    return id;
  }

  /** The class index of a class folder of a cell (a shift kind's own rule; −1: not in the label list). */
  labelFor(folder: string, shift?: ShiftKind): number {
    return shift ? shiftLabel(shift, folder, this.labelIndex, this.labelIndex.size) : (this.labelIndex.get(folder) ?? -1);
  }

  /** Extra outcome byte of each shift image, by cell index (SHIFT_KNOWN | SHIFT_WRONG_1000 | SHIFT_WRONG_5). */
  private readonly shiftFlags = new Map<number, Uint8Array>();

  private nameId(file: string): number {
    let id = this.nameIds.get(file);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(file);
      this.nameIds.set(file, id);
      // Its digest hashes now (cellDigest), spread over the steps that intern names.
      this.nameHashes.reserve(2);
      this.nameHashes.data[2 * id] = seededHash32(file, 0x9e3779b9);
      this.nameHashes.data[2 * id + 1] = seededHash32(file, 0x85ebca77);
      this.nameHashes.length += 2;
    }
    return id;
  }

  private readonly subsets = new Map<ShiftKind, Int32Array | null>();
  /** The classes (ascending indices) a cell's top-1 is taken over when not all: ImageNet-R's or -A's 200. */
  subsetFor(spec: CellSpec): Int32Array | undefined {
    const kind = spec.shift;
    if (!kind || !isMaskedKind(kind)) return undefined;
    if (!this.subsets.has(kind)) this.subsets.set(kind, subsetIndices(kind, this.labelIndex));
    return this.subsets.get(kind) ?? undefined;
  }

  /** Whether a class folder is in the label list. */
  hasLabel(classFolder: string): boolean {
    return this.labelIndex.has(classFolder);
  }

  /**
   * Appends one cell. `classes` lists the class folders with their image file names; folders not in the label
   * list must be left out by the caller (they are reported, not evaluated). Returns the cell's index.
   */
  addCell(spec: CellSpec, classes: readonly { folder: string; files: readonly string[] }[]): number {
    return drain(this.addCellSteps(spec, classes));
  }

  /**
   * addCell in steps of about 8,192 images, for a caller that yields to the page between them (a 50,000-image cell
   * is tens of milliseconds of sorting and interning). The cell and its images appear only at the last step.
   */
  *addCellSteps(spec: CellSpec, classes: readonly { folder: string; files: readonly string[] }[]): Generator<void, number> {
    const sorted = [...classes].sort((a, b) => byCodeUnits(a.folder, b.folder));
    if (spec.shift) this.shiftFlags.set(this.cells.length, new Uint8Array(classes.reduce((s, c) => s + c.files.length, 0)));
    let n = 0;
    for (const c of sorted) n += c.files.length;
    for (const g of [this.cls, this.name, this.state, this.top] as Grow<Uint8Array>[]) g.reserve(n);
    const start = this.size;
    let i = start;
    let stepFrom = i;
    for (const c of sorted) {
      const cid = this.classId(c.folder, spec.shift);
      for (const f of [...c.files].sort(byCodeUnits)) {
        this.cls.data[i] = cid;
        this.name.data[i] = this.nameId(f);
        this.state.data[i] = PENDING;
        this.top.data[i] = -1;
        i++;
      }
      if (i - stepFrom >= 8192) {
        stepFrom = i;
        yield;
      }
    }
    for (const g of [this.cls, this.name, this.state, this.top] as Grow<Uint8Array>[]) g.length = i;
    this.cells.push({ spec, start, count: n });
    return this.cells.length - 1;
  }

  /**
   * The image `<classFolder>/<fileName>` of cell k, or −1: a look at `hint` first (the image after the one found
   * before, for a caller reading a cell's records in key order, which is the cell's order for ImageNet's names), else
   * a binary search over the cell's (class folder, file name) order.
   */
  findInCell(k: number, classFolder: string, fileName: string, hint = -1): number {
    const { start, count } = this.cells[k];
    const cmp = (i: number) => byCodeUnits(this.classes[this.cls.data[i]], classFolder) || byCodeUnits(this.names[this.name.data[i]], fileName);
    if (hint >= start && hint < start + count && cmp(hint) === 0) return hint;
    let lo = start;
    let hi = start + count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = cmp(mid);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Room for `n` more images without growing (a re-allocation and copy of every array) while cells are added. */
  reserveImages(n: number): void {
    for (const g of [this.cls, this.name, this.state, this.top] as Grow<Uint8Array>[]) g.reserve(n);
  }

  cellIndexOf(i: number): number {
    let lo = 0;
    let hi = this.cells.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cells[mid].start <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  classFolder(i: number): string {
    return this.classes[this.cls.data[i]];
  }

  fileName(i: number): string {
    return this.names[this.name.data[i]];
  }

  /** Path within the cell's folder: `<class>/<file>`. */
  relative(i: number): string {
    return `${this.classFolder(i)}/${this.fileName(i)}`;
  }

  path(i: number, cell = this.cells[this.cellIndexOf(i)]): string {
    return `${cell.spec.dir}/${this.relative(i)}`;
  }

  label(i: number): number {
    return this.labelOf[this.cls.data[i]];
  }

  /** Class folder + file stem: the same for an image in every corruption cell and for its clean original. */
  identity(i: number): string {
    const kind = this.classKind[this.cls.data[i]];
    return `${kind ? `${kind}:` : ''}${this.classFolder(i)}/${this.fileName(i).replace(/\.[^.]+$/, '')}`;
  }

  stateOf(i: number): number {
    return this.state.data[i];
  }

  top1(i: number): number {
    return this.top.data[i];
  }

  /**
   * A shift image's outcomes beside its scored top-1 (set by setPrediction): the 1000-way top-1 and the top-5 (both
   * from the five highest classes of all). Ignored for other images.
   */
  setShiftOutcomes(i: number, top5: readonly number[]): void {
    const k = this.cellIndexOf(i);
    const flags = this.shiftFlags.get(k);
    if (!flags) return;
    const label = this.label(i);
    flags[i - this.cells[k].start] = SHIFT_KNOWN | (top5[0] !== label ? SHIFT_WRONG_1000 : 0) | (top5.slice(0, 5).includes(label) ? 0 : SHIFT_WRONG_5);
  }

  /** Records an image's outcome (from inference or the cache); for a shift image of R or A, the masked top-1. */
  setPrediction(i: number, top1: number): void {
    this.top.data[i] = top1;
    this.state.data[i] = top1 === this.label(i) ? STATE_CORRECT : STATE_WRONG;
    this.unreadable.delete(i);
  }

  setUnreadable(i: number, reason: string): void {
    this.state.data[i] = STATE_UNREADABLE;
    this.top.data[i] = -1;
    this.unreadable.set(i, reason);
  }

  /** Images with an outcome (readable or not). */
  countDone(): number {
    let n = 0;
    const s = this.state.data;
    for (let i = 0; i < this.size; i++) if (s[i] !== PENDING) n++;
    return n;
  }

  /** Per corruption × severity and clean counts of readable images with an outcome. */
  counts(): { corruptions: CorruptionCounts; clean: CellCounts | null; shifts?: Partial<Record<ShiftKind, ShiftCounts>> } {
    const corruptions: CorruptionCounts = {};
    let clean: CellCounts | null = null;
    const s = this.state.data;
    const shifts = this.shiftCounts();
    for (const cell of this.cells) {
      if (cell.spec.shift) continue;
      let n = 0;
      let errors = 0;
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        if (s[i] === STATE_CORRECT) n++;
        else if (s[i] === STATE_WRONG) {
          n++;
          errors++;
        }
      }
      if (n === 0) continue;
      const { corruption, severity } = cell.spec;
      let target: CellCounts;
      if (corruption === null) target = clean ??= { n: 0, errors: 0 };
      else target = (corruptions[corruption] ??= {})[severity as number] ??= { n: 0, errors: 0 };
      target.n += n;
      target.errors += errors;
    }
    return { corruptions, clean, ...(shifts ? { shifts } : {}) };
  }

  /**
   * Counts of the shift cells, by kind: n and errors from the scored outcome; errors1000 (R, A) or errors5 from the
   * extra byte, left out when an image's extra outcomes are unknown (restored without them).
   */
  private shiftCounts(): Partial<Record<ShiftKind, ShiftCounts>> | null {
    const out: Partial<Record<ShiftKind, ShiftCounts>> = {};
    const unknown = new Set<ShiftKind>();
    const s = this.state.data;
    this.cells.forEach((cell, k) => {
      const kind = cell.spec.shift;
      if (!kind) return;
      const flags = this.shiftFlags.get(k)!;
      const c = (out[kind] ??= emptyShiftCounts(kind));
      for (let d = 0; d < cell.count; d++) {
        const st = s[cell.start + d];
        if (st !== STATE_CORRECT && st !== STATE_WRONG) continue;
        c.n++;
        if (st === STATE_WRONG) c.errors++;
        const f = flags[d];
        if (!(f & SHIFT_KNOWN)) unknown.add(kind);
        else if (isMaskedKind(kind)) c.errors1000! += f & SHIFT_WRONG_1000 ? 1 : 0;
        else c.errors5! += f & SHIFT_WRONG_5 ? 1 : 0;
      }
    });
    for (const kind of SHIFT_KINDS) {
      const c = out[kind];
      if (!c) continue;
      if (!c.n) delete out[kind];
      else if (unknown.has(kind)) {
        delete c.errors1000;
        delete c.errors5;
      }
    }
    return Object.keys(out).length ? out : null;
  }

  /** The clean images whose identity also appears, with an outcome, in a corruption cell. */
  cleanMatched(): CellCounts | null {
    return drain(this.cleanMatchedSteps());
  }

  /** cleanMatched() in steps of about STEP images, for a caller that yields to the page between them. */
  *cleanMatchedSteps(): Generator<void, CellCounts | null> {
    const corruptedIds = new Set<number>();
    const cleanCells = this.cells.filter((c) => isCleanCell(c.spec));
    if (!cleanCells.length) return null;
    const key = (i: number) => this.cls.data[i] * 0x100000000 + this.stemId(i);
    const s = this.state.data;
    for (const cell of this.cells) {
      if (cell.spec.corruption === null) continue;
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        if (s[i] === STATE_CORRECT || s[i] === STATE_WRONG) corruptedIds.add(key(i));
        if ((i & STEP_MASK) === STEP_MASK) yield;
      }
    }
    let out: CellCounts | null = null;
    for (const cell of cleanCells) {
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        if ((s[i] !== STATE_CORRECT && s[i] !== STATE_WRONG) || !corruptedIds.has(key(i))) continue;
        out ??= { n: 0, errors: 0 };
        out.n++;
        if (s[i] === STATE_WRONG) out.errors++;
      }
    }
    return out;
  }

  private stems: Int32Array = new Int32Array(0);
  private readonly stemIds = new Map<string, number>();
  /** File names with one stem share an id (x.JPEG and x.png are one image). */
  private stemId(i: number): number {
    const nid = this.name.data[i];
    if (this.stems.length < this.names.length) {
      const next = new Int32Array(this.names.length);
      next.set(this.stems);
      for (let k = this.stems.length; k < this.names.length; k++) {
        const stem = this.names[k].replace(/\.[^.]+$/, '');
        let id = this.stemIds.get(stem);
        if (id === undefined) this.stemIds.set(stem, (id = this.stemIds.size));
        next[k] = id;
      }
      this.stems = next;
    }
    return this.stems[nid];
  }

  /** Two 32-bit hashes per interned class folder (made when first needed: few) and file name (made when interned). */
  private classHashes = new Uint32Array(0);
  private readonly nameHashes = new Grow(new Uint32Array(1024));

  /**
   * A 64-bit digest (16 hex digits) of one cell's images in index order: class folder, file name and label of
   * each. Equal digests: the same images, in the same order, scored against the same labels.
   */
  cellDigest(k: number): string {
    const cell = this.cells[k];
    if (this.classHashes.length < 2 * this.classes.length) {
      const next = new Uint32Array(2 * this.classes.length);
      next.set(this.classHashes);
      for (let c = this.classHashes.length / 2; c < this.classes.length; c++) {
        next[2 * c] = seededHash32(this.classes[c], 0x9e3779b9);
        next[2 * c + 1] = seededHash32(this.classes[c], 0x85ebca77);
      }
      this.classHashes = next;
    }
    const ch = this.classHashes;
    const nh = this.nameHashes.data;
    let a = fmix32(0x9e3779b9 ^ cell.count);
    let b = fmix32(0x85ebca77 ^ cell.count);
    for (let i = cell.start; i < cell.start + cell.count; i++) {
      const c = this.cls.data[i];
      const n = this.name.data[i];
      const l = this.labelOf[c] + 1;
      a = fmix32(fmix32(fmix32(a ^ ch[2 * c]) ^ nh[2 * n]) ^ l);
      b = fmix32(fmix32(fmix32(b ^ ch[2 * c + 1]) ^ nh[2 * n + 1]) ^ l);
    }
    return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
  }

  /** One cell's outcomes (copies), for its cache summary. */
  cellOutcomes(k: number): { state: Uint8Array; top: Int16Array; unreadable: [number, string][] } {
    const { start, count } = this.cells[k];
    const unreadable: [number, string][] = [];
    for (const [i, reason] of this.unreadable) if (i >= start && i < start + count) unreadable.push([i - start, reason]);
    return { state: this.state.data.slice(start, start + count), top: this.top.data.slice(start, start + count), unreadable };
  }

  /**
   * Sets one cell's outcomes from its cache summary (made by cellOutcomes for the same cellDigest); pending images
   * stay pending. Returns how many readable images got an outcome.
   */
  applyCellOutcomes(k: number, o: { state: Uint8Array; top: Int16Array; unreadable: readonly [number, string][] }): number {
    const { start, count } = this.cells[k];
    if (o.state.length !== count || o.top.length !== count) throw new RangeError(`cell ${k}: ${o.state.length} outcomes for ${count} images`);
    const reasons = new Map(o.unreadable);
    let readable = 0;
    for (let d = 0; d < count; d++) {
      const st = o.state[d];
      if (st === STATE_CORRECT || st === STATE_WRONG) {
        this.setPrediction(start + d, o.top[d]);
        readable++;
      } else if (st === STATE_UNREADABLE) this.setUnreadable(start + d, reasons.get(d) ?? 'unreadable');
    }
    return readable;
  }

  /** Unreadable images by path, sorted. */
  unreadableList(): { path: string; reason: string }[] {
    return [...this.unreadable].map(([i, reason]) => ({ path: this.path(i), reason })).sort((a, b) => byCodeUnits(a.path, b.path));
  }

  /**
   * Per-image top-1 outcomes for the result JSON (the format of outcomes.ts): sorted identities, 2 bits per
   * identity per cell. Throws OutcomesError when one corruption × severity holds two images of one identity.
   */
  outcomes(): ImageOutcomes {
    return drain(this.outcomesSteps());
  }

  /** outcomes() in steps of about STEP images, for a caller that yields to the page between them. */
  *outcomesSteps(): Generator<void, ImageOutcomes> {
    const s = this.state.data;
    // identity (class id, stem id) → key index, over readable images only
    const ids = new Map<number, number>();
    const idList: number[] = [];
    const idKey = (i: number) => this.cls.data[i] * 0x100000000 + this.stemId(i);
    for (let i = 0; i < this.size; i++) {
      if (s[i] !== STATE_CORRECT && s[i] !== STATE_WRONG) continue;
      const k = idKey(i);
      if (!ids.has(k)) {
        ids.set(k, idList.length);
        idList.push(i);
      }
      if ((i & STEP_MASK) === STEP_MASK) yield;
    }
    const strings = idList.map((i) => this.identity(i));
    const order = strings.map((_, j) => j).sort((a, b) => byCodeUnits(strings[a], strings[b]));
    const rank = new Int32Array(order.length);
    order.forEach((j, r) => (rank[j] = r));
    const keys = order.map((j) => strings[j]);
    const byCell = new Map<string, Uint8Array>();
    for (const cell of this.cells) {
      const id = predictionCellId(cell.spec);
      let states = byCell.get(id);
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        if (s[i] !== STATE_CORRECT && s[i] !== STATE_WRONG) continue;
        states ??= new Uint8Array(keys.length);
        const r = rank[ids.get(idKey(i))!];
        if (states[r] !== 0) throw new OutcomesError(`two images with the identity "${keys[r]}" in ${id}`);
        states[r] = s[i] === STATE_WRONG ? WRONG : CORRECT;
        if ((i & STEP_MASK) === STEP_MASK) yield;
      }
      if (states) byCell.set(id, states);
    }
    const cells: Record<string, string> = {};
    for (const id of ALL_CELL_IDS) {
      const states = byCell.get(id);
      if (!states) continue;
      cells[id] = encodeCell(states);
      yield; // one cell of 50,000 images a step (95 of them at full size)
    }
    return { keys, cells };
  }

  /** Cells in catalogue order, for display. */
  static catalogueOrder(a: CellSpec, b: CellSpec): number {
    const rank = (c: CellSpec) =>
      c.shift ? 2e6 + SHIFT_KINDS.indexOf(c.shift) : c.corruption === null ? 1e6 : corruptionRank(c.corruption) * 10 + SEVERITIES.indexOf(c.severity as 1);
    return rank(a) - rank(b) || byCodeUnits(a.dir, b.dir);
  }
}
