import { readFileSync } from 'node:fs';
import { fixture } from './fixtures';

export interface ReferencePrediction {
  path: string;
  label: number;
  top5: number[];
  logits_top5: number[];
}

export const MODELS = {
  mobilenet: { file: 'mobilenetv2-12-int8.onnx', reference: 'mobilenetv2-12-int8' },
  squeezenet: { file: 'squeezenet1.1-caffe2.fp32.gradcam.onnx', reference: 'squeezenet1.1-caffe2-fp32' },
} as const;

export function loadReferencePredictions(name: string): Map<string, ReferencePrediction> {
  const lines = readFileSync(fixture('reference', `${name}-predictions.jsonl`), 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((l) => {
    const p = JSON.parse(l) as ReferencePrediction;
    return [p.path, p];
  }));
}

export function loadReferenceSummary(name: string): any {
  return JSON.parse(readFileSync(fixture('reference', `${name}-summary.json`), 'utf8'));
}

/**
 * The reference's n and top-1 errors per ImageNet-C cell ("fog/3") over exactly the images of `paths` (fixture-relative
 * reference keys, see app-driver's referenceKey): what a run over a subset of the fixture cells must report.
 */
export function referenceCellCounts(reference: Map<string, ReferencePrediction>, paths: string[]): Map<string, { n: number; errors: number }> {
  const out = new Map<string, { n: number; errors: number }>();
  for (const path of paths) {
    const ref = reference.get(path);
    if (!ref) throw new Error(`no reference prediction for ${path}`);
    const cell = path.split('/').slice(1, 3).join('/');
    const e = out.get(cell) ?? { n: 0, errors: 0 };
    e.n++;
    if (ref.top5[0] !== ref.label) e.errors++;
    out.set(cell, e);
  }
  return out;
}
