/** Standard base64 (RFC 4648, with padding) for bytes, without DOM or Node APIs so it runs in workers and Node alike. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  // Chunks keep String.fromCharCode's argument list short.
  const CHUNK = 3 * 8192;
  const codes = new Uint16Array(4 * (CHUNK / 3));
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    let o = 0;
    let i = start;
    for (; i + 2 < end; i += 3) {
      const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      codes[o++] = ALPHABET.charCodeAt(v >>> 18);
      codes[o++] = ALPHABET.charCodeAt((v >>> 12) & 63);
      codes[o++] = ALPHABET.charCodeAt((v >>> 6) & 63);
      codes[o++] = ALPHABET.charCodeAt(v & 63);
    }
    if (i < end) {
      const rest = end - i;
      const v = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
      codes[o++] = ALPHABET.charCodeAt(v >>> 18);
      codes[o++] = ALPHABET.charCodeAt((v >>> 12) & 63);
      codes[o++] = rest === 2 ? ALPHABET.charCodeAt((v >>> 6) & 63) : 61;
      codes[o++] = 61;
    }
    parts.push(String.fromCharCode(...codes.subarray(0, o)));
  }
  return parts.join('');
}

export class Base64Error extends Error {}

/** Decodes padded standard base64; anything else (whitespace, URL-safe letters, bad padding) is refused. */
export function decodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Base64Error(`base64 length ${text.length} is not a multiple of 4`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const padded = last && j >= 4 - pad;
      const d = padded ? (c === 61 ? 0 : -1) : c < 128 ? VALUE[c] : -1;
      if (d < 0) throw new Base64Error(`invalid base64 character at ${i + j}`);
      v = (v << 6) | d;
    }
    out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}
