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
    files: Object.fromEntries(files.map((f) => [f, { bytes: out.get(f)!.length, sha256: sha256(out.get(f)!) }])),
  };
  out.set('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
  return out;
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
