import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { poolingClassifier } from '../support/tiny-onnx';

/** The test-model builder itself, checked against onnxruntime-node (so e2e tests can trust its models). */
describe('tiny ONNX builder', () => {
  it('builds a model onnxruntime-node loads and runs with the declared shapes', async () => {
    const s = await ort.InferenceSession.create(poolingClassifier(299));
    expect(s.inputNames).toEqual(['input']);
    expect((s.inputMetadata[0] as { shape: readonly unknown[] }).shape).toEqual(['N', 3, 299, 299]);
    const x = new Float32Array(3 * 299 * 299);
    x.fill(2, 299 * 299, 2 * 299 * 299); // channel 1 = 2, others 0
    const out = await s.run({ input: new ort.Tensor('float32', x, [1, 3, 299, 299]) });
    expect(Array.from(out.logits.data as Float32Array)).toEqual([0, 2, 0]);
  });
});
