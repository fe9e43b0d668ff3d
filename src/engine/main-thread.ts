/** Lets the browser paint and handle input (a macrotask boundary). */
export function yieldToBrowser(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (s?.yield) return s.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
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
