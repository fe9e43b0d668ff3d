import { describe, it, expect } from 'vitest';
import type { Aggregate, ImagePrediction } from '../../src/core/aggregate';
import type { CorruptionCounts } from '../../src/core/metrics';
import {
  RESULT_SCHEMA,
  ResultValidationError,
  buildResult,
  cleanErrorForRelative,
  corruptionsSection,
  countsOf,
  predictionsJsonl,
  validateResult,
  type ResultDocument,
  type ResultMeta,
} from '../../src/core/result-document';

const NAMES_19 = [
  'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
  'speckle_noise', 'gaussian_blur', 'spatter', 'saturate',
];
const SHA = 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f';

const meta = (over: Partial<ResultMeta> = {}): ResultMeta => ({
  appVersion: '0.1.0',
  createdAt: '2025-01-02T03:04:05.000Z',
  model: {
    name: 'mobilenetv2-12-int8',
    file: 'mobilenetv2-12-int8.onnx',
    bytes: 3655033,
    sha256: SHA,
    inputName: 'input',
    logitsOutput: 'output',
    card: { name: 'mobilenetv2-12-int8', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: 224, resizeTo: 256 },
  },
  backend: 'wasm',
  labels: { source: 'imagenet_class_index.json', count: 1000 },
  dataset: { name: 'imagenet-c-mini', layout: 'flat', images: 0, ignoredFiles: 2 },
  preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: 224, cleanResize: 256, decoder: 'test decoder' },
  cleanDatasetName: 'imagenet-val-sample',
  counts: { inferred: 10, fromCache: 0 },
  ...over,
});

/** Corruption i, severity s: errors = i + 5s of n = 100 (E = (i+5s)/100, mean (i+15)/100). */
function fullCounts(): CorruptionCounts {
  const c: CorruptionCounts = {};
  NAMES_19.forEach((name, i) => {
    c[name] = {};
    for (let s = 1; s <= 5; s++) c[name][s] = { n: 100, errors: i + 5 * s };
  });
  return c;
}

const fullAgg = (): Aggregate => ({
  corruptions: fullCounts(),
  clean: { n: 20, errors: 5 },
  cleanMatched: { n: 10, errors: 1 },
  unreadable: [{ path: 'fog/1/n01/bad.JPEG', reason: 'decode failed' }],
});

const roundTrip = (doc: ResultDocument) => validateResult(JSON.parse(JSON.stringify(doc)));

describe('buildResult', () => {
  const doc = buildResult(fullAgg(), meta());

  it('header fields', () => {
    expect(doc.schema).toBe('shiftlens.result/v1');
    expect(RESULT_SCHEMA).toBe('shiftlens.result/v1');
    expect(doc.app).toEqual({ name: 'ShiftLens', version: '0.1.0' });
    expect(doc.createdAt).toBe('2025-01-02T03:04:05.000Z');
    expect(doc.backend).toBe('wasm');
    expect(doc.model.sha256).toBe(SHA);
  });

  it('corruptions section with groups, in canonical order, severities as string keys', () => {
    expect(Object.keys(doc.corruptions)).toEqual(NAMES_19);
    expect(doc.corruptions.fog).toEqual({
      group: 'weather',
      severities: {
        '1': { n: 100, errors: 14 },
        '2': { n: 100, errors: 19 },
        '3': { n: 100, errors: 24 },
        '4': { n: 100, errors: 29 },
        '5': { n: 100, errors: 34 },
      },
    });
    expect(doc.corruptions.saturate.group).toBe('extra');
  });

  it('clean, cleanMatched, counts and unreadable', () => {
    expect(doc.clean).toEqual({ n: 20, errors: 5, dataset: 'imagenet-val-sample' });
    expect(doc.cleanMatched).toEqual({ n: 10, errors: 1 });
    // 19 × 5 × 100 corrupted + 20 clean evaluated, + 1 unreadable
    expect(doc.counts).toEqual({ images: 9500 + 20 + 1, inferred: 10, fromCache: 0, unreadable: 1 });
    expect(doc.unreadable).toEqual([{ path: 'fog/1/n01/bad.JPEG', reason: 'decode failed' }]);
  });

  it('metrics in percent, relative CE against the matched clean error (1/10, not 5/20)', () => {
    const m = doc.metrics;
    expect(m.cleanError).toBeCloseTo(10, 12);
    expect(m.meanError15).toBeCloseTo(22, 12);
    expect(m.meanError19).toBeCloseTo(24, 12);
    expect(m.meanError.fog).toBeCloseTo(24, 12);
    expect(m.ce.fog).toBeCloseTo((100 * 0.24) / 0.819324, 11);
    expect(m.ce.saturate).toBeCloseTo((100 * 0.33) / 0.658248, 11);
    expect(m.relativeCe.brightness).toBeCloseTo((100 * (0.25 - 0.1)) / (0.564592 - 0.4348), 10);
    const ces = [
      0.15 / 0.886428, 0.16 / 0.894468, 0.17 / 0.92264, 0.18 / 0.81988, 0.19 / 0.826268, 0.2 / 0.785948, 0.21 / 0.79836,
      0.22 / 0.866816, 0.23 / 0.826572, 0.24 / 0.819324, 0.25 / 0.564592, 0.26 / 0.853204, 0.27 / 0.646056, 0.28 / 0.71784,
      0.29 / 0.6065,
    ];
    expect(m.mCE).toBeCloseTo((100 * ces.reduce((a, b) => a + b)) / 15, 10);
    expect(m.completeCommon).toBe(true);
    expect(m.completeAll).toBe(true);
  });

  it('no clean set: no clean/cleanMatched keys, null clean and relative metrics', () => {
    const d = buildResult({ ...fullAgg(), clean: null, cleanMatched: null, unreadable: [] }, meta());
    expect('clean' in d).toBe(false);
    expect('cleanMatched' in d).toBe(false);
    expect(d.metrics.cleanError).toBeNull();
    expect(d.metrics.relativeMCE).toBeNull();
    expect(d.metrics.relativeCe.fog).toBeNull();
    expect(d.metrics.mCE).not.toBeNull();
    expect(d.counts.images).toBe(9500);
  });

  it('a single corruption: hand-computed CE and relative CE', () => {
    const agg: Aggregate = {
      corruptions: {
        gaussian_noise: { 1: { n: 100, errors: 10 }, 2: { n: 100, errors: 20 }, 3: { n: 100, errors: 30 }, 4: { n: 100, errors: 40 }, 5: { n: 100, errors: 50 } },
      },
      clean: { n: 10, errors: 2 },
      cleanMatched: null,
      unreadable: [],
    };
    const d = buildResult(agg, meta());
    expect(Object.keys(d.corruptions)).toEqual(['gaussian_noise']);
    expect(d.metrics.ce.gaussian_noise).toBeCloseTo((100 * 0.3) / 0.886428, 11);
    // clean error falls back to all clean images: 2/10 = 0.2; Σ(E − 0.2) = 0.5, Σ(0.886428 − 0.4348) = 2.25814
    expect(d.metrics.relativeCe.gaussian_noise).toBeCloseTo((100 * 0.5) / 2.25814, 11);
    expect(d.metrics.cleanError).toBeCloseTo(20, 12);
    expect(d.metrics.mCE).toBeNull();
    expect(d.metrics.ce.fog).toBeNull();
    expect(d.metrics.completeCommon).toBe(false);
  });
});

describe('helpers', () => {
  it('cleanErrorForRelative prefers cleanMatched when it has images', () => {
    expect(cleanErrorForRelative({ clean: { n: 4, errors: 1, dataset: '' }, cleanMatched: { n: 2, errors: 2 } })).toBe(1);
    expect(cleanErrorForRelative({ clean: { n: 4, errors: 1, dataset: '' }, cleanMatched: { n: 0, errors: 0 } })).toBe(0.25);
    expect(cleanErrorForRelative({ clean: { n: 4, errors: 1, dataset: '' } })).toBe(0.25);
    expect(cleanErrorForRelative({})).toBeNull();
  });

  it('corruptionsSection drops unknown names and severities; countsOf inverts it', () => {
    const sec = corruptionsSection({ fog: { 2: { n: 3, errors: 1 }, 9: { n: 1, errors: 1 } }, bogus: { 1: { n: 1, errors: 0 } } });
    expect(sec).toEqual({ fog: { group: 'weather', severities: { '2': { n: 3, errors: 1 } } } });
    expect(countsOf({ corruptions: sec })).toEqual({ fog: { 2: { n: 3, errors: 1 } } });
  });
});

describe('validateResult: round trip', () => {
  it('JSON.stringify → parse → validate keeps corruptions, clean and metrics', () => {
    const doc = buildResult(fullAgg(), meta());
    const back = roundTrip(doc);
    expect(back.corruptions).toEqual(doc.corruptions);
    expect(back.metrics).toEqual(doc.metrics);
    expect(back.clean).toEqual(doc.clean);
    expect(back.cleanMatched).toEqual(doc.cleanMatched);
    expect(back).toEqual(doc);
  });

  it('round trip without a clean set', () => {
    const doc = buildResult({ ...fullAgg(), clean: null, cleanMatched: null }, meta({ backend: 'webgpu' }));
    const back = roundTrip(doc);
    expect(back).toEqual(doc);
    expect(back.backend).toBe('webgpu');
  });

  it('metrics are recomputed from the counts: tampered metrics are ignored', () => {
    const doc = buildResult(fullAgg(), meta());
    const raw = JSON.parse(JSON.stringify(doc));
    raw.metrics.mCE = 1.5;
    raw.metrics.ce.fog = 0;
    raw.metrics.meanError19 = 'lots';
    const back = validateResult(raw);
    expect(back.metrics.mCE).toBe(doc.metrics.mCE);
    expect(back.metrics.ce.fog).toBe(doc.metrics.ce.fog);
    expect(back.metrics.meanError19).toBe(doc.metrics.meanError19);
    // and a document without metrics at all gets them
    delete raw.metrics;
    expect(validateResult(raw).metrics).toEqual(doc.metrics);
  });

  it('changing a count changes the recomputed metrics', () => {
    const raw = JSON.parse(JSON.stringify(buildResult(fullAgg(), meta())));
    raw.corruptions.fog.severities['1'] = { n: 100, errors: 100 };
    const back = validateResult(raw);
    // fog: (100 + 19 + 24 + 29 + 34)/500 = 206/500 = 0.412
    expect(back.metrics.meanError.fog).toBeCloseTo(41.2, 12);
    expect(back.metrics.ce.fog).toBeCloseTo((100 * 0.412) / 0.819324, 11);
  });

  it('group comes from the catalog, unknown top-level fields are dropped', () => {
    const raw = JSON.parse(JSON.stringify(buildResult(fullAgg(), meta())));
    raw.corruptions.fog.group = 'noise';
    raw.evil = JSON.parse('{"__proto__": {"polluted": true}}');
    raw.model.extra = 'x';
    const back = validateResult(raw) as unknown as Record<string, unknown>;
    expect((back.corruptions as ResultDocument['corruptions']).fog.group).toBe('weather');
    expect('evil' in back).toBe(false);
    expect('extra' in (back.model as object)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('validateResult: rejects', () => {
  const base = () => JSON.parse(JSON.stringify(buildResult(fullAgg(), meta())));
  const rejects = (raw: unknown, re: RegExp) => {
    let err: unknown;
    try {
      validateResult(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResultValidationError);
    expect((err as Error).message).toMatch(re);
    return err as ResultValidationError;
  };

  it('non-objects', () => {
    for (const v of [null, undefined, 42, 'doc', [], [{}]]) rejects(v, /expected a JSON object/);
  });

  it('wrong or missing schema', () => {
    const d = base();
    d.schema = 'shiftlens.result/v2';
    rejects(d, /"schema" is "shiftlens\.result\/v2", expected "shiftlens\.result\/v1"/);
    delete d.schema;
    rejects(d, /"schema" is missing/);
  });

  it('missing corruptions', () => {
    const d = base();
    delete d.corruptions;
    rejects(d, /"corruptions" missing/);
    const d2 = base();
    d2.corruptions = [];
    rejects(d2, /"corruptions" missing/);
  });

  it('errors > n', () => {
    const d = base();
    d.corruptions.fog.severities['2'] = { n: 10, errors: 11 };
    rejects(d, /corruptions\.fog\.severities\.2: more errors than images/);
  });

  it.each([
    ['negative', -1],
    ['huge', 1e10],
    ['non-integer', 2.5],
    ['string', '5'],
    ['NaN-ish null', null],
  ])('%s counts', (_, bad) => {
    const d = base();
    d.corruptions.snow.severities['3'] = { n: bad, errors: 0 };
    rejects(d, /corruptions\.snow\.severities\.3: "n" and "errors" must be whole numbers/);
    const d2 = base();
    d2.corruptions.snow.severities['3'] = { n: 100, errors: bad };
    rejects(d2, /whole numbers/);
  });

  it('a cell that is not an object, and a corruption without severities', () => {
    const d = base();
    d.corruptions.snow.severities['3'] = [100, 3];
    rejects(d, /corruptions\.snow\.severities\.3: expected/);
    const d2 = base();
    d2.corruptions.snow = { group: 'weather' };
    rejects(d2, /corruptions\.snow: expected \{"severities"/);
  });

  it('unknown corruption names', () => {
    const d = base();
    d.corruptions.gaussian = { group: 'noise', severities: { '1': { n: 1, errors: 0 } } };
    rejects(d, /unknown corruption "gaussian"/);
    const d2 = base();
    d2.corruptions['<img src=x onerror=alert(1)>'] = { severities: {} };
    rejects(d2, /unknown corruption/);
  });

  it('severity "6", "0" and "01"', () => {
    for (const s of ['6', '0', '01', 'five']) {
      const d = base();
      d.corruptions.fog.severities[s] = { n: 1, errors: 0 };
      rejects(d, new RegExp(`corruptions\\.fog\\.severities: "${s}" is not 1–5`));
    }
  });

  it('a "__proto__" severity key from JSON text is rejected, not merged', () => {
    const text = JSON.stringify(base()).replace('"severities":{"1":{"n":100,"errors":14}', '"severities":{"__proto__":{"n":1,"errors":0},"1":{"n":100,"errors":14}');
    expect(text).toContain('"__proto__"');
    rejects(JSON.parse(text), /corruptions\.fog\.severities: "__proto__" is not 1–5/);
  });

  it('bad clean / cleanMatched', () => {
    const d = base();
    d.clean = { n: 5, errors: 6, dataset: 'x' };
    rejects(d, /clean: more errors than images/);
    const d2 = base();
    d2.cleanMatched = { n: -1, errors: 0 };
    rejects(d2, /cleanMatched/);
  });

  it('bad model.sha256, missing model, bad backend', () => {
    const d = base();
    d.model.sha256 = 'abc';
    rejects(d, /model\.sha256: expected 64 hex digits/);
    const empty = base();
    empty.model.sha256 = '';
    rejects(empty, /model\.sha256: expected 64 hex digits/);
    const d2 = base();
    delete d2.model;
    rejects(d2, /"model" missing/);
    const d3 = base();
    d3.backend = 'cuda';
    rejects(d3, /"backend" must be "webgpu" or "wasm"/);
  });

  it('collects several problems and reports the count beyond five', () => {
    const d = base();
    for (const [i, name] of ['fog', 'snow', 'frost', 'contrast', 'pixelate', 'saturate', 'spatter'].entries()) {
      d.corruptions[name].severities['1'] = { n: 1, errors: 2 + i };
    }
    const err = rejects(d, /\(\+2 more\)/);
    expect(err.problems).toHaveLength(7);
  });
});

describe('validateResult: untrusted strings', () => {
  const base = () => JSON.parse(JSON.stringify(buildResult(fullAgg(), meta())));

  it('keeps <script> as an inert string', () => {
    const d = base();
    const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    d.model.name = evil;
    d.dataset.name = evil;
    d.unreadable = [{ path: evil, reason: evil }];
    const back = validateResult(d);
    expect(back.model.name).toBe(evil);
    expect(back.dataset.name).toBe(evil);
    expect(back.unreadable).toEqual([{ path: evil, reason: evil }]);
    expect(typeof back.model.name).toBe('string');
  });

  it('caps string lengths', () => {
    const d = base();
    const long = '<script>' + 'A'.repeat(100_000);
    d.model.name = long;
    d.model.file = long;
    d.createdAt = long;
    d.app.version = long;
    d.dataset.layout = long;
    d.unreadable = [{ path: long, reason: long }];
    d.clean.dataset = long;
    const back = validateResult(d);
    expect(back.model.name).toHaveLength(500);
    expect(back.model.name.startsWith('<script>')).toBe(true);
    expect(back.model.file).toHaveLength(500);
    expect(back.createdAt).toHaveLength(40);
    expect(back.app.version).toHaveLength(40);
    expect(back.dataset.layout).toHaveLength(20);
    expect(back.unreadable[0].path).toHaveLength(2000);
    expect(back.unreadable[0].reason).toHaveLength(500);
    expect(back.clean!.dataset).toHaveLength(500);
  });

  it('non-string metadata becomes empty, non-numeric numbers 0, a huge card {}', () => {
    const d = base();
    d.model.name = { toString: 'x' };
    d.model.bytes = -5;
    d.counts.images = 'many';
    d.preprocessing.mean = [1, 'x', 2, 3, 4];
    d.model.card = { blob: 'x'.repeat(300_000) };
    d.unreadable = 'none';
    const back = validateResult(d);
    expect(back.model.name).toBe('');
    expect(back.model.bytes).toBe(0);
    expect(back.counts.images).toBe(0);
    expect(back.preprocessing.mean).toEqual([1, 2, 3]);
    expect(back.model.card).toEqual({});
    expect(back.unreadable).toEqual([]);
    expect(back.app.name).toBe('ShiftLens');
  });
});

describe('predictionsJsonl', () => {
  const p = (over: Partial<ImagePrediction>): ImagePrediction => ({
    path: 'imagenet-c-mini/fog/3/n01630670/n01630670_common_newt.JPEG',
    corruption: 'fog',
    severity: 3,
    label: 26,
    identity: 'n01630670/n01630670_common_newt',
    top: [26, 32, 27, 38, 28],
    topLogits: [17.135474, 15.2137449, 15.05359, 13.772431, -13.131864],
    ...over,
  });

  it('one JSON object per line in the reference format, logits rounded to 5 decimals', () => {
    const text = predictionsJsonl([p({}), p({ path: 'x/bad.JPEG', label: 3, top: [], topLogits: [], unreadable: 'decode failed' })]);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe(
      '{"path":"imagenet-c-mini/fog/3/n01630670/n01630670_common_newt.JPEG","label":26,"top5":[26,32,27,38,28],"logits_top5":[17.13547,15.21374,15.05359,13.77243,-13.13186]}',
    );
    expect(JSON.parse(lines[1])).toEqual({ path: 'x/bad.JPEG', label: 3, unreadable: 'decode failed' });
  });

  it('keys as in the reference predictions file', () => {
    const ref = '{"path": "imagenet-c-mini/brightness/1/n01630670/n01630670_common_newt.JPEG", "label": 26, "top5": [26, 32, 27, 38, 28], "logits_top5": [17.13547, 15.21374, 15.05359, 13.77243, 13.13186]}';
    const ours = JSON.parse(predictionsJsonl([p({ path: 'imagenet-c-mini/brightness/1/n01630670/n01630670_common_newt.JPEG', topLogits: [17.13547, 15.21374, 15.05359, 13.77243, 13.13186] })]));
    expect(ours).toEqual(JSON.parse(ref));
  });

  it('no predictions → empty text (no blank line)', () => {
    expect(predictionsJsonl([])).toBe('');
  });
});
