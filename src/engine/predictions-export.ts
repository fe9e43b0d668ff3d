/**
 * The per-image export (JSON lines) of a finished run, from its ImageIndex and its cached records. Used where the run
 * lives (CompletedRun.predictionsJsonl: Node, the tests, the page's fallback) and in workers/export.worker.ts, which
 * gets the same data as an ExportSnapshot: at 4.75 M images the export allocates hundreds of MB of short-lived
 * strings and records, and its major garbage collections (0.7–1 s each) then pause a worker, not the page.
 */
import { folderPrefix, type CachedPrediction } from '../core/cache-keys';
import { STATE_CORRECT, STATE_UNREADABLE, STATE_WRONG, type CellSpec, type ImageIndex } from '../core/image-index';
import { predictionLine } from '../core/result-document';
import type { SHIFT_KINDS } from '../core/shift-datasets';
import { adaptationId, isAdapted, type Adaptation } from '../core/tta/adaptation';
import { LineEncoder, SinkError, fileSink, memorySink, type ByteSink } from './jsonl-sink';
import { yieldIfBusy } from './main-thread';
import type { ShiftCachedPrediction } from './shift-run';

/** The OPFS file the per-image export is written to (replaced by the next export; removed by Clear all). */
export const PREDICTIONS_EXPORT_FILE = 'shiftlens-predictions-export.jsonl';

/** What the export needs of a run, as plain data (structured-cloneable; the index is revived on the other side). */
export interface ExportSnapshot {
  index: ImageIndex;
  evaluationId: number;
  /** The run's own setting ('none' for the source model). */
  adaptation: Adaptation;
  /** A side-by-side run's adapted setting, whose predictions travel on the same lines. */
  other: { adaptation: Adaptation; evaluationId: number } | null;
}

/** An ExportSnapshot with the ways to read the cache. */
export interface ExportSource extends ExportSnapshot {
  /** A key prefix's records in key order, a few thousand at a time. */
  chunks(prefix: string): AsyncIterable<[string[], CachedPrediction[]]>;
  /** A key prefix's records at once (a side-by-side run's adapted cell: such runs are small). */
  read(prefix: string): Promise<Map<string, CachedPrediction>>;
}

/** A shift image's fields of its per-image prediction: its kind and, for ImageNet-R / -A, the masked argmax. */
export function shiftFields(spec: CellSpec, c: ShiftCachedPrediction | undefined): { shift?: (typeof SHIFT_KINDS)[number]; maskedTop1?: number } {
  if (!spec.shift) return {};
  return { shift: spec.shift, ...(c?.r !== undefined ? { maskedTop1: c.r } : {}) };
}

/**
 * The per-image predictions as JSON lines (`path`, `label`, `top5`, `logits_top5`). An adapted run's lines name the
 * setting (`adaptation`); a side-by-side run's lines carry the adapted setting's `adapted_top5` and
 * `adapted_logits_top5` too. The full set is over 500 MB of text, beyond one JavaScript string and too much to
 * hold as Blob parts (jsonl-sink.ts): it is written to a file of the origin's private file system, chunk by chunk,
 * where that can be written (else to Blob parts), and the Blob returned reads it from there.
 */
export async function predictionsJsonlBlob(src: ExportSource, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const type = 'application/x-ndjson';
  const file = await fileSink(PREDICTIONS_EXPORT_FILE, type);
  if (file) {
    try {
      await writePredictionsJsonl(src, file, onProgress);
      return await file.close();
    } catch (e) {
      await file.abort();
      // A file that cannot be written (full storage) leaves the in-memory way; any other failure is the export's.
      if (!(e instanceof SinkError)) throw e;
    }
  }
  const memory = memorySink(type);
  await writePredictionsJsonl(src, memory, onProgress);
  return memory.close();
}

/**
 * Writes the JSON lines to `sink`, cell by cell. A cell's records are read in key order a few thousand at a time
 * (prediction-cache.ts prefixChunks, the next chunk read ahead) and each is written and dropped at once, so the
 * export holds one or two chunks, never a cell's or the run's records. Lines come in key order (the cell's own
 * order for ImageNet's names); an image with an outcome but no record (none should be) gets its line after its
 * cell's. On the page it yields whenever it has run ~12 ms.
 */
export async function writePredictionsJsonl(src: ExportSource, sink: ByteSink, onProgress?: (done: number, total: number) => void): Promise<void> {
  const out = new LineEncoder(sink);
  const ix = src.index;
  const other = src.other;
  const own = isAdapted(src.adaptation) ? { adaptation: adaptationId(src.adaptation) } : {};
  for (let k = 0; k < ix.cells.length; k++) {
    const cell = ix.cells[k];
    const otherCached = other ? await src.read(folderPrefix(other.evaluationId, cell.spec.dir)) : null;
    const line = (i: number, c: CachedPrediction | undefined): string => {
      const state = ix.stateOf(i);
      const path = ix.path(i, cell);
      const label = ix.label(i);
      if (state === STATE_UNREADABLE) return predictionLine({ path, label, top: [], topLogits: [], unreadable: ix.unreadable.get(i) ?? c?.u ?? 'unreadable' });
      const o = otherCached?.get(ix.relative(i));
      const adapted = other && o && o.u === undefined ? { adaptation: adaptationId(other.adaptation), top: o.t, topLogits: o.l } : undefined;
      return predictionLine({ path, label, top: c?.t ?? [ix.top1(i)], topLogits: c?.l ?? [], ...shiftFields(cell.spec, c), ...own, ...(adapted ? { adapted } : {}) });
    };
    const hasOutcome = (i: number) => {
      const state = ix.stateOf(i);
      return state === STATE_CORRECT || state === STATE_WRONG || state === STATE_UNREADABLE;
    };
    const written = new Uint8Array(cell.count);
    let hint = cell.start;
    let n = 0;
    /**
     * Writes image i's line once. Returns a promise only when the caller must wait (the sink is busy, or every 1024
     * lines a yield): not an async function, so 4.75 M lines do not allocate 4.75 M promises.
     */
    const emit = (i: number, c: CachedPrediction | undefined): Promise<void> | undefined => {
      if (written[i - cell.start] || !hasOutcome(i)) return undefined;
      written[i - cell.start] = 1;
      const wait = out.put(line(i, c));
      if ((++n & 1023) === 0) return wait ? wait.then(() => yieldIfBusy()) : yieldIfBusy();
      return wait;
    };
    for await (const [keys, values] of src.chunks(folderPrefix(src.evaluationId, cell.spec.dir))) {
      for (let j = 0; j < keys.length; j++) {
        const rel = keys[j];
        const cut = rel.indexOf('/');
        // A record of an image this run did not list (another subset, a file since removed) is not exported.
        const i = cut > 0 ? ix.findInCell(k, rel.slice(0, cut), rel.slice(cut + 1), hint) : -1;
        if (i < 0) continue;
        hint = i + 1;
        const wait = emit(i, values[j]);
        if (wait) await wait;
      }
    }
    for (let i = cell.start; i < cell.start + cell.count; i++) {
      const wait = emit(i, undefined);
      if (wait) await wait;
    }
    otherCached?.clear();
    onProgress?.(k + 1, ix.cells.length);
  }
  await out.flush();
}
