import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './fixtures';

export interface AlexNetErrors {
  source: string;
  commit: string;
  corruptions: Record<string, { readmeName: string; average: number; severities: number[] }>;
}

/** test/data/alexnet-errors.json: AlexNet's per-severity ImageNet-C errors from hendrycks/robustness's README. */
export function alexNetErrors(): AlexNetErrors {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/data/alexnet-errors.json'), 'utf8'));
}

/** The mean over severities 1–5 of a corruption's AlexNet error, rounded to the README's 6 decimals. */
export function alexNetMean(name: string): number {
  const s = alexNetErrors().corruptions[name]?.severities;
  if (!s || s.length !== 5) throw new Error(`no AlexNet errors for ${name}`);
  return Number((s.reduce((a, b) => a + b, 0) / 5).toFixed(6));
}
