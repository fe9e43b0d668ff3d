import type { Page } from 'playwright-core';
import { downloadFrom, waitForDone } from './browser';

export interface RunInputs {
  model: string;
  card?: string;
  labels?: string;
  /** Folder (or list of files) for the ImageNet-C input. */
  dataset?: string;
  clean?: string;
  backend?: 'auto' | 'webgpu' | 'wasm';
  batchSize?: number;
  /**
   * WASM inference threads. With a fixed batch size (no warm-up) and no choice here, one: the suite runs two files at
   * a time on 2 cores, where onnxruntime's second thread, spinning for a busy core, halved throughput (MobileNetV2
   * int8, 1250 images beside a loaded core: 226 s with 2 threads, 120 s with 1; alone the two are within 10 %).
   */
  threads?: number;
}

/** Fills the automation contract's inputs and presses Run. */
export async function startRun(page: Page, inputs: RunInputs): Promise<void> {
  await page.getByTestId('model-input').setInputFiles(inputs.model);
  if (inputs.card) await page.getByTestId('model-card-input').setInputFiles(inputs.card);
  if (inputs.labels) await page.getByTestId('labels-input').setInputFiles(inputs.labels);
  if (inputs.dataset) await page.getByTestId('dataset-input').setInputFiles(inputs.dataset);
  if (inputs.clean) await page.getByTestId('clean-input').setInputFiles(inputs.clean);
  if (inputs.backend) await page.getByTestId('backend-select').selectOption(inputs.backend);
  if (inputs.batchSize) await page.getByTestId('batch-size').fill(String(inputs.batchSize));
  if (inputs.threads || inputs.batchSize) await page.getByTestId('threads-select').selectOption(String(inputs.threads ?? 1));
  await page.getByTestId('run').click();
}

/**
 * Opens a step (1 model, 2 data) that collapsed to its one-line summary, as a user does with "Change"; a step that
 * is open already is left as it is.
 */
export async function expandStep(page: Page, step: 'model' | 'data'): Promise<void> {
  const change = page.getByTestId(`step-${step}-change`);
  if (await change.isVisible()) await change.click();
}

export interface RunOutputs {
  result: Record<string, any>;
  predictions: { path: string; label: number; top5?: number[]; logits_top5?: number[]; unreadable?: string }[];
}

/** Runs to `done`, then exports the result JSON and the per-image predictions. */
export async function runAndExport(page: Page, inputs: RunInputs, timeoutMs = 600_000): Promise<RunOutputs> {
  await startRun(page, inputs);
  await waitForDone(page, timeoutMs);
  const result = JSON.parse(await downloadFrom(page, 'export-json'));
  const predictions = (await downloadFrom(page, 'export-predictions'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  return { result, predictions };
}

/** Maps an app path (prefixed with the picked folder's name) to the reference's path. */
export function referenceKey(appPath: string): string {
  const parts = appPath.split('/');
  const n = parts.length;
  if (n >= 4 && /^[1-5]$/.test(parts[n - 3])) return `imagenet-c-mini/${parts.slice(n - 4).join('/')}`;
  return `imagenet-val-sample/${parts.slice(n - 2).join('/')}`;
}
