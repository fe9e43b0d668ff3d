import { describe, it, expect } from 'vitest';
import { ModelShapeError, resolveModelIO, type TensorInfo } from '../../src/core/model-io';
import { DEFAULT_CARD, type ModelCard } from '../../src/core/model-card';

const card = (extra: Partial<ModelCard> = {}): ModelCard => ({ ...DEFAULT_CARD, ...extra });
const f32 = (name: string, shape: TensorInfo['shape']): TensorInfo => ({ name, type: 'float32', shape });

// As in models/mobilenetv2-12-int8.gradcam.facts.json
const mobilenet = {
  inputs: [f32('input', ['batch_size', 3, 224, 224])],
  outputs: [f32('output', ['batch_size', 1000]), f32('features', ['batch_size', 1280, 7, 7])],
};
// As in models/squeezenet1.1-caffe2.fp32.gradcam.facts.json
const squeezenet = {
  inputs: [f32('input', ['batch', 3, 224, 224])],
  outputs: [f32('logits', ['batch', 1000]), f32('features', ['batch', 512, 13, 13]), f32('class_maps', ['batch', 1000, 13, 13])],
};

describe('resolveModelIO: real model shapes', () => {
  it('MobileNetV2: logits "output", features "features", dynamic batch', () => {
    expect(resolveModelIO(mobilenet.inputs, mobilenet.outputs, card())).toEqual({
      inputName: 'input',
      logitsOutput: 'output',
      numClasses: 1000,
      inputSize: 224,
      fixedBatch: null,
      featureOutput: 'features',
    });
  });

  it('SqueezeNet: logits "logits" (class_maps [b,1000,13,13] is not logits)', () => {
    const io = resolveModelIO(squeezenet.inputs, squeezenet.outputs, card());
    expect(io.logitsOutput).toBe('logits');
    expect(io.numClasses).toBe(1000);
    expect(io.featureOutput).toBe('features');
    expect(io.fixedBatch).toBeNull();
  });

  it('output order does not matter', () => {
    const io = resolveModelIO(squeezenet.inputs, [...squeezenet.outputs].reverse(), card());
    expect(io.logitsOutput).toBe('logits');
  });

  it('plain MobileNetV2 without a features output', () => {
    const io = resolveModelIO(mobilenet.inputs, [mobilenet.outputs[0]], card());
    expect(io.logitsOutput).toBe('output');
    expect(io.featureOutput).toBeUndefined();
  });
});

describe('resolveModelIO: batch dimension', () => {
  it('a fixed batch of 1 is detected', () => {
    const io = resolveModelIO([f32('x', [1, 3, 224, 224])], [f32('y', [1, 1000])], card());
    expect(io.fixedBatch).toBe(1);
  });
  it('a fixed batch of 8', () => {
    expect(resolveModelIO([f32('x', [8, 3, 224, 224])], [f32('y', [8, 1000])], card()).fixedBatch).toBe(8);
  });
  it('symbolic, null, or -1 batch is dynamic', () => {
    for (const b of ['N', null, -1]) {
      expect(resolveModelIO([f32('x', [b, 3, 224, 224])], [f32('y', [b, 1000])], card()).fixedBatch).toBeNull();
    }
  });
});

describe('resolveModelIO: shape errors', () => {
  const expectShapeError = (inputs: TensorInfo[], outputs: TensorInfo[], re: RegExp, c = card()) => {
    expect(() => resolveModelIO(inputs, outputs, c)).toThrow(ModelShapeError);
    expect(() => resolveModelIO(inputs, outputs, c)).toThrow(re);
  };
  const out = [f32('output', [1, 1000])];

  it('299×299 input with 224 images names the dimension and the card field', () => {
    expectShapeError([f32('input', [1, 3, 299, 299])], out, /height 299.*224×224.*inputSize/);
  });
  it('…but is accepted when the card says inputSize 299', () => {
    expect(resolveModelIO([f32('input', [1, 3, 299, 299])], out, card({ inputSize: 299 })).inputSize).toBe(299);
  });
  it('width alone wrong', () => {
    expectShapeError([f32('input', [1, 3, 224, 256])], out, /width 256/);
  });
  it('one channel', () => {
    expectShapeError([f32('input', [1, 1, 224, 224])], out, /input input float32\[1, 1, 224, 224\] is not an image batch \[N, 3, H, W\]/);
  });
  it('NHWC', () => {
    expectShapeError([f32('input', [1, 224, 224, 3])], out, /not an image batch/);
  });
  it('rank 3', () => {
    expectShapeError([f32('input', [3, 224, 224])], out, /not an image batch/);
  });
  it('symbolic H and W are accepted', () => {
    expect(resolveModelIO([f32('input', ['n', 3, 'h', 'w'])], out, card()).inputName).toBe('input');
  });
  it('non-float input', () => {
    expectShapeError([{ name: 'input', type: 'uint8', shape: [1, 3, 224, 224] }], out, /must be float32/);
  });
  it('no inputs', () => {
    expectShapeError([], out, /no inputs/);
  });
  it('two inputs and no inputName in the card', () => {
    expectShapeError([f32('a', [1, 3, 224, 224]), f32('b', [1, 3, 224, 224])], out, /2 inputs.*inputName/);
  });
  it('two inputs, card picks one', () => {
    const io = resolveModelIO([f32('a', [1, 10]), f32('b', [1, 3, 224, 224])], out, card({ inputName: 'b' }));
    expect(io.inputName).toBe('b');
  });
  it('card names a missing input', () => {
    expectShapeError(mobilenet.inputs, mobilenet.outputs, /names input "data"/, card({ inputName: 'data' }));
  });
  it('no output of shape [N, classes]', () => {
    expectShapeError(mobilenet.inputs, [f32('fmap', [1, 1000, 1, 1])], /no output has the shape \[N, classes\]/);
    expectShapeError(mobilenet.inputs, [f32('score', [1, 1])], /no output/);
  });
});

describe('resolveModelIO: card overrides', () => {
  it('card.logitsOutput picks the output', () => {
    const outputs = [f32('probs', ['b', 1000]), f32('raw', ['b', 1000])];
    expect(resolveModelIO(mobilenet.inputs, outputs, card()).logitsOutput).toBe('probs');
    expect(resolveModelIO(mobilenet.inputs, outputs, card({ logitsOutput: 'raw' })).logitsOutput).toBe('raw');
  });
  it('card.logitsOutput naming a missing output is an error listing the outputs', () => {
    expect(() => resolveModelIO(mobilenet.inputs, mobilenet.outputs, card({ logitsOutput: 'fc1000' }))).toThrow(ModelShapeError);
    expect(() => resolveModelIO(mobilenet.inputs, mobilenet.outputs, card({ logitsOutput: 'fc1000' }))).toThrow(
      /names output "fc1000".*output float32\[batch_size, 1000\].*features/,
    );
  });
  it('card.logitsOutput naming a 4-D output is an error', () => {
    expect(() => resolveModelIO(squeezenet.inputs, squeezenet.outputs, card({ logitsOutput: 'class_maps' }))).toThrow(
      /class_maps.*not \[N, classes\]/,
    );
  });
  it('card.featureOutput wins over the name heuristic', () => {
    expect(resolveModelIO(squeezenet.inputs, squeezenet.outputs, card({ featureOutput: 'class_maps' })).featureOutput).toBe('class_maps');
  });
  it('a symbolic class dimension takes the card label count, else 1000', () => {
    const outputs = [f32('logits', ['b', 'classes'])];
    expect(resolveModelIO(mobilenet.inputs, outputs, card()).numClasses).toBe(1000);
    expect(resolveModelIO(mobilenet.inputs, outputs, card({ labels: ['a', 'b', 'c'] })).numClasses).toBe(3);
  });
  it('a fixed class dimension other than 1000', () => {
    expect(resolveModelIO(mobilenet.inputs, [f32('output', ['b', 10])], card()).numClasses).toBe(10);
  });
});
