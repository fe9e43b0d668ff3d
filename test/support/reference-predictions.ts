import { readFileSync } from 'node:fs';
import type { ImagePrediction } from '../../src/core/aggregate';
import { buildResult, type ResultDocument, type ResultMeta } from '../../src/core/result-document';
import { aggregate } from '../../src/core/aggregate';
import { fixture } from './fixtures';

/** A fixture reference predictions file (`reference/<model>-predictions.jsonl`) as the app's predictions. */
export function referenceImagePredictions(model: string): ImagePrediction[] {
  const lines = readFileSync(fixture('reference', `${model}-predictions.jsonl`), 'utf8').split('\n').filter(Boolean);
  return lines.map((l) => {
    const r = JSON.parse(l) as { path: string; label: number; top5: number[]; logits_top5: number[] };
    const parts = r.path.split('/');
    const mini = parts[0] === 'imagenet-c-mini';
    const cls = parts[parts.length - 2];
    const stem = parts[parts.length - 1].replace(/\.[^.]+$/, '');
    return {
      path: r.path,
      corruption: mini ? parts[1] : null,
      severity: mini ? Number(parts[2]) : null,
      label: r.label,
      identity: `${cls}/${stem}`,
      top: r.top5,
      topLogits: r.logits_top5,
    };
  });
}

export const REFERENCE_SHA256: Record<string, string> = {
  'mobilenetv2-12-int8': 'a'.repeat(64),
  'squeezenet1.1-caffe2-fp32': 'b'.repeat(64),
};

export function referenceMeta(model: string, over: Partial<ResultMeta> = {}): ResultMeta {
  return {
    appVersion: '0.1.0',
    createdAt: '2025-01-02T03:04:05.000Z',
    model: { name: model, file: `${model}.onnx`, bytes: 1000, sha256: REFERENCE_SHA256[model], inputName: 'input', logitsOutput: 'output', card: {} },
    backend: 'wasm',
    labels: { source: 'imagenet_class_index.json', count: 1000 },
    dataset: { name: 'imagenet-c-mini', layout: 'flat', images: 4750, ignoredFiles: 0 },
    preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: 224, cleanResize: 256, decoder: 'test' },
    cleanDatasetName: 'imagenet-val-sample',
    counts: { inferred: 0, fromCache: 0 },
    ...over,
  };
}

/** The result document the app would export for (a subset of) a model's reference predictions, with outcomes. */
export function referenceResult(model: string, keep: (p: ImagePrediction) => boolean = () => true, over: Partial<ResultMeta> = {}): ResultDocument {
  const preds = referenceImagePredictions(model).filter(keep);
  return buildResult(aggregate(preds), referenceMeta(model, over), preds);
}
