import { describe, expect, it } from 'vitest';
import { datasetPrefix, evaluationIdKey, evaluationIdPrefix, evaluationPrefix, folderPrefix, preprocessingId, runKey, shortPredictionKey, type EvaluationKey } from '../../src/core/cache-keys';

const card = { mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const, inputSize: 224, resizeTo: 256 };
const ev: EvaluationKey = { modelSha256: 'a'.repeat(64), preprocessing: preprocessingId(card), logitsOutput: 'logits' };
const file = { path: 'mini/fog/3/n01440764/x.JPEG', size: 1234, lastModified: 1700000000000 };

describe('cache keys', () => {
  it('an evaluation key changes with anything that changes the prediction', () => {
    const k = evaluationIdKey(ev);
    expect(evaluationIdKey({ ...ev, modelSha256: 'b'.repeat(64) })).not.toBe(k);
    expect(evaluationIdKey({ ...ev, logitsOutput: 'output' })).not.toBe(k);
    expect(evaluationIdKey({ ...ev, preprocessing: preprocessingId({ ...card, mean: [0.5, 0.5, 0.5] }) })).not.toBe(k);
    expect(evaluationIdKey({ ...ev, preprocessing: preprocessingId({ ...card, resizeTo: 232 }) })).not.toBe(k);
    expect(evaluationIdKey({ ...ev })).toBe(k);
  });

  it('a prediction key is short: the evaluation number and the path, not a 125-character prefix', () => {
    const k = shortPredictionKey(12, file.path);
    expect(k).toBe('p12|mini/fog/3/n01440764/x.JPEG');
    expect(k.length).toBeLessThan(file.path.length + 6);
    expect(k.startsWith(evaluationIdPrefix(12))).toBe(true);
    expect(k.startsWith(evaluationIdPrefix(1))).toBe(false); // p1| is not a prefix of p12|
    expect(k.startsWith(folderPrefix(12, 'mini/fog/3'))).toBe(true);
    expect(shortPredictionKey(12, 'mini/fog/30/n01440764/x.JPEG').startsWith(folderPrefix(12, 'mini/fog/3'))).toBe(false);
  });

  it('preprocessing ids ignore float noise but not real differences', () => {
    expect(preprocessingId({ ...card, mean: [0.485 + 1e-12, 0.456, 0.406] })).toBe(preprocessingId(card));
    expect(preprocessingId({ ...card, std: [0.229, 0.224, 0.226] })).not.toBe(preprocessingId(card));
  });

  it('the resize filter: bicubic is another preprocessing, an explicit bilinear is the old key', () => {
    expect(preprocessingId({ ...card, interpolation: 'bicubic' })).not.toBe(preprocessingId(card));
    expect(preprocessingId({ ...card, interpolation: 'bilinear' })).toBe(preprocessingId(card));
  });

  it('run keys name the folders and never look like prediction keys', () => {
    expect(runKey(ev, ['mini', 'val'])).not.toBe(runKey(ev, ['mini']));
    expect(runKey(ev, ['mini']).startsWith('p')).toBe(false);
    expect(evaluationIdKey(ev).startsWith('p')).toBe(false);
    expect(datasetPrefix(ev, 'mini').startsWith(evaluationPrefix(ev))).toBe(true);
  });
});
