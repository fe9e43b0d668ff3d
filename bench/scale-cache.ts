/**
 * The prediction cache, seen from outside the app, for `npm run bench:scale`:
 *
 *  - `readCacheCounts`: every cached record of one evaluation under the picked folder, read straight out of the
 *    page's IndexedDB (`shiftlens`/`cache`, key ranges of CHUNK records, streamed to Node), and the per
 *    (corruption, severity) top-1 error counts recomputed here in Node: the prediction is the top-5 entry with the
 *    first largest logit (checked against top5[0]), scored against the stored label; unreadable images count nowhere.
 *  - `jsonlCounts`: the same counts from the exported per-image JSONL, streamed line by line.
 *  - `compareCounts`: those against the exported result JSON's `corruptions`.
 *  - `prefillCache`: writes the records of a whole stand-in tree (bench/scale-page.ts) into the page's IndexedDB in
 *    large transactions, with the keys and values the app writes. The app first infers the tree limited to its first
 *    class folder (`classLimit = 1`): that allocates the evaluation number (`e|sha256|preprocessing|output`) through
 *    the app's own code and gives the real prediction of every fixture Blob of every cell (file j of class 0 is
 *    Blob j). File j of class w is Blob (w + j) mod 50, so its record is that seed's top-5, logits, size and date
 *    with class w's label: the record the app would have written had it inferred the file.
 *
 * The page code is plain JavaScript in strings (see scale-page.ts for why).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { BenchSession } from './scale-session';

export type CellCountMap = Record<string, { n: number; errors: number; unreadable: number }>;

export interface CacheCounts {
  evaluationId: number;
  records: number;
  cells: CellCountMap;
  /** Records whose first-max argmax of the logits is not top5[0]. */
  argmaxNotFirst: number;
  /** Records whose stored label is not the class folder's index in the label list. */
  labelMismatches: number;
  seconds: number;
}

const CHUNK = 20_000;

const OPEN_DB = `new Promise((res, rej) => { const r = indexedDB.open('shiftlens'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); })`;
const REQ = `(r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); })`;

/** The evaluation number the app allocated for this model (`e|<sha256>|…`); exactly one is expected. */
export async function evaluationIdOf(sess: BenchSession, sha256: string): Promise<{ id: number; key: string }> {
  const r = await sess.eval<[string[], number[]]>(
    `(async () => {
      const db = await ${OPEN_DB}; const req = ${REQ};
      try {
        const st = db.transaction('cache', 'readonly').objectStore('cache');
        const range = IDBKeyRange.bound(${JSON.stringify(`e|${sha256}|`)}, ${JSON.stringify(`e|${sha256}|\uffff`)});
        return await Promise.all([req(st.getAllKeys(range)), req(st.getAll(range))]);
      } finally { db.close(); }
    })()`,
    60_000,
  );
  if (!r || r[0].length !== 1) throw new Error(`expected one evaluation number for model ${sha256.slice(0, 12)}…, found ${r ? r[0].length : 'no answer'}`);
  return { key: r[0][0], id: r[1][0] };
}

const firstArgmax = (l: number[]) => {
  let b = 0;
  for (let i = 1; i < l.length; i++) if (l[i] > l[b]) b = i;
  return b;
};

/** `<corruption>/<severity>` of a path below the picked folder (`<corruption>/<severity>/<wnid>/<file>`). */
const cellOf = (rel: string) => {
  const p = rel.split('/');
  return { cell: `${p[0]}/${p[1]}`, wnid: p[2] };
};

/** Reads every record of evaluation `id` under `rootName/` out of IndexedDB and recomputes the counts in Node. */
export async function readCacheCounts(sess: BenchSession, id: number, rootName: string, labelOf: ReadonlyMap<string, number>): Promise<CacheCounts> {
  const t0 = Date.now();
  const prefix = `p${id}|${rootName}/`;
  const cells: CellCountMap = {};
  let records = 0;
  let argmaxNotFirst = 0;
  let labelMismatches = 0;
  let after: string | null = null;
  for (;;) {
    type Row = [number[], number[], number, string | null];
    const r: { keys: string[]; vals: Row[] } | null = await sess.eval<{ keys: string[]; vals: Row[] }>(
      `(async () => {
        const prefix = ${JSON.stringify(prefix)}, after = ${JSON.stringify(after)};
        const db = await ${OPEN_DB}; const req = ${REQ};
        try {
          const st = db.transaction('cache', 'readonly').objectStore('cache');
          const upper = prefix + '\\uffff';
          const range = after === null ? IDBKeyRange.bound(prefix, upper) : IDBKeyRange.bound(after, upper, true);
          const [keys, vals] = await Promise.all([req(st.getAllKeys(range, ${CHUNK})), req(st.getAll(range, ${CHUNK}))]);
          return { keys, vals: vals.map((v) => [v.t, v.l, v.y, v.u === undefined ? null : v.u]) };
        } finally { db.close(); }
      })()`,
      300_000,
    );
    if (!r) throw new Error('the page did not answer a cache read');
    for (let i = 0; i < r.keys.length; i++) {
      const [t, l, y, u] = r.vals[i];
      const { cell, wnid } = cellOf(r.keys[i].slice(prefix.length));
      const c = (cells[cell] ??= { n: 0, errors: 0, unreadable: 0 });
      records++;
      if (labelOf.get(wnid) !== y) labelMismatches++;
      if (u !== null) {
        c.unreadable++;
        continue;
      }
      const k = firstArgmax(l);
      if (k !== 0) argmaxNotFirst++;
      c.n++;
      if (t[k] !== y) c.errors++;
    }
    if (r.keys.length < CHUNK) break;
    after = r.keys[r.keys.length - 1];
  }
  return { evaluationId: id, records, cells, argmaxNotFirst, labelMismatches, seconds: (Date.now() - t0) / 1000 };
}

/** The counts of an exported per-image JSONL (`path`, `label`, `top5`, `logits_top5` | `unreadable`). */
export async function jsonlCounts(file: string, rootName: string): Promise<{ lines: number; cells: CellCountMap; argmaxNotFirst: number; seconds: number }> {
  const t0 = Date.now();
  const cells: CellCountMap = {};
  let lines = 0;
  let argmaxNotFirst = 0;
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    lines++;
    const o = JSON.parse(line) as { path: string; label: number; top5?: number[]; logits_top5?: number[]; unreadable?: string };
    const { cell } = cellOf(o.path.slice(rootName.length + 1));
    const c = (cells[cell] ??= { n: 0, errors: 0, unreadable: 0 });
    if (o.unreadable !== undefined) {
      c.unreadable++;
      continue;
    }
    const k = firstArgmax(o.logits_top5!);
    if (k !== 0) argmaxNotFirst++;
    c.n++;
    if (o.top5![k] !== o.label) c.errors++;
  }
  return { lines, cells, argmaxNotFirst, seconds: (Date.now() - t0) / 1000 };
}

/** Differences between recomputed counts and a result JSON's `corruptions` (empty: equal, cell by cell). */
export function compareCounts(result: { corruptions: Record<string, { severities: Record<string, { n: number; errors: number }> }> }, cells: CellCountMap): string[] {
  const out: string[] = [];
  const fromResult = new Map<string, { n: number; errors: number }>();
  for (const [c, e] of Object.entries(result.corruptions)) for (const [s, v] of Object.entries(e.severities)) fromResult.set(`${c}/${s}`, v);
  for (const [cell, v] of Object.entries(cells)) {
    const r = fromResult.get(cell);
    if (!r) out.push(`${cell}: recomputed n=${v.n} errors=${v.errors}, not in the result`);
    else if (r.n !== v.n || r.errors !== v.errors) out.push(`${cell}: result n=${r.n} errors=${r.errors}, recomputed n=${v.n} errors=${v.errors}`);
    fromResult.delete(cell);
  }
  for (const [cell, r] of fromResult) if (r.n) out.push(`${cell}: result n=${r.n} errors=${r.errors}, nothing recomputed`);
  return out;
}

export interface PrefillConfig {
  id: number;
  rootName: string;
  cells: [string, number][];
  wnids: string[];
  /** Label index of each wnid (the app's label list). */
  labels: number[];
  perClass: number;
  /** Records per transaction. */
  batch: number;
}

export interface PrefillResult {
  records: number;
  seeds: number;
  seconds: number;
  recordsPerSec: number;
  /** Seeds whose stored size is not their Blob's (the reuse rule would then re-infer them). */
  sizeMismatches: number;
  unreadableSeeds: number;
}

/**
 * Writes the whole tree's records (the seeds of class 0 are read first and kept as they are). Runs in the page in
 * the background; Node polls `window.__scale.prefill` and logs progress.
 */
export async function prefillCache(sess: BenchSession, cfg: PrefillConfig, log: (s: string) => void): Promise<PrefillResult> {
  await sess.eval(
    `(() => {
      const C = ${JSON.stringify(cfg)};
      const S = window.__scale;
      const P = (S.prefill = { written: 0, total: C.cells.length * C.wnids.length * C.perClass, done: false, error: null, seeds: 0, sizeMismatches: 0, unreadableSeeds: 0, startedAt: performance.now(), seconds: null });
      const req = ${REQ};
      const txDone = (tx) => new Promise((res, rej) => { tx.oncomplete = () => res(); tx.onerror = () => rej(tx.error); tx.onabort = () => rej(tx.error || new Error('transaction aborted')); });
      const stem = (w, j) => 'ILSVRC2012_val_' + String(w * C.perClass + j + 1).padStart(8, '0') + '.JPEG';
      (async () => {
        const db = await ${OPEN_DB};
        try {
          for (let ci = 0; ci < C.cells.length; ci++) {
            const [corr, sev] = C.cells[ci];
            const dir = C.rootName + '/' + corr + '/' + sev + '/';
            const sizes = await S.cellBlobSizes(ci);
            const seedPrefix = 'p' + C.id + '|' + dir + C.wnids[0] + '/';
            const st0 = db.transaction('cache', 'readonly').objectStore('cache');
            const range = IDBKeyRange.bound(seedPrefix, seedPrefix + '\\uffff');
            const [keys, vals] = await Promise.all([req(st0.getAllKeys(range)), req(st0.getAll(range))]);
            const seed = new Array(sizes.length);
            keys.forEach((k, i) => {
              const m = /_(\\d{8})\\.JPEG$/.exec(k);
              seed[Number(m[1]) - 1] = vals[i];
            });
            for (let b = 0; b < sizes.length; b++) {
              if (!seed[b]) throw new Error('no seed record for ' + dir + C.wnids[0] + '/' + stem(0, b));
              if (seed[b].s !== sizes[b]) P.sizeMismatches++;
              if (seed[b].u !== undefined) P.unreadableSeeds++;
              P.seeds++;
            }
            let w = 1, j = 0;
            while (w < C.wnids.length) {
              const tx = db.transaction('cache', 'readwrite');
              const st = tx.objectStore('cache');
              let n = 0;
              for (; w < C.wnids.length && n < C.batch; n++) {
                const v = seed[(w + j) % sizes.length];
                const val = v.u !== undefined ? { t: [], l: [], y: C.labels[w], u: v.u, s: v.s, m: v.m } : { t: v.t, l: v.l, y: C.labels[w], s: v.s, m: v.m };
                st.put(val, 'p' + C.id + '|' + dir + C.wnids[w] + '/' + stem(w, j));
                if (++j === C.perClass) { j = 0; w++; }
              }
              await txDone(tx);
              P.written += n;
              await new Promise((r) => setTimeout(r, 0));
            }
            P.written += C.perClass; // the seeds themselves
          }
          P.seconds = (performance.now() - P.startedAt) / 1000;
          P.done = true;
        } catch (e) {
          P.error = String(e && e.stack || e);
        } finally { db.close(); }
      })();
      return true;
    })()`,
  );
  let lastLog = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const p = await sess.eval<{ written: number; total: number; done: boolean; error: string | null; seeds: number; sizeMismatches: number; unreadableSeeds: number; seconds: number | null; startedAt: number }>('window.__scale.prefill', 60_000);
    if (!p) continue;
    if (p.error) throw new Error(`pre-fill failed: ${p.error}`);
    if (Date.now() - lastLog > 30_000 || p.done) {
      lastLog = Date.now();
      log(`pre-fill: ${p.written.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} records`);
    }
    if (p.done) return { records: p.written, seeds: p.seeds, seconds: p.seconds!, recordsPerSec: p.written / p.seconds!, sizeMismatches: p.sizeMismatches, unreadableSeeds: p.unreadableSeeds };
  }
}
