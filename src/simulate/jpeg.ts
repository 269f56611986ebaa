/**
 * A minimal baseline JPEG encoder for simulator images: 8-bit greyscale, one
 * component, flat 8x8 blocks (DC coefficient only, every AC coefficient zero).
 * That is enough for a real, decodable JPEG of any size with a recognisable
 * picture (a gradient background and a dark target silhouette) at a few bytes
 * per block. Pure; no dependencies.
 */

// Standard luminance DC Huffman table (ITU T.81 Annex K.3).
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
// AC table with one symbol: EOB (0x00) coded as "0". Every block is DC + EOB.
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALS = [0x00];

/** Canonical Huffman codes from a BITS/HUFFVAL pair: symbol -> [code, length]. */
function huffCodes(bits: number[], vals: number[]): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < bits[len - 1]!; i++) out.set(vals[k++]!, [code++, len]);
    code <<= 1;
  }
  return out;
}
const DC_CODES = huffCodes(DC_BITS, DC_VALS);
const EOB = huffCodes(AC_BITS, AC_VALS).get(0)!;

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(code: number, len: number): void {
    for (let i = len - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((code >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00); // byte stuffing
    this.acc = 0;
    this.n = 0;
  }
  finish(): number[] {
    if (this.n > 0) this.write((1 << (8 - this.n)) - 1, 8 - this.n); // pad with 1-bits
    return this.bytes;
  }
}

function segment(marker: number, payload: number[]): number[] {
  const len = payload.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...payload];
}

/** Grey level (0..255) of the block at (bx, by) in a bw x bh block grid. */
export type BlockPainter = (bx: number, by: number, bw: number, bh: number) => number;

/** Sky-to-ground gradient with a dark upright silhouette in the middle third. */
export const silhouette =
  (shade = 0): BlockPainter =>
  (bx, by, bw, bh) => {
    const inX = bx >= bw * 0.38 && bx < bw * 0.62;
    const inY = by >= bh * 0.15 && by < bh * 0.95;
    if (inX && inY) return 40 + shade;
    return Math.round(170 - (60 * by) / Math.max(1, bh - 1)) + shade;
  };

/**
 * Encodes a width x height greyscale baseline JPEG. `comment` goes into a COM
 * segment, which makes every simulated image unique without re-encoding.
 */
export function encodeJpeg(width: number, height: number, paint: BlockPainter = silhouette(), comment?: string): Buffer {
  if (!(width >= 1 && height >= 1 && width <= 65535 && height <= 65535)) throw new RangeError('jpeg size out of range');
  const bw = Math.ceil(width / 8);
  const bh = Math.ceil(height / 8);
  const bw_ = new BitWriter();
  let pred = 0;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const grey = Math.max(0, Math.min(255, Math.round(paint(bx, by, bw, bh))));
      // Level-shifted flat block: F(0,0) = 8 * (grey - 128); quantised by 8 below.
      const dc = grey - 128;
      const diff = dc - pred;
      pred = dc;
      const mag = Math.abs(diff);
      const cat = mag === 0 ? 0 : 32 - Math.clz32(mag);
      const [code, len] = DC_CODES.get(cat)!;
      bw_.write(code, len);
      if (cat > 0) bw_.write(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
      bw_.write(EOB[0], EOB[1]);
    }
  }
  const scan = bw_.finish();
  const parts: number[] = [0xff, 0xd8];
  parts.push(...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  if (comment) parts.push(...segment(0xfe, [...Buffer.from(comment.slice(0, 60000), 'latin1')]));
  parts.push(...segment(0xdb, [0x00, ...new Array<number>(64).fill(8)]));
  parts.push(...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]));
  parts.push(...segment(0xc4, [0x00, ...DC_BITS, ...DC_VALS]));
  parts.push(...segment(0xc4, [0x10, ...AC_BITS, ...AC_VALS]));
  parts.push(...segment(0xda, [1, 1, 0x00, 0, 63, 0]));
  const head = Buffer.from(parts);
  return Buffer.concat([head, Buffer.from(scan), Buffer.from([0xff, 0xd9])]);
}

/** Reads width/height from the SOF0 marker (used by tests and sanity checks). */
export function jpegSize(buf: Buffer): { width: number; height: number } | undefined {
  if (buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return undefined;
    const marker = buf[i + 1]!;
    const len = buf.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return undefined;
}

/** The same JPEG with a COM segment inserted after SOI+APP0 (cheap per-image uniqueness). */
export function withComment(jpeg: Buffer, comment: string): Buffer {
  const app0End = jpeg[2] === 0xff && jpeg[3] === 0xe0 ? 4 + jpeg.readUInt16BE(4) : 2;
  const text = Buffer.from(comment.slice(0, 60000), 'latin1');
  const len = text.length + 2;
  return Buffer.concat([jpeg.subarray(0, app0End), Buffer.from([0xff, 0xfe, len >> 8, len & 0xff]), text, jpeg.subarray(app0End)]);
}
