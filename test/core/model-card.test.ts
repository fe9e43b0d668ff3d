import { describe, it, expect } from 'vitest';
import { DEFAULT_CARD, ModelCardError, parseModelCard } from '../../src/core/model-card';

describe('parseModelCard', () => {
  it('an empty object takes the ImageNet defaults and the fallback name', () => {
    const { card, notes } = parseModelCard('{}', 'resnet50');
    expect(card.name).toBe('resnet50');
    expect([...card.mean]).toEqual([0.485, 0.456, 0.406]);
    expect([...card.std]).toEqual([0.229, 0.224, 0.225]);
    expect(card.inputSize).toBe(224);
    expect(card.resizeTo).toBe(256);
    expect(card.labels).toBeUndefined();
    expect(card.logitsOutput).toBeUndefined();
    expect(card.reportedTop1).toBeUndefined();
    expect(notes).toEqual([]);
  });

  it('DEFAULT_CARD', () => {
    expect(DEFAULT_CARD).toEqual({ name: 'model', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: 224, resizeTo: 256 });
    expect(parseModelCard('{}').card.name).toBe('model');
    expect(parseModelCard('{"name": ""}', 'fb').card.name).toBe('fb');
    expect(parseModelCard('{"name": 5}', 'fb').card.name).toBe('fb');
  });

  it('a card with just name/mean/std/reportedTop1 loads', () => {
    const { card, notes } = parseModelCard(
      JSON.stringify({ name: 'MobileNetV2 int8', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], reportedTop1: 71.8 }),
    );
    expect(card.name).toBe('MobileNetV2 int8');
    expect([...card.mean]).toEqual([0.5, 0.5, 0.5]);
    expect([...card.std]).toEqual([0.25, 0.25, 0.25]);
    expect(card.reportedTop1).toBe(71.8);
    expect(card.inputSize).toBe(224);
    expect(card.resizeTo).toBe(256);
    expect(notes).toEqual([]);
  });

  it('keeps all known optional fields', () => {
    const { card } = parseModelCard(
      JSON.stringify({
        name: 'sq',
        inputSize: 227,
        resizeTo: 240,
        inputName: 'data',
        logitsOutput: 'logits',
        featureOutput: 'features',
        labels: ['n01', 'n02'],
        reportedTop1: 0,
        homepage: 'https://example.org',
      }),
    );
    expect(card.inputSize).toBe(227);
    expect(card.resizeTo).toBe(240);
    expect(card.inputName).toBe('data');
    expect(card.logitsOutput).toBe('logits');
    expect(card.featureOutput).toBe('features');
    expect(card.labels).toEqual(['n01', 'n02']);
    expect(card.reportedTop1).toBe(0);
    expect(card.homepage).toBe('https://example.org');
  });

  it('0–255 mean/std (torchvision numbers × 255) are divided by 255, with a note', () => {
    const { card, notes } = parseModelCard(JSON.stringify({ mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] }));
    // 123.675/255 = 0.485, 116.28/255 = 0.456, 103.53/255 = 0.406; 58.395/255 = 0.229, 57.12/255 = 0.224, 57.375/255 = 0.225
    card.mean.forEach((m, i) => expect(m).toBeCloseTo([0.485, 0.456, 0.406][i], 12));
    card.std.forEach((s, i) => expect(s).toBeCloseTo([0.229, 0.224, 0.225][i], 12));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/255/);
  });

  it('Caffe style (0–255 mean, std 1) becomes mean/255 and std 1/255: the same (v − mean) arithmetic', () => {
    const { card, notes } = parseModelCard(JSON.stringify({ mean: [104, 117, 123], std: [1, 1, 1] }));
    expect(card.mean[0]).toBeCloseTo(104 / 255, 12);
    expect(card.mean[2]).toBeCloseTo(123 / 255, 12);
    expect(card.std[1]).toBeCloseTo(1 / 255, 12);
    expect(notes).toHaveLength(1);
    // (v/255 − mean')/std' = v − 104 for v = 200
    expect((200 / 255 - card.mean[0]) / card.std[0]).toBeCloseTo(96, 9);
  });

  it('a 0–255 mean without a std keeps the default 0–1 std', () => {
    const { card } = parseModelCard(JSON.stringify({ mean: [123.675, 116.28, 103.53] }));
    card.mean.forEach((m, i) => expect(m).toBeCloseTo([0.485, 0.456, 0.406][i], 12));
    expect([...card.std]).toEqual([0.229, 0.224, 0.225]);
  });

  it('0–1 values are not rescaled (not even a mean of exactly 1)', () => {
    const { card, notes } = parseModelCard(JSON.stringify({ mean: [1, 1, 1], std: [1, 1, 1] }));
    expect([...card.mean]).toEqual([1, 1, 1]);
    expect([...card.std]).toEqual([1, 1, 1]);
    expect(notes).toEqual([]);
  });

  describe('validation errors', () => {
    const bad = (obj: unknown, re: RegExp) => {
      const text = JSON.stringify(obj);
      expect(() => parseModelCard(text)).toThrow(ModelCardError);
      expect(() => parseModelCard(text)).toThrow(re);
    };
    it('mean/std must be three finite numbers', () => {
      bad({ mean: [0.5, 0.5] }, /"mean" must be three numbers/);
      bad({ mean: [0.5, 0.5, 0.5, 0.5] }, /"mean"/);
      bad({ mean: '0.5,0.5,0.5' }, /"mean"/);
      bad({ mean: [0.5, '0.5', 0.5] }, /"mean"/);
      bad({ std: [0.2, null, 0.2] }, /"std" must be three numbers/);
    });
    it('std must be positive', () => {
      bad({ std: [0.2, -0.1, 0.2] }, /std must be positive/);
      bad({ std: [0, 0.2, 0.2] }, /std must be positive/);
    });
    it('reportedTop1 must be a percentage', () => {
      bad({ reportedTop1: 100.5 }, /reportedTop1/);
      bad({ reportedTop1: -1 }, /reportedTop1/);
      bad({ reportedTop1: '71.8' }, /reportedTop1/);
      expect(parseModelCard('{"reportedTop1": 100}').card.reportedTop1).toBe(100);
    });
    it('labels must be strings', () => {
      bad({ labels: ['n01', 2] }, /"labels"/);
      bad({ labels: 'n01 n02' }, /"labels"/);
      bad({ labels: [['n01', 'tench']] }, /"labels"/);
    });
    it('inputSize/resizeTo must be positive integers', () => {
      bad({ inputSize: 0 }, /"inputSize"/);
      bad({ inputSize: 224.5 }, /"inputSize"/);
      bad({ resizeTo: '256' }, /"resizeTo"/);
      bad({ resizeTo: -256 }, /"resizeTo"/);
    });
    it('tensor names must be strings', () => {
      bad({ inputName: 1 }, /"inputName" must be a string/);
      bad({ logitsOutput: ['a'] }, /"logitsOutput"/);
      bad({ featureOutput: false }, /"featureOutput"/);
    });
    it('not JSON, or not an object', () => {
      expect(() => parseModelCard('{name: x}')).toThrow(/not valid JSON/);
      expect(() => parseModelCard('')).toThrow(ModelCardError);
      expect(() => parseModelCard('[]')).toThrow(/expected a JSON object/);
      expect(() => parseModelCard('null')).toThrow(/expected a JSON object/);
      expect(() => parseModelCard('"card"')).toThrow(/expected a JSON object/);
    });
  });
});
