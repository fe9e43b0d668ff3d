import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { aggregate, type ImagePrediction } from '../../src/core/aggregate';
import { encodeCell } from '../../src/core/outcomes';
import {
  ResultFileError,
  ResultValidationError,
  buildResult,
  parseResultFile,
  validateResult,
  type ResultDocument,
} from '../../src/core/result-document';
import { PROJECT_ROOT } from '../support/fixtures';
import { referenceMeta } from '../support/reference-predictions';

const pred = (corruption: string | null, severity: number | null, identity: string, wrong: boolean): ImagePrediction => ({
  path: `${corruption ?? 'val'}/${severity ?? ''}/${identity}.JPEG`,
  corruption,
  severity,
  label: 1,
  identity,
  top: [wrong ? 2 : 1],
  topLogits: [0],
});

/** 19 × 5 cells over 12 images (image i wrong where (i + cell) % 3 == 0), clean for 14 images (2 clean-only). */
function smallRun(): ImagePrediction[] {
  const out: ImagePrediction[] = [];
  const names = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur', 'snow', 'frost', 'fog',
    'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression', 'speckle_noise', 'gaussian_blur', 'spatter', 'saturate'];
  names.forEach((c, ci) => {
    for (let s = 1; s <= 5; s++) for (let i = 0; i < 12; i++) out.push(pred(c, s, `n0${i % 3}/img${i}`, (i + ci * 5 + s) % 3 === 0));
  });
  for (let i = 0; i < 14; i++) out.push(pred(null, null, `n0${i % 3}/img${i}`, i % 4 === 0));
  return out;
}

const docWithOutcomes = (): ResultDocument => {
  const preds = smallRun();
  return buildResult(aggregate(preds), referenceMeta('mobilenetv2-12-int8'), preds);
};
const raw = () => JSON.parse(JSON.stringify(docWithOutcomes()));

const rejects = (value: unknown, re: RegExp) => {
  let err: unknown;
  try {
    validateResult(value);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ResultValidationError);
  expect((err as Error).message).toMatch(re);
};

describe('outcomes in the result document', () => {
  it('buildResult stores outcomes when given the predictions; JSON round trip keeps them', () => {
    const doc = docWithOutcomes();
    expect(doc.outcomes!.keys).toHaveLength(14);
    expect(Object.keys(doc.outcomes!.cells)).toHaveLength(96);
    expect(validateResult(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
  });

  it('without predictions there are no outcomes (older documents import as before)', () => {
    const preds = smallRun();
    const doc = buildResult(aggregate(preds), referenceMeta('mobilenetv2-12-int8'));
    expect('outcomes' in doc).toBe(false);
    expect(validateResult(JSON.parse(JSON.stringify(doc)))).toEqual(doc);
  });

  it('outcomes that disagree with the counts are rejected, naming the cell', () => {
    const d = raw();
    d.corruptions.fog.severities['3'].errors += 1;
    rejects(d, /outcomes: cell fog\/3 gives \d+\/12 errors, the counts say \d+\/12/);
    const d2 = raw();
    d2.outcomes.cells['fog/3'] = encodeCell(new Uint8Array(14).fill(2));
    rejects(d2, /cell fog\/3 gives 14\/14 errors/);
    const d3 = raw();
    delete d3.outcomes.cells.clean;
    rejects(d3, /outcomes: cell clean gives 0\/0 errors, the counts say 4\/14/);
    const d4 = raw();
    d4.cleanMatched = { n: 12, errors: 0 };
    rejects(d4, /cleanMatched says 0\/12/);
  });

  it('malformed outcomes are rejected', () => {
    const d = raw();
    d.outcomes.keys.reverse();
    rejects(d, /outcomes\.keys\[1\]: keys must be sorted and unique/);
    const d2 = raw();
    d2.outcomes = 'yes';
    rejects(d2, /outcomes: expected/);
    const d3 = raw();
    d3.outcomes.cells['fog/3'] = '<script>alert(1)</script>';
    rejects(d3, /outcomes\.cells\["fog\/3"\]: (base64|invalid)/);
  });
});

describe('hostile result JSON', () => {
  const evil = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>';

  it('HTML in every string field stays inert text (strings are kept as strings, nothing is interpreted)', () => {
    const d = raw();
    d.model.name = evil;
    d.model.file = evil;
    d.model.inputName = evil;
    d.model.logitsOutput = evil;
    d.model.card = { name: evil, labels: [evil], nested: { deeper: evil } };
    d.labels.source = evil;
    d.dataset.name = evil;
    d.dataset.layout = evil;
    d.preprocessing.decoder = evil;
    d.clean.dataset = evil;
    d.app.version = evil;
    d.createdAt = evil;
    d.unreadable = [{ path: evil, reason: evil }];
    d.notes = [evil];
    const back = validateResult(d);
    expect(back.model.name).toBe(evil);
    expect(back.model.card).toEqual({ name: evil, labels: [evil], nested: { deeper: evil } });
    expect(back.dataset.name).toBe(evil);
    expect(back.dataset.layout).toBe(evil.slice(0, 20));
    expect(back.createdAt).toBe(evil.slice(0, 40));
    expect(back.notes).toEqual([evil]);
    expect(back.unreadable).toEqual([{ path: evil, reason: evil }]);
  });

  it('no Svelte view renders HTML from data: no {@html}, innerHTML or insertAdjacentHTML in src/ or workers/', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(svelte|ts)$/.test(name) && /\{@html|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML/.test(readFileSync(p, 'utf8'))) offenders.push(p);
      }
    };
    walk(join(PROJECT_ROOT, 'src'));
    walk(join(PROJECT_ROOT, 'workers'));
    expect(offenders).toEqual([]);
  });

  it('huge numbers: counts ≥ 1e9 or 1e308 are rejected; metadata numbers become 0', () => {
    for (const n of [1e308, 2e9, Number.MAX_SAFE_INTEGER]) {
      const d = raw();
      d.corruptions.fog.severities['1'] = { n, errors: 0 };
      rejects(d, /corruptions\.fog\.severities\.1: "n" and "errors" must be whole numbers/);
    }
    const d = raw();
    d.clean = { n: 1e308, errors: 1e308, dataset: 'x' };
    rejects(d, /clean: "n" and "errors" must be whole numbers/);
    const ok = raw();
    ok.model.bytes = 1e308;
    ok.counts.images = 1e300;
    ok.labels.count = -1e308;
    const back = validateResult(ok);
    expect([back.model.bytes, back.counts.images, back.labels.count]).toEqual([0, 0, 0]);
  });

  it('errors > n and non-integer counts are rejected', () => {
    const d = raw();
    d.corruptions.snow.severities['2'] = { n: 12, errors: 13 };
    rejects(d, /corruptions\.snow\.severities\.2: more errors than images/);
    const d2 = raw();
    d2.corruptions.snow.severities['2'] = { n: 12.5, errors: 1 };
    rejects(d2, /whole numbers/);
  });

  it('missing fields: model, corruptions, backend, sha256', () => {
    for (const [field, re] of [
      ['model', /"model" missing/],
      ['corruptions', /"corruptions" missing/],
      ['backend', /"backend" must be/],
    ] as const) {
      const d = raw();
      delete d[field];
      rejects(d, re);
    }
    const d = raw();
    delete d.model.sha256;
    rejects(d, /model\.sha256: expected a string/);
  });

  it('wrong schema: other schema strings, a number, an array, another tool\'s JSON', () => {
    rejects({ ...raw(), schema: 'shiftlens.result/v0' }, /"schema" is "shiftlens\.result\/v0", expected "shiftlens\.result\/v1"/);
    rejects({ ...raw(), schema: 1 }, /"schema" is 1/);
    rejects([raw()], /expected a JSON object/);
    rejects({ model: 'resnet', accuracy: { clean: 0.7 } }, /"schema" is missing/);
  });

  it('a 50 MB string is cut to the field limit; in a key or a card it is refused or dropped', () => {
    const big = '<b>'.repeat(17_000_000);
    const d = raw();
    d.model.name = big;
    d.model.card = { blob: big };
    d.junk = big;
    const back = validateResult(d) as ResultDocument & Record<string, unknown>;
    expect(back.model.name).toHaveLength(500);
    expect(back.model.card).toEqual({});
    expect('junk' in back).toBe(false);
    const d2 = raw();
    d2.outcomes.keys[0] = big;
    rejects(d2, /outcomes\.keys\[0\]: expected a non-empty string of at most 1000 characters/);
  });

  it('deeply nested junk: dropped from the card, harmless elsewhere; no stack overflow', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const text = JSON.stringify(raw())
      .replace('"card":{}', `"card":{"x":${deep}}`)
      .replace('"backend"', `"junk":${deep},"backend"`);
    expect(text.split(deep)).toHaveLength(3);
    const back = parseResultFile(text, 'deep.json');
    expect(back.model.card).toEqual({});
    const shallow = JSON.stringify(raw()).replace('"card":{}', `"card":{"x":${'['.repeat(10)}1${']'.repeat(10)}}`);
    expect(parseResultFile(shallow, 'ok.json').model.card).toEqual({ x: [[[[[[[[[[1]]]]]]]]]] });
  });

  it('prototype-pollution keys: rejected in corruptions and severities, dropped from the card, nothing polluted', () => {
    const base = JSON.stringify(raw());
    rejects(JSON.parse(base.replace('"corruptions":{', '"corruptions":{"__proto__":{"severities":{"1":{"n":1,"errors":0}}},')), /unknown corruption "__proto__"/);
    rejects(JSON.parse(base.replace('"corruptions":{', '"corruptions":{"constructor":{"severities":{}},')), /unknown corruption "constructor"/);
    const withCard = JSON.parse(base.replace('"card":{}', '"card":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"name":"m"}'));
    const back = validateResult(withCard);
    expect(Object.keys(back.model.card)).toEqual(['name']);
    expect(Object.getPrototypeOf(Object.assign({}, back.model.card))).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('unknown corruption names are rejected, quoted as text and cut to 40 characters', () => {
    const d = raw();
    d.corruptions[evil] = { severities: { '1': { n: 1, errors: 0 } } };
    rejects(d, /unknown corruption "<script>alert\(document\.cookie\)<\/script><"$/);
  });
});

describe('parseResultFile', () => {
  const fails = (text: string, name: string, re: RegExp) => {
    let err: unknown;
    try {
      parseResultFile(text, name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResultFileError);
    expect((err as Error).message).toMatch(re);
    return err as ResultFileError;
  };

  it('parses a good file', () => {
    const doc = docWithOutcomes();
    expect(parseResultFile(JSON.stringify(doc), 'run.json')).toEqual(doc);
  });

  it('not JSON: names the file', () => {
    fails('{"schema": "shiftlens.result/v1",', 'half.json', /^half\.json: not JSON \(/);
    fails('', 'empty.json', /^empty\.json: not JSON/);
    fails('<html><script>alert(1)</script>', 'page.html', /^page\.html: not JSON/);
  });

  it('invalid: names the file and the first problems', () => {
    const d = raw();
    d.corruptions.fog.severities['1'] = { n: 1, errors: 2 };
    d.corruptions.snow.severities['1'] = { n: -1, errors: 0 };
    const err = fails(JSON.stringify(d), 'shard-b.json', /^shard-b\.json: not a valid ShiftLens result; corruptions\.snow\.severities\.1: .*; corruptions\.fog\.severities\.1: more errors than images/);
    expect(err.fileName).toBe('shard-b.json');
    expect(err.problems).toHaveLength(3);
    fails(JSON.stringify({ schema: 'x' }), 'other.json', /^other\.json: not a valid ShiftLens result; "schema" is "x"/);
  });

  it('more than 100 MB is refused before parsing', () => {
    fails(' '.repeat(100_000_001), 'huge.json', /^huge\.json: 100 MB is too large/);
  });
});
