/**
 * Inline base64 JPEGs (protocol §4). Strict: the vendor placeholders
 * (`BASE64_JPEG_TARGET_CROP`, `...`) and anything else that is not canonical
 * base64 of a JPEG are refused with a reason, never thrown.
 */

export type DecodedImage =
  | { ok: true; bytes: Buffer; width?: number; height?: number }
  | { ok: false; error: string };

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const WS_RE = /\s+/g;

export function decodeImage(b64: string): DecodedImage {
  // Images are hundreds of KB: unwrapped base64 is checked in one pass; devices
  // that wrap long lines (whitespace is not data) pay a second one.
  let s = b64;
  let canonical = B64_RE.test(s);
  if (!canonical) {
    s = s.replace(WS_RE, '');
    canonical = B64_RE.test(s);
  }
  if (s.length === 0) return { ok: false, error: 'empty' };
  if (!canonical || s.length % 4 !== 0) return { ok: false, error: 'invalid_base64' };
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) {
    return { ok: false, error: 'not_jpeg' };
  }
  const dims = jpegDimensions(bytes);
  return dims ? { ok: true, bytes, width: dims.width, height: dims.height } : { ok: true, bytes };
}

/** Width/height from the first SOF segment, or null when none precedes the scan data. */
export function jpegDimensions(b: Buffer): { width: number; height: number } | null {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return null;
    let marker = b[i + 1]!;
    while (marker === 0xff && i + 2 < b.length) {
      i++;
      marker = b[i + 1]!;
    }
    i += 2;
    // standalone markers carry no length
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (marker === 0xd9 || marker === 0xda) return null;
    if (i + 1 >= b.length) return null;
    const len = b.readUInt16BE(i);
    if (len < 2) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 7 > b.length) return null;
      const height = b.readUInt16BE(i + 3);
      const width = b.readUInt16BE(i + 5);
      return width > 0 && height > 0 ? { width, height } : null;
    }
    i += len;
  }
  return null;
}
