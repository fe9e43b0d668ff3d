import { describe, expect, it } from 'vitest';
import { parseModelCard } from '../../src/core/model-card';
import { preprocessingOf } from '../../src/core/preprocessing';

describe('preprocessingOf', () => {
  it('keeps the card’s resize filter, and says bilinear when the card has none', () => {
    const bicubic = parseModelCard(JSON.stringify({ interpolation: 3, resizeTo: 248, inputSize: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] })).card;
    expect(preprocessingOf(bicubic)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], inputSize: 224, resizeTo: 248, interpolation: 'bicubic' });
    expect(preprocessingOf(parseModelCard('{}').card).interpolation).toBe('bilinear');
  });
  it('is a plain object without the card’s other fields (safe to post to a worker)', () => {
    const card = { ...parseModelCard('{"interpolation":"bicubic"}').card, labels: ['n1'], extra: () => 1 };
    const p = preprocessingOf(card);
    expect(Object.keys(p).sort()).toEqual(['inputSize', 'interpolation', 'mean', 'resizeTo', 'std']);
    expect(p.mean).not.toBe(card.mean);
    expect(structuredClone(p)).toEqual(p);
  });
});
