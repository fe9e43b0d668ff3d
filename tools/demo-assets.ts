/**
 * Builds `public/demo/` — the embedded offline demo (issue 14) — from `../shared/fixtures/`:
 *   - the MobileNetV2-int8 model (ONNX Model Zoo, Apache-2.0) and a model card for it,
 *   - the class index (labels/imagenet_class_index.json),
 *   - the official frost textures, already rescaled 1.1× (corruption-reference/textures, Apache-2.0),
 *   - the 50 DEV-C clean originals (imagenet-val-sample/<wnid>/<file>, the classes of splits.json `devc`),
 *   - manifest.json: every file with its sha256, the base seed, and the reference numbers the demo must reproduce
 *     (from reference/mobilenetv2-12-int8-summary.json: every cell's error count, the clean error of the 50
 *     originals, mCE and relative mCE) — the app's self-check compares its result with these.
 *
 * Run: `npx tsx tools/demo-assets.ts [--check]`. `--check` writes nothing and exits 1 if public/demo differs from
 * what would be written (test/tools/demo-assets.test.ts runs the same comparison).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeMetrics, type CorruptionCounts } from '../src/core/metrics';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = process.env.SHIFTLENS_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures');
export const DEMO_DIR = join(ROOT, 'public', 'demo');
const MODEL = 'mobilenetv2-12-int8';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Path in public/demo → bytes. */
export function demoFiles(fixtures = FIXTURES): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const read = (...p: string[]) => readFileSync(join(fixtures, ...p));
  out.set(`${MODEL}.onnx`, read('models', `${MODEL}.onnx`));
  out.set('imagenet_class_index.json', read('labels', 'imagenet_class_index.json'));
  const card = {
    name: 'MobileNetV2 int8 (ONNX Model Zoo) — demo',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    inputSize: 224,
    resizeTo: 256,
    interpolation: 'bilinear',
    logitsOutput: 'output',
    source: 'ONNX Model Zoo mobilenetv2-12-int8.onnx (Apache-2.0); preprocessing from its model fact sheet',
  };
  out.set(`${MODEL}.card.json`, Buffer.from(`${JSON.stringify(card, null, 1)}\n`));
  const textures = readdirSync(join(fixtures, 'corruption-reference', 'textures')).filter((f) => /^frost\d_rescaled_rgb\.png$/.test(f)).sort();
  for (const t of textures) out.set(`frost/${t}`, read('corruption-reference', 'textures', t));
  const splits = JSON.parse(read('splits.json').toString('utf8'));
  const classes: { wnid: string; file: string }[] = splits.devc.classes;
  for (const c of classes) out.set(`clean/${c.wnid}/${c.file}`, read('imagenet-val-sample', c.wnid, c.file));

  const summary = JSON.parse(read('reference', `${MODEL}-summary.json`).toString('utf8'));
  const cells: Record<string, Record<string, { n: number; errors: number }>> = {};
  for (const [corruption, bySeverity] of Object.entries<any>(summary['imagenet-c-mini'])) {
    cells[corruption] = {};
    for (const s of ['1', '2', '3', '4', '5']) cells[corruption][s] = { n: bySeverity[s].n, errors: bySeverity[s].top1_errors };
  }
  const cleanKey = Object.keys(summary.clean).find((k) => k.includes('DEV-C'));
  if (!cleanKey) throw new Error('the reference summary has no DEV-C clean entry');
  const files = [...out.keys()].sort();
  const quickClasses = classes.filter((_, i) => i % QUICK_EVERY === 0);
  const quick = {
    clean: quickClasses.map((c) => `clean/${c.wnid}/${c.file}`),
    reference: quickReference(read('reference', `${MODEL}-predictions.jsonl`).toString('utf8'), classes, quickClasses, cells, summary.clean[cleanKey]),
  };
  const manifest = {
    schema: 'shiftlens.demo/v1',
    baseSeed: 1234,
    model: { file: `${MODEL}.onnx`, card: `${MODEL}.card.json`, sha256: sha256(out.get(`${MODEL}.onnx`)!) },
    labels: 'imagenet_class_index.json',
    frost: textures.map((t) => `frost/${t}`),
    clean: classes.map((c) => `clean/${c.wnid}/${c.file}`),
    reference: {
      source: `../shared/fixtures/reference/${MODEL}-summary.json (onnxruntime-node on Pillow-decoded imagenet-c-mini, the same images this demo generates)`,
      mCE: summary.mCE * 100,
      relativeMCE: summary.relative_mCE * 100,
      meanError19: summary.mean_top1_error_19 * 100,
      clean: { n: summary.clean[cleanKey].n, errors: summary.clean[cleanKey].top1_errors },
      cells,
    },
    quick,
    files: Object.fromEntries(files.map((f) => [f, { bytes: out.get(f)!.length, sha256: sha256(out.get(f)!) }])),
  };
  out.set('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
  return out;
}

/** The quick demo takes every QUICK_EVERY-th of the 50 DEV-C classes (10 images, 950 corrupted). */
export const QUICK_EVERY = 5;

/**
 * The quick demo's reference: each cell's and the clean error counts of its images, counted from the fixture's
 * per-image predictions (onnxruntime-node, `<model>-predictions.jsonl`), and mCE / relative mCE from those counts.
 * The same count over all 50 images must give the summary's numbers (else the two reference files disagree).
 */
function quickReference(
  jsonl: string,
  allClasses: { wnid: string; file: string }[],
  quickClasses: { wnid: string; file: string }[],
  fullCells: Record<string, Record<string, { n: number; errors: number }>>,
  fullClean: { n: number; top1_errors: number },
) {
  const wrong = new Map<string, boolean>();
  for (const line of jsonl.split('\n')) {
    if (!line.trim()) continue;
    const p = JSON.parse(line) as { path: string; label: number; top5: number[] };
    wrong.set(p.path, p.top5[0] !== p.label);
  }
  const count = (paths: string[]) => {
    const missing = paths.filter((p) => !wrong.has(p));
    if (missing.length) throw new Error(`the reference predictions lack ${missing.slice(0, 3).join(', ')}`);
    return { n: paths.length, errors: paths.filter((p) => wrong.get(p)).length };
  };
  const cells: Record<string, Record<string, { n: number; errors: number }>> = {};
  for (const [corruption, bySeverity] of Object.entries(fullCells)) {
    cells[corruption] = {};
    for (const s of Object.keys(bySeverity)) {
      const all = [...wrong.keys()].filter((p) => p.startsWith(`imagenet-c-mini/${corruption}/${s}/`));
      const full = count(all);
      if (full.n !== bySeverity[s].n || full.errors !== bySeverity[s].errors) throw new Error(`${corruption} ${s}: the per-image predictions count ${full.errors}/${full.n}, the summary ${bySeverity[s].errors}/${bySeverity[s].n}`);
      cells[corruption][s] = count(quickClasses.map((c) => `imagenet-c-mini/${corruption}/${s}/${c.wnid}/${c.file}`));
    }
  }
  const clean = count(quickClasses.map((c) => `imagenet-val-sample/${c.wnid}/${c.file}`));
  const counts: CorruptionCounts = {};
  for (const [c, byS] of Object.entries(cells)) counts[c] = Object.fromEntries(Object.entries(byS).map(([s, v]) => [Number(s), v]));
  const m = computeMetrics(counts, clean.errors / clean.n);
  const all50 = count(allClasses.map((c) => `imagenet-val-sample/${c.wnid}/${c.file}`));
  if (all50.n !== fullClean.n || all50.errors !== fullClean.top1_errors) throw new Error(`clean: the per-image predictions count ${all50.errors}/${all50.n}, the summary ${fullClean.top1_errors}/${fullClean.n}`);
  return {
    source: `../shared/fixtures/reference/${MODEL}-predictions.jsonl (the same onnxruntime-node predictions as the full demo's summary), counted for these ${quickClasses.length} images`,
    mCE: m.mCE! * 100,
    relativeMCE: m.relativeMCE! * 100,
    meanError19: m.meanError19! * 100,
    clean,
    cells,
  };
}

/** Files of public/demo that differ from (or are missing against) what demoFiles() makes; README.md is hand-written. */
export function demoDifferences(fixtures = FIXTURES, dir = DEMO_DIR): string[] {
  const want = demoFiles(fixtures);
  const problems: string[] = [];
  for (const [p, b] of want) {
    const f = join(dir, p);
    if (!existsSync(f)) problems.push(`missing ${p}`);
    else if (sha256(readFileSync(f)) !== sha256(b)) problems.push(`differs ${p}`);
  }
  const walk = (d: string, pre = ''): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name), `${pre}${e.name}/`) : [`${pre}${e.name}`]));
  if (existsSync(dir)) for (const p of walk(dir)) if (!want.has(p) && p !== 'README.md') problems.push(`extra ${p}`);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const d = demoDifferences();
    console.log(d.length ? d.join('\n') : 'public/demo is up to date');
    process.exit(d.length ? 1 : 0);
  }
  for (const e of existsSync(DEMO_DIR) ? readdirSync(DEMO_DIR) : []) if (e !== 'README.md') rmSync(join(DEMO_DIR, e), { recursive: true });
  let total = 0;
  for (const [p, b] of demoFiles()) {
    mkdirSync(dirname(join(DEMO_DIR, p)), { recursive: true });
    writeFileSync(join(DEMO_DIR, p), b);
    total += b.length;
  }
  console.log(`wrote public/demo: ${(total / 1e6).toFixed(1)} MB`);
}
