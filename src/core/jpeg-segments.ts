/**
 * Removes EXIF (APP1) and ICC (APP2) segments from a JPEG so that a browser decoder neither rotates the
 * pixels nor converts their colours: the reference (Pillow) ignores both. Other bytes are left untouched.
 * Returns the input itself when it is not a JPEG or has nothing to strip.
 */
export function stripOrientationAndColorProfile(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return bytes;
  const keep: Array<[number, number]> = [];
  let pos = 2;
  let start = 0;
  let stripped = false;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return bytes; // not a marker where one must be: leave it to the decoder
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // start of scan: no more metadata
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (len < 2) return bytes;
    if (marker === 0xe1 || marker === 0xe2) {
      keep.push([start, pos]);
      start = pos + 2 + len;
      stripped = true;
    }
    pos += 2 + len;
  }
  if (!stripped) return bytes;
  keep.push([start, bytes.length]);
  const out = new Uint8Array(keep.reduce((s, [a, b]) => s + Math.max(0, b - a), 0));
  let o = 0;
  for (const [a, b] of keep) {
    if (b <= a) continue;
    out.set(bytes.subarray(a, b), o);
    o += b - a;
  }
  return out;
}

/**
 * True when a JPEG has no end-of-image marker after its first scan. Browsers draw a truncated JPEG with grey
 * filling the missing part; Pillow (the reference) refuses it. Inside entropy-coded data 0xFF is always
 * followed by 0x00 or a restart marker, so a 0xFFD9 after SOS can only be the real EOI.
 */
export function jpegIsTruncated(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return false; // not a JPEG: not ours to judge
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return true;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xda) break;
    pos += 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
  }
  if (pos + 4 > bytes.length) return true;
  for (let i = bytes.length - 2; i > pos; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return false;
  }
  return true;
}
