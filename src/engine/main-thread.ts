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
