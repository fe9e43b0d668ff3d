import { describe, expect, it } from 'vitest';
import { datasetPrefix, evaluationPrefix, predictionKey, preprocessingId, runKey, type EvaluationKey } from '../../src/core/cache-keys';

const card = { mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const, inputSize: 224, resizeTo: 256 };
const ev: EvaluationKey = { modelSha256: 'a'.repeat(64), preprocessing: preprocessingId(card), logitsOutput: 'logits' };
const file = { path: 'mini/fog/3/n01440764/x.JPEG', size: 1234, lastModified: 1700000000000 };

describe('cache keys', () => {
  it('a prediction key changes with anything that changes the prediction', () => {
    const k = predictionKey(ev, file);
    expect(predictionKey(ev, { ...file, size: 1235 })).not.toBe(k);
    expect(predictionKey(ev, { ...file, lastModified: 1 })).not.toBe(k);
    expect(predictionKey(ev, { ...file, path: 'mini/fog/4/n01440764/x.JPEG' })).not.toBe(k);
    expect(predictionKey({ ...ev, modelSha256: 'b'.repeat(64) }, file)).not.toBe(k);
    expect(predictionKey({ ...ev, logitsOutput: 'output' }, file)).not.toBe(k);
    expect(predictionKey({ ...ev, preprocessing: preprocessingId({ ...card, mean: [0.5, 0.5, 0.5] }) }, file)).not.toBe(k);
    expect(predictionKey({ ...ev, preprocessing: preprocessingId({ ...card, resizeTo: 232 }) }, file)).not.toBe(k);
    expect(predictionKey(ev, { ...file })).toBe(k);
  });

  it('preprocessing ids ignore float noise but not real differences', () => {
    expect(preprocessingId({ ...card, mean: [0.485 + 1e-12, 0.456, 0.406] })).toBe(preprocessingId(card));
    expect(preprocessingId({ ...card, std: [0.229, 0.224, 0.226] })).not.toBe(preprocessingId(card));
  });

  it('the resize filter: bicubic is another preprocessing, an explicit bilinear is the old key', () => {
    expect(preprocessingId({ ...card, interpolation: 'bicubic' })).not.toBe(preprocessingId(card));
    expect(preprocessingId({ ...card, interpolation: 'bilinear' })).toBe(preprocessingId(card));
  });

  it('prefixes select exactly one model and one folder', () => {
    const k = predictionKey(ev, file);
    expect(k.startsWith(evaluationPrefix(ev))).toBe(true);
    expect(k.startsWith(datasetPrefix(ev, 'mini'))).toBe(true);
    // A folder whose name merely starts the same is another folder.
    expect(predictionKey(ev, { ...file, path: 'mini2/fog/3/n01440764/x.JPEG' }).startsWith(datasetPrefix(ev, 'mini'))).toBe(false);
    expect(runKey(ev, ['mini', 'val'])).not.toBe(runKey(ev, ['mini']));
    expect(runKey(ev, ['mini']).startsWith('p|')).toBe(false);
  });
});
