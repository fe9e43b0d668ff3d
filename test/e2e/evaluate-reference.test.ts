import { beforeAll, expect, it } from 'vitest';
import { type AppSession } from '../support/browser';
import { useApp } from '../support/use-app';
import { describeFixtures, fixture } from '../support/fixtures';
import { referenceKey, runAndExport } from '../support/app-driver';
import { MODELS, loadReferencePredictions, loadReferenceSummary } from '../support/reference';

/**
 * The heart of the product: the built app, in real headless Chromium, evaluates the fixture ImageNet-C set and
 * the clean sample, and must agree image by image with onnxruntime-node on Pillow-decoded pixels.
 */
describeFixtures('evaluation agrees with the reference, image by image', () => {
  const ctx = useApp();
  let app: AppSession;
  beforeAll(async () => {
    app = ctx.app;
  });

  /**
   * SqueezeNet on everything (4750 ImageNet-C + 487 clean). MobileNetV2-int8 on the clean sample only: its ImageNet-C
   * part, image by image and cell by cell, is the demo's e2e (test/e2e/demo.test.ts generates the same 4750 images
   * in the browser and compares every top-1 with this reference), so it is not evaluated twice in one suite.
   */
  const cases = [
    { key: 'squeezenet', model: MODELS.squeezenet, corrupted: true },
    { key: 'mobilenet', model: MODELS.mobilenet, corrupted: false },
  ] as const;
  let fresh = true; // the page useApp opened has run nothing yet: no reload before the first model
  for (const { key, model, corrupted } of cases) {
    it(`${key}: top-1 per image${corrupted ? ', error counts, mCE' : ''} and clean error`, async () => {
      if (!fresh) await app.page.reload();
      fresh = false;
      const { result, predictions } = await runAndExport(app.page, {
        model: fixture('models', model.file),
        labels: fixture('labels', 'imagenet_class_index.json'),
        dataset: corrupted ? fixture('imagenet-c-mini') : undefined,
        clean: fixture('imagenet-val-sample'),
        backend: 'wasm',
      });
      const reference = loadReferencePredictions(model.reference);
      const summary = loadReferenceSummary(model.reference);

      // Per image: top-1 agreement ≥ 99.8 %, and the logits themselves close.
      expect(predictions.length).toBe((corrupted ? 4750 : 0) + 487);
      let agree = 0;
      const disagreements: string[] = [];
      // Top logit difference where top-1 agrees, per part: the ImageNet-C JPEGs are 4:2:0 Pillow saves; the clean
      // sample holds the decoder edge cases (4:2:2, greyscale, EXIF, ICC) where browser and Pillow pixels may differ.
      const logitDiffs = { corrupted: [] as [number, string][], clean: [] as [number, string][] };
      for (const p of predictions) {
        const refKey = referenceKey(p.path);
        const ref = reference.get(refKey);
        expect(ref, p.path).toBeDefined();
        expect(p.label).toBe(ref!.label);
        if (p.top5?.[0] === ref!.top5[0]) {
          agree++;
          const part = refKey.startsWith('imagenet-c-mini/') ? 'corrupted' : 'clean';
          logitDiffs[part].push([Math.abs(p.logits_top5![0] - ref!.logits_top5[0]), refKey]);
        } else disagreements.push(`${p.path}: ${p.top5?.[0]} vs ${ref!.top5[0]}`);
      }
      for (const part of ['corrupted', 'clean'] as const) {
        const d = logitDiffs[part].sort((a, b) => b[0] - a[0]);
        console.log(`${key} ${part}: ${d.filter(([x]) => x > 1e-3).length} images with |Δ top logit| > 1e-3; worst`, d.slice(0, 3));
      }
      console.log(`${key}: ${agree}/${predictions.length} top-1 agree`, disagreements.slice(0, 5));
      expect(agree / predictions.length).toBeGreaterThanOrEqual(0.998);
      expect(result.schema).toBe('shiftlens.result/v1');
      expect(result.backend).toBe('wasm');
      expect(result.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      const cleanRef = summary.clean['imagenet-val-sample'];
      expect(result.clean.n).toBe(cleanRef.n);
      expect(Math.abs((100 * result.clean.errors) / result.clean.n - 100 * cleanRef.top1_error)).toBeLessThan(0.3);
      if (!corrupted) return;

      const corruptedOff = logitDiffs.corrupted.filter(([x]) => x > 1e-3).length;
      expect(corruptedOff / logitDiffs.corrupted.length).toBeLessThan(0.01);

      // Per (corruption, severity): the same error counts as the reference.
      for (const [corruption, bySeverity] of Object.entries<any>(summary['imagenet-c-mini'])) {
        for (const s of ['1', '2', '3', '4', '5']) {
          const ours = result.corruptions[corruption].severities[s];
          expect(ours, `${corruption}/${s}`).toEqual({ n: bySeverity[s].n, errors: bySeverity[s].top1_errors });
        }
        expect(result.metrics.ce[corruption], corruption).toBeCloseTo(bySeverity.CE * 100, 6);
        expect(result.metrics.relativeCe[corruption], corruption).toBeCloseTo(bySeverity.relative_CE * 100, 6);
      }

      // Headline numbers (percent in our JSON, fractions in the summary): the bar is 0.3 points; equal counts give equality.
      expect(Math.abs(result.metrics.mCE - summary.mCE * 100)).toBeLessThan(0.3);
      expect(result.metrics.mCE).toBeCloseTo(summary.mCE * 100, 6);
      expect(result.metrics.relativeMCE).toBeCloseTo(summary.relative_mCE * 100, 6);
      expect(result.metrics.meanError19).toBeCloseTo(summary.mean_top1_error_19 * 100, 6);
      expect(result.metrics.meanError15).toBeCloseTo(summary.mean_top1_error_15 * 100, 6);
      expect(result.cleanMatched.n).toBe(50);
    });
  }
});
