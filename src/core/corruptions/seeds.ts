/**
 * The per-output seed ImageNet-C-mini was made with (SPEC.md §4): the first 4 bytes, little-endian, of
 * SHA-256("<base_seed>|<wnid>/<stem>|<corruption>|<severity>"). With base seed 1234 a generated set replays the
 * fixture set exactly.
 */
export async function outputSeed(baseSeed: number, classFolder: string, stem: string, corruption: string, severity: number): Promise<number> {
  const text = `${baseSeed}|${classFolder}/${stem}|${corruption}|${severity}`;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return (digest[0] | (digest[1] << 8) | (digest[2] << 16) | (digest[3] << 24)) >>> 0;
}
