/** Lets the browser paint and handle input (a macrotask boundary). */
export function yieldToBrowser(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (s?.yield) return s.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Maps a large array in slices of at most `budgetMs`, yielding between slices, so the page stays responsive.
 * Needed where each item is cheap but not free: a File's size and lastModified are a synchronous lookup.
 */
export async function mapInSlices<T, R>(items: readonly T[], fn: (item: T, index: number) => R, budgetMs = 15): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i], i);
    if ((i & 63) === 63 && performance.now() - sliceStart > budgetMs) {
      await yieldToBrowser();
      sliceStart = performance.now();
    }
  }
  return out;
}

let lastYield = 0;
/**
 * Yields to the browser when the current task has run longer than `budgetMs`: long loops of cheap awaited steps
 * (directory listings, cache reads) would otherwise chain microtasks into one long task.
 */
export async function yieldIfBusy(budgetMs = 12): Promise<void> {
  const now = performance.now();
  if (lastYield === 0) lastYield = now;
  if (now - lastYield < budgetMs) return;
  await yieldToBrowser();
  lastYield = performance.now();
}
