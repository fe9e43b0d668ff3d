/**
 * The bench's model: a valid ONNX "classifier" that costs next to nothing to run, so that decoding (and the app's
 * bookkeeping), not inference, bounds the speed of `npm run bench:scale`.
 *
 *   input [N,3,224,224] float32 → GlobalAveragePool → Flatten → Gemm (3 → 1000, fixed weights) → logits [N,1000]
 */
import { buildOnnx } from '../test/support/tiny-onnx';

export const SCALE_MODEL_CLASSES = 1000;
export const SCALE_MODEL_INPUT = 224;

export function scaleModelBytes(): Uint8Array {
  const k = SCALE_MODEL_CLASSES;
  // Fixed, distinct weights: the top-5 differs between images, so the predictions are not all one class.
  const w = new Float32Array(3 * k);
  for (let c = 0; c < 3; c++) for (let j = 0; j < k; j++) w[c * k + j] = Math.sin(0.37 * j + 1.3 * c) * (1 + (j % 7) / 7);
  const b = new Float32Array(k);
  for (let j = 0; j < k; j++) b[j] = Math.cos(0.11 * j) * 0.01;
  return buildOnnx({
    inputs: [{ name: 'input', dims: ['N', 3, SCALE_MODEL_INPUT, SCALE_MODEL_INPUT] }],
    outputs: [{ name: 'logits', dims: ['N', k] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], intAttrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'W', 'b'], outputs: ['logits'], floatAttrs: { alpha: 1, beta: 1 }, intAttrs: { transA: 0, transB: 0 } },
    ],
    initializers: [
      { name: 'W', dims: [3, k], values: w },
      { name: 'b', dims: [k], values: b },
    ],
    graphName: 'scale-bench-tiny',
    producer: 'shiftlens-bench-scale',
  });
}
