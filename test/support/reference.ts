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
