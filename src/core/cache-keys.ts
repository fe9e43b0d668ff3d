import type { ModelCard } from './model-card';

/** Bumped whenever decoding or preprocessing changes what a cached prediction means. */
export const PIPELINE_VERSION = 1;

/** Everything about preprocessing that changes the input tensor, as a short stable string. */
export function preprocessingId(card: Pick<ModelCard, 'mean' | 'std' | 'inputSize' | 'resizeTo' | 'interpolation'>): string {
  const n = (xs: readonly number[]) => xs.map((x) => +x.toPrecision(8)).join(',');
  // Bilinear adds nothing, so keys made before the filter became a card field stay valid.
  const filter = card.interpolation && card.interpolation !== 'bilinear' ? `;f${card.interpolation}` : '';
  return `v${PIPELINE_VERSION};m${n(card.mean)};s${n(card.std)};i${card.inputSize};r${card.resizeTo}${filter}`;
}

/** The evaluation a prediction belongs to: one model, one preprocessing, one output, one adaptation setting. */
export interface EvaluationKey {
  readonly modelSha256: string;
  readonly preprocessing: string;
  readonly logitsOutput: string;
  /**
   * Test-time adaptation: the setting's canonical string (src/core/tta/adaptation.ts `adaptationId`: method, its
   * parameters and B; adapted predictions depend on the batch composition). Absent or 'none' for the source model,
   * whose keys are those of earlier versions.
   */
  readonly adaptation?: string;
}

/** `|a:<id>` for an adapted evaluation, nothing for the source model (keys made before adaptation stay valid). */
const adaptationSuffix = (e: EvaluationKey): string => (e.adaptation && e.adaptation !== 'none' ? `|a:${e.adaptation}` : '');

export const PREDICTION_PREFIX = 'p|';
export const RUN_PREFIX = 'r|';

export function evaluationPrefix(e: EvaluationKey): string {
  return `${PREDICTION_PREFIX}${e.modelSha256}|${e.preprocessing}|${e.logitsOutput}|`;
}

/** Prefix of one picked folder's predictions in the keys of earlier versions (cleared by the Cache panel). */
export function datasetPrefix(e: EvaluationKey, folderName: string): string {
  return `${evaluationPrefix(e)}${folderName}/`;
}

/**
 * Prediction keys at full size: 4.75 M records must not each repeat a 125-character model/preprocessing prefix,
 * so an evaluation (model sha256 + preprocessing + output) gets a small number, stored once under
 * `evaluationIdKey`, and a prediction is keyed `p<id>|<path>`. The file's size and last-modified time travel in
 * the value, where they are checked (see prediction-cache.ts for the rule).
 */
export const EVALUATION_ID_PREFIX = 'e|';
export const EVALUATION_COUNTER_KEY = 'e#';

export function evaluationIdKey(e: EvaluationKey): string {
  return `${EVALUATION_ID_PREFIX}${e.modelSha256}|${e.preprocessing}|${e.logitsOutput}${adaptationSuffix(e)}`;
}

/** Prefix of every prediction of one evaluation. */
export function evaluationIdPrefix(id: number): string {
  return `p${id}|`;
}

/** Key of one image's prediction: evaluation number + path from (and including) the picked folder. */
export function shortPredictionKey(id: number, path: string): string {
  return `p${id}|${path}`;
}

/** Prefix of one folder's predictions (a cell, or a picked folder). */
export function folderPrefix(id: number, dir: string): string {
  return `p${id}|${dir}/`;
}

/**
 * A finished cell's outcomes in one record, so a re-run from a full cache reads one value per cell instead of 50,000
 * (IndexedDB reads are per record: 4.75 M of them take many minutes). Keyed `s<id>|<cell folder>/`, outside the
 * `p<id>|` predictions (not counted as predictions) but within `cellSummaryPrefix(id, picked folder)` for clearing.
 * Written after the cell's per-image predictions, whenever a cell has finished and was not itself read from its
 * summary; used only when the cell's listing (and labels) digest is unchanged and spot checks pass (see
 * evaluation-session.ts): the per-image predictions stay the truth (inspector, export, fallback).
 */
export interface CellSummary {
  readonly v: 1;
  /** digest of the cell's images in index order (class folder, file name, label): ImageIndex.cellDigest */
  readonly digest: string;
  /** Outcome state per image (image-index.ts: 0 pending, 1 correct, 2 wrong, 3 unreadable). */
  readonly state: Uint8Array;
  /** Top-1 class per image (−1 when none). */
  readonly top: Int16Array;
  /** [image within the cell, reason] of the unreadable images. */
  readonly unreadable: [number, string][];
  /** The spot checks of a re-run: up to 4 images with an outcome, evenly spread, as [image within the cell, `<class>/<file>`]. */
  readonly spots: [number, string][];
}

export function cellSummaryKey(id: number, dir: string): string {
  return `s${id}|${dir}/`;
}

/** Prefix of the cell summaries of one evaluation (`folder` absent) or of one picked folder. */
export function cellSummaryPrefix(id: number, folder?: string): string {
  return folder === undefined ? `s${id}|` : `s${id}|${folder}/`;
}

export function runKey(e: EvaluationKey, datasets: readonly string[]): string {
  return `${RUN_PREFIX}${e.modelSha256}|${e.preprocessing}|${e.logitsOutput}|${datasets.join('+')}${adaptationSuffix(e)}`;
}

/** What is stored per image: enough to recompute every metric without the model. */
export interface CachedPrediction {
  /** Top-5 class indices. */
  readonly t: number[];
  /** Their logits. */
  readonly l: number[];
  /** The label it was scored against. */
  readonly y: number;
  /** Why the file could not be read, when it could not. */
  readonly u?: string;
  /** The file's size and last-modified time when it was evaluated (checked on reuse). */
  readonly s?: number;
  readonly m?: number;
}

/** A run's bookkeeping, written in the same transaction as its predictions. */
export interface RunRecord {
  readonly key: string;
  readonly evaluation: EvaluationKey;
  readonly modelName: string;
  readonly modelSha256: string;
  readonly datasets: string[];
  readonly total: number;
  /** Predictions inferred and stored, over every session of this run. */
  readonly inferredStored: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finished: boolean;
  /** The evaluation's number in prediction keys (`p<id>|…`). */
  readonly evaluationId?: number;
}
