/**
 * ms per 224² image per corruption for the TypeScript corruptions, next to the Python reference timings of
 * SPEC.md §7 (minimum of 3 calls per image and severity, mean over images × severities, as the reference).
 * Warm-up excluded, as in the reference: every (image, severity) runs once before any timing, so the timed calls
 * run JIT-compiled code (the reference's numba JIT and imports are excluded the same way).
 * Run by `npm run bench` (and alone: `npx tsx bench/corruptions.ts`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { corrupt, CORRUPTION_NAMES, isImplemented } from '../src/core/corruptions/index';
import type { Image8, Severity } from '../src/core/corruptions/types';
import { decodePngBytes } from '../test/support/png';
import { fixture } from '../test/support/fixtures';

/** SPEC.md §7: mean ms per image of imagecorruptions 1.1.2 (numba for glass_blur). */
export const PYTHON_MS: Record<string, number> = {
  gaussian_noise: 4.4, shot_noise: 10.4, impulse_noise: 3.8, defocus_blur: 5.6, glass_blur: 9.2, motion_blur: 5.7,
  zoom_blur: 100.8, snow: 9.6, frost: 11.4, fog: 2.6, brightness: 23.1, contrast: 2.0, elastic_transform: 19.3,
  pixelate: 0.4, jpeg_compression: 0.5, speckle_noise: 4.0, gaussian_blur: 4.4, spatter: 5.5, saturate: 23.0,
};

function loadPng(path: string): Image8 {
  const p = decodePngBytes(new Uint8Array(readFileSync(path)));
  return { width: p.width, height: p.height, data: p.data, channels: p.channels as 3 | 4 };
}

export function benchCorruptions(images = 4): { name: string; ms: number | null; pythonMs: number; faster: boolean | null }[] {
  const root = fixture('corruption-reference', 'clean');
  const files = readdirSync(root).sort().slice(0, images).map((w) => join(root, w, readdirSync(join(root, w))[0]));
  const clean = files.map(loadPng);
  const textures = Array.from({ length: 6 }, (_, i) => loadPng(fixture('corruption-reference', 'textures', `frost${i + 1}_rescaled_rgb.png`)));
  const rows = [];
  for (const name of CORRUPTION_NAMES) {
    if (!isImplemented(name)) {
      rows.push({ name, ms: null, pythonMs: PYTHON_MS[name], faster: null });
      continue;
    }
    const times: number[] = [];
    for (const img of clean) for (const s of [1, 2, 3, 4, 5] as Severity[]) corrupt(img, name, s, { seed: 1234 + s, frostTextures: textures }); // warm-up
    for (const img of clean) {
      for (const s of [1, 2, 3, 4, 5] as Severity[]) {
        const opts = { seed: 1234 + s, frostTextures: textures };
        let best = Infinity;
        for (let r = 0; r < 3; r++) {
          const t0 = performance.now();
          corrupt(img, name, s, opts);
          best = Math.min(best, performance.now() - t0);
        }
        times.push(best);
      }
    }
    const ms = times.reduce((a, b) => a + b, 0) / times.length;
    rows.push({ name, ms, pythonMs: PYTHON_MS[name], faster: ms < PYTHON_MS[name] });
  }
  return rows;
}

export interface CorruptionTiming {
  name: string;
  ms: number | null;
  pythonMs: number;
}

/**
 * The README's claim, checked: every corruption is faster than the Python reference. PASS per corruption when its
 * TypeScript ms per image is below SPEC.md §7's Python ms; a corruption not implemented (or not timed) is a FAIL;
 * the claim holds when all 19 pass.
 */
export function corruptionAcceptance(rows: readonly CorruptionTiming[]): { verdicts: { name: string; pass: boolean }[]; pass: boolean } {
  const verdicts = rows.map((r) => ({ name: r.name, pass: r.ms !== null && Number.isFinite(r.ms) && r.ms < r.pythonMs }));
  const named = new Set(rows.map((r) => r.name));
  const complete = Object.keys(PYTHON_MS).every((n) => named.has(n));
  return { verdicts, pass: complete && verdicts.length > 0 && verdicts.every((v) => v.pass) };
}

/** One table line: TS ms, Python ms, TS/Python, and PASS (faster than the reference) or FAIL. */
export function formatCorruptionRow(r: CorruptionTiming): string {
  const ts = r.ms === null ? '     —' : r.ms.toFixed(2).padStart(6);
  const pass = corruptionAcceptance([r]).verdicts[0].pass;
  const verdict = r.ms === null ? 'FAIL  (not implemented)' : `${pass ? 'PASS' : 'FAIL'}  ${pass ? 'faster' : 'slower'} (${(r.ms / r.pythonMs).toFixed(2)}×)`;
  return `${r.name.padEnd(18)} ${ts}  ${r.pythonMs.toFixed(1).padStart(6)}  ${verdict}`;
}

/** The table with its header and the overall verdict line, as `npm run bench` prints it. */
export function formatCorruptionTable(rows: readonly CorruptionTiming[]): string {
  const { pass } = corruptionAcceptance(rows);
  return [
    `${'corruption'.padEnd(18)} ${'TS ms'.padStart(6)}  ${'Py ms'.padStart(6)}  TS faster than Python? (TS/Python)`,
    ...rows.map(formatCorruptionRow),
    `acceptance: every corruption faster than the Python reference: ${pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

if (process.argv[1]?.endsWith('corruptions.ts')) {
  const rows = benchCorruptions();
  console.log(formatCorruptionTable(rows));
  if (!corruptionAcceptance(rows).pass) process.exitCode = 1;
}
