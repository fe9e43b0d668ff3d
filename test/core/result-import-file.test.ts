import { describe, expect, it } from 'vitest';
import { aggregate, type ImagePrediction } from '../../src/core/aggregate';
import { MAX_RESULT_FILE_CHARS, buildResult, parseResultFile, type ResultDocument } from '../../src/core/result-document';
import { importResultFile } from '../../src/core/result-import';
import { referenceMeta } from '../support/reference-predictions';

/** A small valid result (every corruption × severity, 6 images, clean for the same 6). */
function smallDoc(): ResultDocument {
  const preds: ImagePrediction[] = [];
  const names = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur', 'snow', 'frost', 'fog',
    'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression'];
  const pred = (corruption: string | null, severity: number | null, i: number, wrong: boolean): ImagePrediction => ({
    path: `${corruption ?? 'val'}/${severity ?? ''}/n0${i % 2}/img${i}.JPEG`,
    corruption,
    severity,
    label: 1,
    identity: `n0${i % 2}/img${i}`,
    top: [wrong ? 2 : 1],
    topLogits: [0],
  });
  names.forEach((c, ci) => {
    for (let s = 1; s <= 5; s++) for (let i = 0; i < 6; i++) preds.push(pred(c, s, i, (i + ci + s) % 3 === 0));
  });
  for (let i = 0; i < 6; i++) preds.push(pred(null, null, i, i % 4 === 0));
  return buildResult(aggregate(preds), referenceMeta('mobilenetv2-12-int8'), preds);
}

/** A blob that claims a size and must never be read. */
class UnreadableBlob extends Blob {
  reads = 0;
  constructor(
    readonly name: string,
    private readonly claimedSize: number,
  ) {
    super(['{}']);
  }
  override get size(): number {
    return this.claimedSize;
  }
  override text(): Promise<string> {
    this.reads++;
    throw new Error('text() must not be called for a file over the limit');
  }
}

/** A blob whose reading fails (e.g. the file was removed after it was picked). */
class FailingBlob extends Blob {
  constructor(readonly name: string) {
    super(['{}']);
  }
  override text(): Promise<string> {
    return Promise.reject(new Error('NotReadableError: the file could not be read'));
  }
}

describe('importResultFile (what the analysis worker runs for each imported file)', () => {
  it('returns the validated document of a valid result file, as parseResultFile does', async () => {
    const doc = smallDoc();
    const text = JSON.stringify(doc);
    const r = await importResultFile(new File([text], 'run.json', { type: 'application/json' }));
    expect(r).toEqual({ ok: true, doc: parseResultFile(text, 'run.json'), name: 'run.json' });
    expect(r.ok && r.doc).toEqual(doc);
  });

  it('rejects a file over the limit from its size alone, without reading it', async () => {
    const blob = new UnreadableBlob('huge.json', MAX_RESULT_FILE_CHARS + 1);
    const r = await importResultFile(blob);
    expect(blob.reads).toBe(0);
    expect(r).toEqual({ ok: false, name: 'huge.json', message: `huge.json: 100 MB is too large for a result file (at most ${MAX_RESULT_FILE_CHARS / 1e6} MB)` });
    const big = await importResultFile(new UnreadableBlob('bigger.json', 250e6));
    expect(big.ok === false && big.message).toBe('bigger.json: 250 MB is too large for a result file (at most 100 MB)');
  });

  it('a file exactly at the limit is read (the limit is inclusive)', async () => {
    const blob = new UnreadableBlob('edge.json', MAX_RESULT_FILE_CHARS);
    const r = await importResultFile(blob);
    expect(blob.reads).toBe(1);
    expect(r.ok === false && r.message).toMatch(/^edge\.json: could not be read \(text\(\) must not be called/);
  });

  it('names the file in the messages of parseResultFile: not JSON, wrong schema, invalid values', async () => {
    const notJson = await importResultFile(new File(['{"schema": "shiftlens.result/v1", '], 'not-json.json'));
    expect(notJson.ok).toBe(false);
    expect(!notJson.ok && notJson.message).toMatch(/^not-json\.json: not JSON \(/);
    const wrong = await importResultFile(new File([JSON.stringify({ ...smallDoc(), schema: 'robustbench/v9' })], 'wrong-schema.json'));
    expect(!wrong.ok && wrong.message).toMatch(/^wrong-schema\.json: not a valid ShiftLens result; "schema" is "robustbench\/v9"/);
    const huge = await importResultFile(new File([JSON.stringify({ ...smallDoc(), clean: { n: 1e308, errors: 5 } })], 'huge.json'));
    expect(huge.ok).toBe(false);
    expect(!huge.ok && huge.message).toMatch(/^huge\.json: not a valid ShiftLens result/);
    // The same messages as parseResultFile on the main thread used to give.
    for (const [text, name] of [['[1, 2', 'a.json'], ['{"schema": "x"}', 'b.json'], ['null', 'c.json']] as const) {
      const r = await importResultFile(new File([text], name));
      let expected = '';
      try {
        parseResultFile(text, name);
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(r).toEqual({ ok: false, name, message: expected });
    }
  });

  it('a file that cannot be read is a message naming the file, not an exception', async () => {
    const r = await importResultFile(new FailingBlob('gone.json'));
    expect(r).toEqual({ ok: false, name: 'gone.json', message: 'gone.json: could not be read (NotReadableError: the file could not be read)' });
  });
});
