/** The errors an evaluation run can end with, by name, so callers can tell them apart with `instanceof`. */

/** The user cancelled; what was computed is kept (the session saves it as a partial run). */
export class RunCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** A worker died (its error event fired, a message could not be read) or was terminated with calls pending. */
export class WorkerCrashed extends Error {
  override name = 'WorkerCrashed';
}

/** The WebGPU device was lost: nothing on it is coming back in this tab, so inference moves to WASM. */
export class DeviceLost extends Error {
  override name = 'DeviceLost';
}

/** The warm-up could not run even the smallest batch: the model cannot be run on this backend as it is. */
export class WarmupFailed extends Error {
  override name = 'WarmupFailed';
  constructor(
    readonly batch: number,
    cause: unknown,
  ) {
    super(`warm-up failed at batch ${batch}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
