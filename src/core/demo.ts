/**
 * The embedded demo's manifest (public/demo/manifest.json, written by tools/demo-assets.mts) and the self-check of
 * a demo result against the reference numbers it carries. Pure: no DOM.
 */
import { CORRUPTIONS, SEVERITIES } from './corruption-catalog';
import type { ResultDocument } from './result-document';

export const DEMO_SCHEMA = 'shiftlens.demo/v1';

export interface DemoReference {
  source: string;
  /** Percent, as in the result JSON. */
  mCE: number;
  relativeMCE: number;
  meanError19: number;
  /** The 50 clean originals. */
  clean: { n: number; errors: number };
  /** corruption → severity ("1"…"5") → counts. */
  cells: Record<string, Record<string, { n: number; errors: number }>>;
}

export interface DemoManifest {
  schema: typeof DEMO_SCHEMA;
  baseSeed: number;
  model: { file: string; card: string; sha256: string };
  labels: string;
  frost: string[];
  clean: string[];
  reference: DemoReference;
  /**
   * The quick demo: a tenth of the work (every 5th original, 10 × 95 corrupted images) with its own reference,
   * counted from the same per-image reference predictions. Absent in manifests written before it existed.
   */
  quick?: { clean: string[]; reference: DemoReference };
  files: Record<string, { bytes: number; sha256: string }>;
}

/** "full": the 50 originals (4,750 corrupted images); "quick": the manifest's subset of them. */
export type DemoSize = 'full' | 'quick';

/** The originals a demo of this size corrupts, and the reference its result must equal. */
export function demoSelection(m: DemoManifest, size: DemoSize): { clean: string[]; reference: DemoReference } {
  if (size === 'quick') {
    if (!m.quick) throw new DemoManifestError('this demo has no quick version (its manifest.json predates it): run the full demo');
    return m.quick;
  }
  return { clean: m.clean, reference: m.reference };
}

export class DemoManifestError extends Error {
  override name = 'DemoManifestError';
}

const isCounts = (v: unknown): v is { n: number; errors: number } =>
  !!v && typeof v === 'object' && Number.isInteger((v as any).n) && Number.isInteger((v as any).errors);

/** Checks the shape of a manifest (a damaged or foreign file gets a clear message, not a crash later). */
export function parseDemoManifest(value: unknown): DemoManifest {
  const m = value as Partial<DemoManifest> | null;
  const bad = (why: string): never => {
    throw new DemoManifestError(`the demo's manifest.json is not usable: ${why}`);
  };
  if (!m || typeof m !== 'object') bad('not a JSON object');
  if (m!.schema !== DEMO_SCHEMA) bad(`schema ${JSON.stringify(m!.schema)} (expected ${DEMO_SCHEMA})`);
  if (!Number.isInteger(m!.baseSeed)) bad('no base seed');
  if (!m!.model || typeof m!.model.file !== 'string' || typeof m!.model.card !== 'string') bad('no model');
  if (typeof m!.labels !== 'string') bad('no labels');
  if (!Array.isArray(m!.frost) || !Array.isArray(m!.clean) || !m!.clean.length) bad('no images');
  const checkReference = (r: DemoReference | undefined, what: string) => {
    if (!r || !isCounts(r.clean) || typeof r.mCE !== 'number' || typeof r.relativeMCE !== 'number' || !r.cells) bad(`no ${what}reference numbers`);
    for (const c of CORRUPTIONS) for (const s of SEVERITIES) if (!isCounts(r!.cells[c.name]?.[String(s)])) bad(`no ${what}reference for ${c.name} ${s}`);
  };
  checkReference(m!.reference, '');
  if (m!.quick !== undefined) {
    const q = m!.quick;
    const all = new Set(m!.clean);
    if (!q || !Array.isArray(q.clean) || !q.clean.length || q.clean.some((p) => !all.has(p))) bad('the quick demo names images that are not among the originals');
    checkReference(q.reference, 'quick demo ');
  }
  return m as DemoManifest;
}

export interface DemoCheck {
  matches: boolean;
  /** Every number compared that differs, e.g. "glass_blur 3: 44 errors, reference 45". */
  differences: string[];
  compared: number;
}

/**
 * Compares a demo result with the reference: every (corruption, severity) cell's n and error count, the clean
 * originals' counts, and mCE / relative mCE (to 1e-6 of a percent: equal counts give equal numbers).
 */
export function checkDemoResult(doc: ResultDocument, ref: DemoReference): DemoCheck {
  const differences: string[] = [];
  let compared = 0;
  for (const c of CORRUPTIONS) {
    for (const s of SEVERITIES) {
      const want = ref.cells[c.name]?.[String(s)];
      const got = doc.corruptions[c.name]?.severities[String(s)];
      compared++;
      if (!want) continue;
      if (!got) differences.push(`${c.name} ${s}: missing`);
      else if (got.n !== want.n || got.errors !== want.errors) differences.push(`${c.name} ${s}: ${got.errors}/${got.n} errors, reference ${want.errors}/${want.n}`);
    }
  }
  const clean = doc.cleanMatched ?? doc.clean;
  compared++;
  if (!clean) differences.push('clean: missing');
  else if (clean.n !== ref.clean.n || clean.errors !== ref.clean.errors) differences.push(`clean: ${clean.errors}/${clean.n} errors, reference ${ref.clean.errors}/${ref.clean.n}`);
  const close = (a: number | null | undefined, b: number) => typeof a === 'number' && Math.abs(a - b) < 1e-6;
  compared += 2;
  if (!close(doc.metrics.mCE, ref.mCE)) differences.push(`mCE ${doc.metrics.mCE?.toFixed(4)} %, reference ${ref.mCE.toFixed(4)} %`);
  if (!close(doc.metrics.relativeMCE, ref.relativeMCE)) differences.push(`relative mCE ${doc.metrics.relativeMCE?.toFixed(4)} %, reference ${ref.relativeMCE.toFixed(4)} %`);
  return { matches: differences.length === 0, differences, compared };
}

/**
 * The image to open the inspector on (the paper's Fig. 2): one that the model gets right when clean and that fails
 * as the corruption grows — preferring the longest run of correct severities before the failures start, then the
 * most severities wrong, then the path (so the choice is stable). Null when the run has no such image.
 */
export function pickIllustration(
  predictions: readonly Pick<import('./aggregate').ImagePrediction, 'path' | 'identity' | 'corruption' | 'severity' | 'label' | 'top' | 'unreadable'>[],
  corruption: string,
): { path: string; corruption: string } | null {
  type P = (typeof predictions)[number];
  const byIdentity = new Map<string, { clean?: P; row: (P | undefined)[] }>();
  for (const p of predictions) {
    if (p.unreadable !== undefined) continue;
    if (p.corruption !== null && p.corruption !== corruption) continue;
    const e = byIdentity.get(p.identity) ?? { row: [] };
    if (p.corruption === null) e.clean = p;
    else if (p.severity) e.row[p.severity - 1] = p;
    byIdentity.set(p.identity, e);
  }
  const ok = (p: P | undefined) => !!p && p.top[0] === p.label;
  let best: { path: string; key: [number, number] } | null = null;
  for (const [, e] of [...byIdentity].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!ok(e.clean) || e.row.filter(Boolean).length < SEVERITIES.length) continue;
    const firstWrong = e.row.findIndex((p) => !ok(p));
    if (firstWrong < 0) continue;
    const wrong = e.row.filter((p) => !ok(p)).length;
    const key: [number, number] = [firstWrong, wrong];
    if (!best || key[0] > best.key[0] || (key[0] === best.key[0] && key[1] > best.key[1])) best = { path: e.clean!.path, key };
  }
  return best ? { path: best.path, corruption } : null;
}
