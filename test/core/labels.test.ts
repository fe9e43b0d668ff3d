import { beforeAll, describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { LabelsError, indexOfClass, labelsFromSortedFolders, parseLabels, resolveLabels, type LabelSet } from '../../src/core/labels';
import { describeFixtures, fixture } from '../support/fixtures';

describe('parseLabels: Keras imagenet_class_index.json style', () => {
  it('reads {"0": [wnid, name], …} by numeric key, not by key order in the text', () => {
    const text = '{"1": ["n01443537", "goldfish"], "0": ["n01440764", "tench"], "2": ["n01484850", "great white shark"]}';
    const l = parseLabels(text, 'idx.json');
    expect(l.wnids).toEqual(['n01440764', 'n01443537', 'n01484850']);
    expect(l.names).toEqual(['tench', 'goldfish', 'great white shark']);
    expect(l.source).toBe('idx.json');
  });

  it('index 10 comes after 9 (numeric, not lexicographic)', () => {
    const obj: Record<string, [string, string]> = {};
    for (let i = 0; i < 12; i++) obj[String(i)] = [`w${i}`, `name ${i}`];
    const l = parseLabels(JSON.stringify(obj));
    expect(l.wnids).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10', 'w11']);
  });

  it('strips a BOM and surrounding whitespace', () => {
    const l = parseLabels('\uFEFF  \n{"0": ["n01440764", "tench"]}\n');
    expect(l.wnids).toEqual(['n01440764']);
  });

  it('a bare wnid string as value gives name = wnid; a pair without name too', () => {
    const l = parseLabels('{"0": "n01440764", "1": ["n01443537"]}');
    expect(l.wnids).toEqual(['n01440764', 'n01443537']);
    expect(l.names).toEqual(['n01440764', 'n01443537']);
  });
});

describe('parseLabels: JSON arrays', () => {
  it('array of wnids', () => {
    const l = parseLabels('["n01440764", "n01443537"]');
    expect(l.wnids).toEqual(['n01440764', 'n01443537']);
    expect(l.names).toEqual(['n01440764', 'n01443537']);
  });

  it('array of [wnid, name] pairs', () => {
    const l = parseLabels('[["n01440764", "tench"], ["n01443537", "goldfish"]]');
    expect(l.wnids).toEqual(['n01440764', 'n01443537']);
    expect(l.names).toEqual(['tench', 'goldfish']);
  });
});

describe('parseLabels: synset text', () => {
  it('one "<wnid> <names>" per line, CRLF and blank lines tolerated', () => {
    const text = 'n01440764 tench, Tinca tinca\r\n\r\nn01443537 goldfish, Carassius auratus\r\n   \r\nn01484850\r\n';
    const l = parseLabels(text, 'synset.txt');
    expect(l.wnids).toEqual(['n01440764', 'n01443537', 'n01484850']);
    expect(l.names).toEqual(['tench, Tinca tinca', 'goldfish, Carassius auratus', 'n01484850']);
    expect(l.source).toBe('synset.txt');
  });

  it('tabs separate too; leading spaces ignored', () => {
    const l = parseLabels('  n01440764\ttench\nn01443537   goldfish');
    expect(l.wnids).toEqual(['n01440764', 'n01443537']);
    expect(l.names).toEqual(['tench', 'goldfish']);
  });
});

describe('parseLabels: errors', () => {
  it.each([
    ['empty', ''],
    ['whitespace only', '  \n\r\n\t '],
    ['BOM only', '\uFEFF'],
  ])('%s input', (_, text) => {
    expect(() => parseLabels(text, 'f.txt')).toThrow(LabelsError);
    expect(() => parseLabels(text, 'f.txt')).toThrow(/f\.txt.*empty/);
  });

  it('an empty JSON list or object has no classes', () => {
    expect(() => parseLabels('[]')).toThrow(LabelsError);
    expect(() => parseLabels('{}')).toThrow(LabelsError);
  });

  it('duplicates (text and JSON), naming both indices', () => {
    expect(() => parseLabels('n01\nn02\nn01')).toThrow(/"n01" appears at index 0 and 2/);
    expect(() => parseLabels('["a", "b", "b"]')).toThrow(LabelsError);
    expect(() => parseLabels('{"0": ["a", "x"], "1": ["a", "y"]}')).toThrow(/"a" appears at index 0 and 1/);
  });

  it('non-contiguous or non-numeric keys', () => {
    expect(() => parseLabels('{"0": ["a", "x"], "2": ["b", "y"]}')).toThrow(/class index 1 is missing/);
    expect(() => parseLabels('{"1": ["a", "x"], "2": ["b", "y"]}')).toThrow(/class index 0 is missing/);
    expect(() => parseLabels('{"0": ["a", "x"], "one": ["b", "y"]}')).toThrow(LabelsError);
    expect(() => parseLabels('{"0": ["a", "x"], "-1": ["b", "y"]}')).toThrow(LabelsError);
  });

  it('bad JSON', () => {
    expect(() => parseLabels('{"0": ["n01440764", "tench"],}', 'bad.json')).toThrow(LabelsError);
    expect(() => parseLabels('{"0": ["n01440764", "tench"],}', 'bad.json')).toThrow(/bad\.json: not valid JSON/);
    expect(() => parseLabels('[1, 2')).toThrow(/not valid JSON/);
  });

  it('entries that are neither wnid nor [wnid, name]', () => {
    expect(() => parseLabels('[1, 2, 3]')).toThrow(/entry 0/);
    expect(() => parseLabels('{"0": {"wnid": "a"}}')).toThrow(LabelsError);
    expect(() => parseLabels('[[1, "tench"]]')).toThrow(LabelsError);
    expect(() => parseLabels('[null]')).toThrow(LabelsError);
  });

  it('LabelsError is an Error', () => {
    try {
      parseLabels('');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(LabelsError);
    }
  });
});

describe('labelsFromSortedFolders and indexOfClass', () => {
  it('sorts and de-duplicates folder names', () => {
    const l = labelsFromSortedFolders(['n02', 'n01', 'n03', 'n01']);
    expect(l.wnids).toEqual(['n01', 'n02', 'n03']);
    expect(l.names).toEqual(['n01', 'n02', 'n03']);
    expect(l.source).toMatch(/sorted/);
  });

  it('indexOfClass maps wnid → output index', () => {
    const idx = indexOfClass(parseLabels('["b", "a", "c"]'));
    expect(idx.get('b')).toBe(0);
    expect(idx.get('a')).toBe(1);
    expect(idx.get('c')).toBe(2);
    expect(idx.get('d')).toBeUndefined();
  });
});

describeFixtures('parseLabels on the real label files', () => {
  // Read lazily: a skipped describe still runs its body, and the files are absent when fixtures are.
  const load = (name: string) => parseLabels(readFileSync(fixture('labels', name), 'utf8'), name);
  let json: LabelSet;
  let txt: LabelSet;
  beforeAll(() => {
    json = load('imagenet_class_index.json');
    txt = load('synset_words_wnid_order.txt');
  });

  it('imagenet_class_index.json: 1000 wnids, 0 = n01440764 tench, 999 = n15075141 toilet paper', () => {
    expect(json.wnids).toHaveLength(1000);
    expect(json.wnids[0]).toBe('n01440764');
    expect(json.names[0]).toBe('tench');
    expect(json.wnids[999]).toBe('n15075141');
    expect(json.names[999]).toBe('toilet paper');
    expect(new Set(json.wnids).size).toBe(1000);
    // the Keras file is in sorted wnid order
    expect([...json.wnids].sort()).toEqual(json.wnids);
  });

  it('synset_words_wnid_order.txt: same 1000 wnids in the same order', () => {
    expect(txt.wnids).toHaveLength(1000);
    expect(txt.wnids).toEqual(json.wnids);
    expect(txt.names[0]).toBe('tench, Tinca tinca');
  });

  it('the reference predictions use these indices (spot check)', () => {
    // imagenet-c-mini/brightness/1/n01630670/... has label 26 in the reference predictions
    expect(indexOfClass(json).get('n01630670')).toBe(26);
  });
});

describe('resolveLabels: the class order of a run', () => {
  const given = { wnids: ['a', 'b', 'c'], names: ['a', 'b', 'c'], source: 'file' };
  it('takes the labels given, and refuses a list that does not match the model', () => {
    expect(resolveLabels(given, ['zzz'], 3)).toEqual({ labels: given, warnings: [] });
    expect(() => resolveLabels(given, [], 1000)).toThrow(/labels list has 3 classes but the model outputs 1000/);
  });
  it('numbers sorted folders only when they are exactly the model classes, with a warning', () => {
    const r = resolveLabels(null, ['zebra', 'apple', 'mango', 'apple'], 3);
    expect(r.labels.wnids).toEqual(['apple', 'mango', 'zebra']);
    expect(r.warnings[0]).toMatch(/no labels file.*sorted class folders/);
  });
  it('fewer or more folders than classes → a labels file is needed', () => {
    expect(() => resolveLabels(null, ['n01440764', 'n15075141'], 1000)).toThrow(/labels file is needed.*2 class folders.*1000 classes/);
    expect(() => resolveLabels(null, ['a', 'b', 'c'], 2)).toThrow(LabelsError);
  });
});
