/** Index of the largest value; the first one wins a tie (the lower class index), NaN never wins. */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = values[offset + i];
    if (v > bestValue || (best < 0 && v === bestValue)) {
      best = i;
      bestValue = v;
    }
  }
  return best < 0 ? 0 : best;
}

/** The k largest values in descending order, ties broken by the lower index. */
export function topK(values: ArrayLike<number>, k: number, offset = 0, length = values.length - offset): { indices: number[]; values: number[] } {
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < length; i++) {
    const v = values[offset + i];
    if (Number.isNaN(v)) continue;
    if (idx.length === k && v <= val[k - 1]) continue;
    // Insert after every equal value: an earlier (lower) index stays ahead in a tie.
    let pos = idx.length;
    while (pos > 0 && val[pos - 1] < v) pos--;
    idx.splice(pos, 0, i);
    val.splice(pos, 0, v);
    if (idx.length > k) {
      idx.pop();
      val.pop();
    }
  }
  return { indices: idx, values: val };
}
