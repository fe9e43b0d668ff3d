/**
 * The adaptation setting (labels, canonical ids, checks, parsing from files, the per-cell order and batches), the
 * result document's `adaptation` (old files import as source; malformed ones are refused; merge refuses to join
 * different settings), the per-image line's adapted fields, and AdaptedPredictor's loop (logits before the step,
 * reset per cell) with a fake runtime; a model whose BN was folded at export gets BN_FOLDED_MESSAGE.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AdaptationError,
  SOURCE,
  adaptationId,
  adaptationLabel,
  cellBatches,
  cellOrder,
  checkAdaptation,
  defaultAdaptation,
  parseAdaptation,
  runVariants,
  type Adaptation,
} from '../../../src/core/tta/adaptation';
import { AdaptedPredictor, prepareModel, type PreparedModel, type RunFn } from '../../../src/core/tta/adapted-model';
import { BN_FOLDED_MESSAGE } from '../../../src/core/tta/bn-adapt';
import { MergeError, mergeResults } from '../../../src/core/merge-results';
import { predictionLine, validateResult } from '../../../src/core/result-document';
import { resultFromStates } from '../../support/synthetic-result';
import { HAVE_FIXTURES, fixture } from '../../support/fixtures';

describe('adaptation settings', () => {
  it('defaults: N = 16 and B = 64 for BN; B = 32, lr 0.00025·B/64, momentum 0.9 for self-learning', () => {
    expect(defaultAdaptation('none')).toEqual(SOURCE);
    expect(defaultAdaptation('bn')).toEqual({ method: 'bn', prior: 16, batch: 64 });
    expect(defaultAdaptation('entropy')).toEqual({ method: 'entropy', batch: 32, lr: 0.000125, momentum: 0.9 });
    expect(defaultAdaptation('pseudo-label', 16)).toEqual({ method: 'pseudo-label', batch: 16, lr: 0.0000625, momentum: 0.9, q: 0.8 });
  });

  it('labels and canonical ids name the method, every parameter and B', () => {
    const bn: Adaptation = { method: 'bn', prior: 16, batch: 64 };
    expect(adaptationLabel(SOURCE)).toBe('source');
    expect(adaptationLabel(bn)).toBe('BN-adapted (N=16)');
    expect(adaptationLabel(bn, { batch: true })).toBe('BN-adapted (N=16, B=64)');
    expect(adaptationId(undefined)).toBe('none');
    expect(adaptationId(bn)).toBe('bn;N=16;B=64');
    expect(adaptationId({ ...bn, shuffleSeed: 7 })).toBe('bn;N=16;B=64;shuffle=7');
    expect(adaptationId(defaultAdaptation('entropy'))).toBe('entropy;B=32;lr=0.000125;m=0.9;nesterov=0');
    expect(adaptationId(defaultAdaptation('pseudo-label'))).toBe('pseudo-label;B=32;lr=0.000125;m=0.9;nesterov=0;q=0.8');
    // Float noise does not make two settings differ.
    expect(adaptationId({ method: 'entropy', batch: 32, lr: 0.1 + 0.2, momentum: 0.9 })).toBe(adaptationId({ method: 'entropy', batch: 32, lr: 0.3, momentum: 0.9 }));
    const ids = new Set([bn, { ...bn, prior: 0 }, { ...bn, batch: 32 }, defaultAdaptation('entropy'), { ...defaultAdaptation('entropy'), lr: 0.001 } as Adaptation].map((a) => adaptationId(a)));
    expect(ids.size).toBe(5);
    expect(adaptationLabel(defaultAdaptation('entropy'))).toBe('entropy-adapted (TENT, B=32, lr 0.000125, momentum 0.9)');
  });

  it('checks ranges with named problems', () => {
    expect(() => checkAdaptation({ method: 'bn', prior: -1, batch: 8 })).toThrow(/prior N/);
    expect(() => checkAdaptation({ method: 'bn', prior: 16, batch: 0 })).toThrow(/batch size B/);
    expect(() => checkAdaptation({ method: 'entropy', batch: 8, lr: -1, momentum: 0.9 })).toThrow(/learning rate/);
    expect(() => checkAdaptation({ method: 'entropy', batch: 8, lr: 0.1, momentum: 1 })).toThrow(/momentum/);
    expect(() => checkAdaptation({ method: 'pseudo-label', batch: 8, lr: 0.1, momentum: 0.9, q: 0 })).toThrow(/q/);
    expect(checkAdaptation({ method: 'pseudo-label', batch: 8, lr: 0.1, momentum: 0.9 })).toMatchObject({ q: 0.8 });
  });

  it('parses a file\'s setting; absent is the source model; malformed is a problem', () => {
    const problems: string[] = [];
    expect(parseAdaptation(undefined, problems)).toEqual(SOURCE);
    expect(parseAdaptation({ method: 'bn', prior: 16, batch: 64, extra: 1 }, problems)).toEqual({ method: 'bn', prior: 16, batch: 64 });
    expect(problems).toEqual([]);
    expect(parseAdaptation({ method: 'tent' }, problems)).toBeNull();
    expect(parseAdaptation({ method: 'bn', prior: 'x', batch: 64 }, problems)).toBeNull();
    expect(problems).toHaveLength(2);
  });

  it('orders a cell by path, or by a seeded hash; batches of B, the last one smaller', () => {
    const paths = ['a/1', 'a/2', 'b/1', 'b/2', 'c/1'];
    expect(cellOrder(paths, undefined)).toEqual([0, 1, 2, 3, 4]);
    expect(cellOrder(['b/1', 'a/2', 'a/1'], undefined)).toEqual([2, 1, 0]); // listing order does not matter
    const shuffled = cellOrder(paths, 3);
    expect([...shuffled].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(cellOrder(paths, 3)).toEqual(shuffled);
    expect(cellOrder(paths, 4)).not.toEqual(shuffled);
    expect(cellBatches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(runVariants(SOURCE, false)).toEqual([SOURCE]);
    expect(runVariants(SOURCE, true, { prior: 8, batch: 16 })).toEqual([SOURCE, { method: 'bn', prior: 8, batch: 16 }]);
    expect(runVariants(defaultAdaptation('entropy'), true)).toEqual([SOURCE, defaultAdaptation('entropy')]);
  });
});

describe('result documents with adaptation', () => {
  const base = () => resultFromStates(['n0/a', 'n0/b'], { 'fog/3': Uint8Array.of(1, 2), 'snow/1': Uint8Array.of(2, 2) });

  it('records the setting; old files (no field) import as the source model; a malformed one is refused', () => {
    const doc = base();
    const plain = validateResult(JSON.parse(JSON.stringify(doc)));
    expect(plain.adaptation).toBeUndefined();
    const adapted = validateResult(JSON.parse(JSON.stringify({ ...doc, adaptation: { method: 'entropy', batch: 32, lr: 0.000125, momentum: 0.9 } })));
    expect(adapted.adaptation).toEqual({ method: 'entropy', batch: 32, lr: 0.000125, momentum: 0.9 });
    expect(validateResult(JSON.parse(JSON.stringify({ ...doc, adaptation: { method: 'none' } }))).adaptation).toBeUndefined();
    expect(() => validateResult(JSON.parse(JSON.stringify({ ...doc, adaptation: { method: 'bn', prior: -3, batch: 64 } })))).toThrow(/adaptation: BN adaptation prior/);
  });

  it('merge joins shards of one setting and refuses different settings, naming both', () => {
    const bn = { method: 'bn', prior: 16, batch: 64 } as const;
    const a = { ...base(), adaptation: bn };
    const b = { ...base(), adaptation: bn };
    expect(mergeResults([a, b]).adaptation).toEqual(bn);
    expect(() => mergeResults([base(), a])).toThrow(MergeError);
    expect(() => mergeResults([base(), a])).toThrow(/different test-time adaptation: .*the source model \(no adaptation\).*BN-adapted \(N=16, B=64\)/);
    expect(() => mergeResults([a, { ...b, adaptation: { ...bn, batch: 32 } }])).toThrow(/B=64.*B=32/);
  });

  it('per-image lines carry the setting, and beside the source the adapted top-5 and logits', () => {
    const line = JSON.parse(predictionLine({ path: 'c/fog/3/n0/a', label: 0, top: [0, 1], topLogits: [2.000004, 1], adaptation: 'bn;N=16;B=64' }));
    expect(line).toEqual({ path: 'c/fog/3/n0/a', label: 0, top5: [0, 1], logits_top5: [2, 1], adaptation: 'bn;N=16;B=64' });
    const both = JSON.parse(predictionLine({ path: 'p', label: 0, top: [0], topLogits: [1], adapted: { adaptation: 'bn;N=0;B=8', top: [3], topLogits: [0.123456] } }));
    expect(both).toMatchObject({ top5: [0], adapted_adaptation: 'bn;N=0;B=8', adapted_top5: [3], adapted_logits_top5: [0.12346] });
  });
});

describe('AdaptedPredictor', () => {
  const training = {
    bytes: new Uint8Array(),
    input: 'x',
    logits: 'logits',
    loss: 'loss',
    decisions: [],
    params: [{ input: 'bn.weight', grad: 'grad/bn.weight', kind: 'scale' as const, batchNorm: 'bn', size: 2, initial: Float32Array.of(1, 1) }],
  };
  const prepared = (a: Adaptation): PreparedModel => ({ adaptation: a, bytes: new Uint8Array(), internalInputs: new Set(['bn.weight']), internalOutputs: new Set(['loss', 'grad/bn.weight']), training, batchNorms: 1 });

  it('self-learning: logits of the current parameters, then one SGD step; reset restores the source parameters', async () => {
    const seen: number[][] = [];
    // Logits = the scale fed; gradient = 1 per parameter.
    const run: RunFn = async (feeds, outputs) => {
      const w = feeds['bn.weight'].data;
      seen.push([...w]);
      expect(outputs).toEqual(['logits', 'grad/bn.weight']);
      return { logits: Float32Array.from(w), 'grad/bn.weight': Float32Array.of(1, 1) };
    };
    const p = new AdaptedPredictor(prepared({ method: 'entropy', batch: 1, lr: 0.5, momentum: 0 }), run, { inputName: 'x', logitsOutput: 'logits' });
    const x = new Float32Array(3);
    expect([...(await p.logits(x, [1, 3, 1, 1]))]).toEqual([1, 1]); // before the step
    expect([...(await p.logits(x, [1, 3, 1, 1]))]).toEqual([0.5, 0.5]);
    expect(p.steps).toBe(2);
    p.reset();
    expect([...(await p.logits(x, [1, 3, 1, 1]))]).toEqual([1, 1]);
    expect(seen).toHaveLength(3);
  });

  it('source and BN adaptation: the logits output alone, no state', async () => {
    const run: RunFn = async (feeds, outputs) => {
      expect(Object.keys(feeds)).toEqual(['x']);
      return { [outputs[0]]: Float32Array.of(3) };
    };
    const p = new AdaptedPredictor({ ...prepared({ method: 'bn', prior: 16, batch: 4 }), training: null }, run, { inputName: 'x', logitsOutput: 'y' });
    expect(p.state).toBeNull();
    expect([...(await p.logits(new Float32Array(3), [1, 3, 1, 1]))]).toEqual([3]);
  });

  it.runIf(HAVE_FIXTURES)('a model whose BN was folded at export gets BN_FOLDED_MESSAGE for every method', () => {
    const bytes = new Uint8Array(readFileSync(fixture('models', 'squeezenet1.1-caffe2.fp32.gradcam.onnx')));
    expect(prepareModel(bytes, SOURCE).bytes).toBe(bytes);
    for (const a of [defaultAdaptation('bn'), defaultAdaptation('entropy'), defaultAdaptation('pseudo-label')]) {
      expect(() => prepareModel(bytes, a)).toThrow(AdaptationError);
      expect(() => prepareModel(bytes, a)).toThrow(BN_FOLDED_MESSAGE);
    }
  });
});
