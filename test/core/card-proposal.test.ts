import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CARD_PRESETS, applyPreset, matchPreset, mergeCard, modelFileFactsOf, proposeCard } from '../../src/core/card-proposal';
import { parseModelCard } from '../../src/core/model-card';
import { resolveModelIO } from '../../src/core/model-io';
import { readOnnx } from '../../src/core/onnx/onnx-model';
import { describeFixtures, fixture } from '../support/fixtures';
import { buildOnnx, poolingClassifier, type DimSpec } from '../support/tiny-onnx';

/** A graph with the given signature; the nodes only have to parse (the proposal reads the signature). */
function signature(inputs: [string, DimSpec[]][], outputs: [string, DimSpec[]][], opset = 17) {
  return readOnnx(
    buildOnnx({
      inputs: inputs.map(([name, dims]) => ({ name, dims })),
      outputs: outputs.map(([name, dims]) => ({ name, dims })),
      nodes: outputs.map(([name], i) => ({ op: 'Identity', inputs: [inputs[0][0]], outputs: [name], intAttrs: { i } })),
      opset,
    }),
  );
}

interface Facts {
  model: { file: string };
  opset: Record<string, number>;
  input: { name: string; shape: (number | string)[]; preprocessing: { mean: number[]; std: number[] } };
  outputs: { name: string; shape: (number | string)[]; meaning: string }[];
  cam_feature_output: string | null;
}

describeFixtures('proposeCard on the fixture models agrees with their fact sheets', () => {
  for (const sheet of ['mobilenetv2-12-int8.facts.json', 'mobilenetv2-12-int8.gradcam.facts.json', 'squeezenet1.1-caffe2.fp32.gradcam.facts.json']) {
    it(sheet, () => {
      const facts: Facts = JSON.parse(readFileSync(fixture('models', sheet), 'utf8'));
      const file = facts.model.file.split('/').pop()!;
      const { card, findings, graph } = proposeCard(readOnnx(readFileSync(fixture(facts.model.file))), file);
      expect(card.name).toBe(file.replace(/\.onnx$/, ''));
      expect(card.inputName).toBe(facts.input.name);
      expect(card.inputSize).toBe(facts.input.shape[2]);
      expect(card.inputSize).toBe(facts.input.shape[3]);
      expect([...card.mean]).toEqual(facts.input.preprocessing.mean);
      expect([...card.std]).toEqual(facts.input.preprocessing.std);
      const logits = facts.outputs.find((o) => o.meaning.startsWith('class logits'))!;
      expect(card.logitsOutput).toBe(logits.name);
      expect(graph.numClasses).toBe(logits.shape[1]);
      // "features (class_maps gives …)": the fact sheet's first word is the CAM feature output.
      expect(card.featureOutput ?? null).toBe(facts.cam_feature_output?.split(' ')[0] ?? null);
      expect(card.opset).toBe(facts.opset['ai.onnx']);
      expect(card.outputs).toEqual(
        facts.outputs.map((o) => ({ name: o.name, shape: o.shape, role: o.name === card.logitsOutput ? 'logits' : o.name === card.featureOutput ? 'features' : 'other' })),
      );
      expect(graph.outputs.map((o) => o.name)).toEqual(facts.outputs.map((o) => o.name));
      expect(findings.join('\n')).toContain(`opset ${facts.opset['ai.onnx']}`);
      // The proposal is a valid card as it stands.
      expect(parseModelCard(JSON.stringify(card)).card).toEqual(card);
    });
  }
});

describe('proposeCard on tiny graphs', () => {
  it('a ViT: [N, 197, 384] tokens are the feature output, the logits are found by shape', () => {
    const m = signature([['pixel_values', ['batch', 3, 224, 224]]], [['tokens', ['batch', 197, 384]], ['logits', ['batch', 1000]]]);
    const { card, findings } = proposeCard(m, 'dino_vits16.onnx');
    expect(card).toMatchObject({ name: 'dino_vits16', inputName: 'pixel_values', inputSize: 224, resizeTo: 256, logitsOutput: 'logits', featureOutput: 'tokens', opset: 17 });
    expect(card.outputs).toEqual([
      { name: 'tokens', role: 'features', shape: ['batch', 197, 384] },
      { name: 'logits', role: 'logits', shape: ['batch', 1000] },
    ]);
    expect(findings.join('\n')).toMatch(/CLS \+ 14×14 patches, width 384/);
  });

  it('a 4-D map named like features wins over a class map of the same rank', () => {
    const m = signature([['x', ['N', 3, 224, 224]]], [['y', ['N', 10]], ['cam', ['N', 10, 7, 7]], ['layer4', ['N', 2048, 7, 7]]]);
    expect(proposeCard(m, 'r.onnx').card.featureOutput).toBe('layer4');
    const named = signature([['x', ['N', 3, 224, 224]]], [['y', ['N', 10]], ['features', ['N', 10, 7, 7]], ['other', ['N', 2048, 7, 7]]]);
    expect(proposeCard(named, 'r.onnx').card.featureOutput).toBe('features');
  });

  it('another fixed input size is reported, not applied: ImageNet-C images are 224×224 and the run must refuse', () => {
    const { card, findings } = proposeCard(readOnnx(poolingClassifier(299)), 'inception.onnx');
    expect(card.inputSize).toBe(224);
    expect(card.resizeTo).toBe(256);
    expect(card.logitsOutput).toBe('logits');
    expect(card.featureOutput).toBeUndefined();
    expect(findings.join('\n')).toMatch(/fixed at 299×299 but ImageNet-C images are 224×224: set the input size to 299 .*resize 342, crop 299/);
    expect(findings.join('\n')).toMatch(/no feature-map output/);
    expect(() => resolveModelIO([{ name: 'input', type: 'float32', shape: ['N', 3, 299, 299] }], [{ name: 'logits', type: 'float32', shape: ['N', 3] }], card)).toThrow(/expects height 299/);
  });

  it('a dynamic spatial size is fed 224×224', () => {
    const { card, findings } = proposeCard(signature([['x', ['N', 3, 'H', 'W']]], [['y', ['N', 1000]]]), 'dyn.onnx');
    expect(card.inputSize).toBe(224);
    expect(findings.join('\n')).toMatch(/dynamic size, fed 224×224/);
  });

  it('NHWC, several inputs and non-classifiers are reported, not thrown', () => {
    const nhwc = proposeCard(signature([['x', ['N', 224, 224, 3]]], [['y', ['N', 1000]]]), 'tf.onnx');
    expect(nhwc.findings.join('\n')).toMatch(/channels-last \(NHWC\)/);
    const two = proposeCard(signature([['a', ['N', 3]], ['b', ['N', 5]]], [['y', ['N', 1000]]]), 'two.onnx');
    expect(two.card.inputName).toBeUndefined();
    expect(two.findings.join('\n')).toMatch(/cannot tell the image input among 2 inputs/);
    const seg = proposeCard(signature([['x', ['N', 3, 224, 224]]], [['mask', ['N', 21, 224, 224]]]), 'seg.onnx');
    expect(seg.card.logitsOutput).toBeUndefined();
    expect(seg.findings.join('\n')).toMatch(/no output has the shape \[N, classes\]/);
  });
});

describe('mergeCard: a loaded card JSON over the proposal', () => {
  const proposal = proposeCard(readOnnx(poolingClassifier(299)), 'inception.onnx');

  it('the minimal card {name, mean, std, reportedTop1} keeps the graph facts', () => {
    const { card, notes } = mergeCard(proposal, JSON.stringify({ name: 'Inception', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], reportedTop1: 77.3 }));
    expect(notes).toEqual([]);
    expect(card).toEqual({ ...proposal.card, name: 'Inception', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], reportedTop1: 77.3 });
    expect(card.logitsOutput).toBe('logits');
  });

  it("an exporter card: extra fields kept, PIL interpolation code read, outputs checked against the graph", () => {
    const exported = {
      name: 'DINO ViT-S/16 linear',
      method: 'dino',
      backbone: 'vit_small_patch16_224',
      inputName: 'input',
      inputSize: 299,
      resizeTo: 342,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      interpolation: 3,
      logitsOutput: 'logits',
      featureOutput: 'features',
      reportedTop1: 77.0,
      reportedTop1Source: 'DINO README',
      outputs: [{ name: 'logits', role: 'logits', shape: ['batch', 3] }],
      opset: 17,
      exporter: { name: 'shiftlens-export-onnx', version: '0.1.0' },
    };
    const { card, notes } = mergeCard(proposal, JSON.stringify(exported));
    expect(card).toEqual({ ...exported, interpolation: 'bicubic' });
    expect(notes).toEqual(['interpolation 3 read as bicubic', 'the card names output "features" (featureOutput), which the model does not have']);
  });

  it('without a proposal (no model yet) the card merges over the defaults', () => {
    const { card } = mergeCard(null, '{"mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375]}');
    expect(card.mean.map((v) => +v.toFixed(6))).toEqual([0.485, 0.456, 0.406]);
    expect(card.inputSize).toBe(224);
  });

  it('prototype keys in the JSON do not leak into the card', () => {
    const { card } = mergeCard(proposal, '{"__proto__": {"polluted": 1}, "name": "x"}');
    expect(Object.getPrototypeOf(card)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('unimplemented filters are replaced by bilinear with a note; garbage is rejected', () => {
    const nearest = mergeCard(proposal, '{"interpolation": "nearest"}');
    expect(nearest.card.interpolation).toBe('bilinear');
    expect(nearest.notes[0]).toMatch(/"nearest" is not implemented/);
    expect(mergeCard(proposal, '{"interpolation": "InterpolationMode.BICUBIC"}').card.interpolation).toBe('bicubic');
    expect(() => mergeCard(proposal, '{"interpolation": [3]}')).toThrow(/interpolation/);
  });
});

describe('CARD_PRESETS', () => {
  it('every preset yields a valid card, is recognised back, and names the source of any reported top-1', () => {
    const base = proposeCard(readOnnx(poolingClassifier(224)), 'm.onnx').card;
    expect(new Set(CARD_PRESETS.map((p) => p.id)).size).toBe(CARD_PRESETS.length);
    for (const preset of CARD_PRESETS) {
      const card = applyPreset(base, preset);
      expect(parseModelCard(JSON.stringify(card)).card).toEqual(card);
      expect(matchPreset(card)?.id).toBe(preset.id);
      expect(card.logitsOutput).toBe(base.logitsOutput);
      if (preset.fields.reportedTop1 !== undefined) expect(preset.fields.reportedTop1Source).toBeTruthy();
    }
  });

  it('covers the six methods of the paper; DINO evaluates with a bicubic resize', () => {
    const methods = new Set(CARD_PRESETS.map((p) => `${p.fields.method ?? ''}/${p.fields.backbone ?? ''}`));
    for (const m of ['simclr/resnet50', 'simsiam/resnet50', 'byol/resnet50', 'barlowtwins/resnet50', 'swav/resnet50', 'dino/resnet50', 'dino/vit_small_patch16']) {
      expect(methods).toContain(m);
    }
    for (const p of CARD_PRESETS) expect(p.fields.interpolation).toBe(p.fields.method === 'dino' ? 'bicubic' : 'bilinear');
  });

  it('switching preset clears what the previous one reported', () => {
    const dino = applyPreset(proposeCard(readOnnx(poolingClassifier(224)), 'm.onnx').card, CARD_PRESETS.find((p) => p.id === 'dino-resnet50')!);
    const tv = applyPreset(dino, CARD_PRESETS.find((p) => p.id === 'torchvision')!);
    expect(tv.reportedTop1).toBeUndefined();
    expect(tv.method).toBeUndefined();
    expect(tv.interpolation).toBe('bilinear');
    expect(matchPreset({ ...tv, std: [0.5, 0.5, 0.5] })).toBeUndefined();
  });
});

describe('modelFileFactsOf (what the analysis worker answers for a picked model)', () => {
  it('gives the sha256 of the bytes and the proposal of the graph', async () => {
    const bytes = new Uint8Array(poolingClassifier(224));
    const facts = await modelFileFactsOf(bytes, 'tiny.onnx');
    expect(facts.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(facts.problem).toBeUndefined();
    expect(facts.proposal).toEqual(proposeCard(readOnnx(bytes), 'tiny.onnx'));
    // What crosses to the page must survive structured cloning.
    expect(structuredClone(facts)).toEqual(facts);
  });

  it('says why a file is not an ONNX model, with its sha256 still', async () => {
    const bytes = new TextEncoder().encode('this is text, not a protobuf') as Uint8Array<ArrayBuffer>;
    const facts = await modelFileFactsOf(bytes, 'notes.onnx');
    expect(facts.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(facts.proposal).toBeNull();
    expect(facts.problem).toMatch(/^notes\.onnx could not be read as ONNX: /);
  });
});
