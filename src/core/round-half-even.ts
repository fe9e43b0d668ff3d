/** Round half to even, as Python's `round()`, numpy's `round` and OpenCV's `cvRound` do. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
