import type { XmlDocument, XObj } from './xml.js';

/**
 * Lean stand-in for `parseXmlDocument` (xml.ts) on the plain XML devices send:
 * one pass, no validator run, no generic DOM machinery. It builds the very tree
 * fast-xml-parser would build with the options in xml.ts (leaf text trimmed,
 * `type`/`xmlns` attributes dropped, others as `@_name`, `item`/`enum` always
 * arrays, repeated siblings as arrays), and lifts inline images exactly as
 * `extractBlobs` does, so the family parsers in parse.ts cannot tell the
 * difference.
 *
 * Contract: a non-null result deep-equals what `parseXmlDocument` returns for
 * the same body. Anything outside the plain subset answers null and the caller
 * uses the full parser: non-ASCII bytes, entity references, comments, DOCTYPE,
 * processing instructions, namespace prefixes, mixed content, several CDATA
 * sections in one value, whitespace at the edges of a CDATA value, names that
 * are Object.prototype members, malformed or truncated markup. A differential
 * property test holds it to that.
 *
 * Cost: every character is looked at once; a lifted image (hundreds of KB of
 * base64) is checked with one regex pass and never copied (a slice of the
 * latin1 source string, which equals the UTF-8 text because only ASCII gets
 * this far).
 */

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QMARK = 0x3f;
const BANG = 0x21;
const EQ = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const AMP = 0x26;
const COLON = 0x3a;

const MAX_DEPTH = 32;
const CR = 0x0d;
/** as in xml.ts extractBlobs */
const BLOB_MIN = 256;
const BLOB_TOKEN = 'vtblob:';
/**
 * Stricter than extractBlobs' `\s` (no \v, \f, U+00A0): content it would lift
 * and this does not ends in a bail-out, never in a different tree.
 */
const BLOB_RE = /^[A-Za-z0-9+/=\t\n\r ]*$/;
const DECL_RE = /^<\?xml(\s+[A-Za-z]+\s*=\s*("[^"<]*"|'[^'<]*'))*\s*\?>$/;
const DECL_ASCII_RE = /^[\t\n\r\x20-\x7e]*$/;
const ENC_RE = /encoding\s*=\s*["']([^"']*)["']/;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d;
}

/**
 * Printable ASCII other than `&`, `<`, `>`, or tab/newline: what a value may
 * hold here. A CR inside a value is left out: the full parser turns CRLF into
 * LF there (in a lifted image it stays, as extractBlobs keeps it).
 */
function isPlainChar(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e && c !== AMP && c !== LT && c !== GT) || c === 0x09 || c === 0x0a;
}

/**
 * Names the full parser renames (`__proto__` → `#__proto__`, `toString` →
 * `__toString`): leaving those to it is simpler than copying its renaming.
 */
const RENAMED = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/**
 * Names repeat from post to post: a small direct-mapped memo (by a hash taken
 * while the name is scanned anyway) hands back the same string instead of
 * slicing, hashing and internalizing a fresh one for every tag. Pure cache: a
 * miss only costs the slice. Attribute keys are memoized with their `@_`.
 */
const SLOTS = 512;
const elementNames: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
const attributeKeys: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

function sameAt(name: string, off: number, src: string, s: number, len: number): boolean {
  if (name.length !== len + off) return false;
  for (let i = 0; i < len; i++) if (name.charCodeAt(off + i) !== src.charCodeAt(s + i)) return false;
  return true;
}

/** The element name src[s, e) (hash h), or null for a renamed one. */
function elementName(src: string, s: number, e: number, h: number): string | null {
  const slot = h & (SLOTS - 1);
  const hit = elementNames[slot];
  if (hit !== undefined && sameAt(hit, 0, src, s, e - s)) return hit;
  const name = src.slice(s, e);
  if (RENAMED.has(name)) return null;
  elementNames[slot] = name;
  return name;
}

/** `@_` + the attribute name src[s, e) (hash h), or null for a renamed one. */
function attributeKey(src: string, s: number, e: number, h: number): string | null {
  const slot = h & (SLOTS - 1);
  const hit = attributeKeys[slot];
  if (hit !== undefined && sameAt(hit, 2, src, s, e - s)) return hit;
  const name = src.slice(s, e);
  if (RENAMED.has(name)) return null;
  const key = '@_' + name;
  attributeKeys[slot] = key;
  return key;
}

interface Frame {
  name: string;
  /** kept attributes (`@_name`), or null */
  attrs: XObj | null;
  /** child elements, once one was seen */
  children: XObj | null;
  /** trimmed leaf text (or CDATA content), once seen */
  text: string | null;
  /** for a blob element left in place: where extractBlobs expects its close tag */
  blobClose: number;
}

function addChild(parent: Frame, name: string, value: unknown): void {
  const kids = (parent.children ??= {});
  if (name === 'item' || name === 'enum') {
    const list = kids[name] as unknown[] | undefined;
    if (list) list.push(value);
    else kids[name] = [value];
    return;
  }
  if (!Object.hasOwn(kids, name)) {
    kids[name] = value;
    return;
  }
  const prev = kids[name];
  // values are never arrays themselves, so an array here is a repetition already seen
  if (Array.isArray(prev)) prev.push(value);
  else kids[name] = [prev, value];
}

function valueOf(f: Frame): unknown {
  if (f.children) {
    if (f.attrs) Object.assign(f.children, f.attrs);
    return f.children;
  }
  const t = f.text ?? '';
  if (!f.attrs) return t;
  return t === '' ? f.attrs : { '#text': t, ...f.attrs };
}

function isBlobName(name: string): boolean {
  return name === 'sourceBase64Data' || name === 'targetBase64Data';
}

/** The document of a plain post, or null when the full parser must decide. */
export function parseLeanDocument(body: Buffer): XmlDocument | null {
  const n = body.length;
  if (n === 0) return null;
  const src = body.toString('latin1');
  let pos = 0;
  if (src.charCodeAt(0) === LT && src.charCodeAt(1) === QMARK) {
    const end = src.indexOf('?>', 2);
    if (end < 0) return null;
    const decl = src.slice(0, end + 2);
    if (!decl.startsWith('<?xml') || !DECL_ASCII_RE.test(decl) || !DECL_RE.test(decl)) return null;
    const enc = ENC_RE.exec(decl)?.[1]?.toLowerCase();
    if (enc !== undefined && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii') return null;
    pos = end + 2;
  }

  const stack: Frame[] = [];
  const blobs: string[] = [];
  let top: Frame | null = null;
  let root: string | undefined;
  let rootValue: unknown;

  for (;;) {
    // text up to the next tag: whitespace, or the whole value of a leaf
    let first = -1;
    let last = -1;
    let cr = -1;
    let lt = pos;
    for (; lt < n; lt++) {
      const ch = src.charCodeAt(lt);
      if (ch === LT) break;
      if (isWs(ch)) {
        if (ch === CR) cr = lt;
        continue;
      }
      if (!isPlainChar(ch)) return null;
      if (first < 0) first = lt;
      else if (cr > first) return null; // a CR inside the value
      last = lt;
    }
    if (first >= 0) {
      // text outside the root, beside child elements, or beside a CDATA section
      if (top === null || top.children !== null || top.text !== null) return null;
      top.text = src.slice(first, last + 1);
    }
    if (lt >= n) break;
    pos = lt + 1;
    if (pos >= n) return null;
    const c = src.charCodeAt(pos);

    if (c === BANG) {
      // CDATA only, and only as the whole value of a leaf
      if (top === null || !src.startsWith('![CDATA[', pos)) return null;
      const end = src.indexOf(']]>', pos + 8);
      if (end < 0) return null;
      if (top.text !== null || top.children !== null) return null;
      const vs = pos + 8;
      if (end > vs && (isWs(src.charCodeAt(vs)) || isWs(src.charCodeAt(end - 1)))) return null;
      for (let i = vs; i < end; i++) if (!isPlainChar(src.charCodeAt(i))) return null;
      top.text = src.slice(vs, end);
      pos = end + 3;
      continue;
    }
    if (c === QMARK) return null;

    if (c === SLASH) {
      // the close tag must repeat the open element's name, then optional whitespace
      if (top === null) return null;
      const f: Frame = top;
      const s = pos + 1;
      const e = s + f.name.length;
      if (e >= n || !sameAt(f.name, 0, src, s, f.name.length)) return null;
      let k = e;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      if (k >= n || src.charCodeAt(k) !== GT) return null;
      if (f.blobClose >= 0 && (f.blobClose !== lt || k !== e)) return null;
      stack.pop();
      top = stack.length > 0 ? stack[stack.length - 1]! : null;
      closeElement(f);
      pos = k + 1;
      continue;
    }

    // opening tag
    if (!isNameStart(c) || (root !== undefined && top === null)) return null;
    // an element after text or CDATA: mixed content
    if (top !== null && top.text !== null) return null;
    const s = pos;
    let e = s;
    let h = 0;
    for (; e < n; e++) {
      const ch = src.charCodeAt(e);
      if (!isNameChar(ch)) break;
      h = (h * 31 + ch) | 0;
    }
    if (e >= n) return null;
    const after = src.charCodeAt(e);
    if (after !== GT && after !== SLASH && !isWs(after)) return null; // prefixes and junk
    const name = elementName(src, s, e, h);
    if (name === null) return null;
    let attrs: XObj | null = null;
    // the dropped attributes still count for the duplicate check (malformed XML)
    let sawType = false;
    let sawXmlns = false;
    let k = e;
    for (;;) {
      const wsStart = k;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      if (k >= n) return null;
      const ch = src.charCodeAt(k);
      if (ch === GT || ch === SLASH) break;
      if (k === wsStart || !isNameStart(ch)) return null;
      const as = k;
      let ah = 0;
      for (; k < n; k++) {
        const ac = src.charCodeAt(k);
        if (!isNameChar(ac)) break;
        ah = (ah * 31 + ac) | 0;
      }
      const ae = k;
      // a prefixed attribute (xmlns:a, xsi:type) is left to the full parser
      if (src.charCodeAt(k) === COLON) return null;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      if (src.charCodeAt(k) !== EQ) return null;
      k++;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      const q = src.charCodeAt(k);
      if (q !== DQUOTE && q !== SQUOTE) return null;
      const vs = k + 1;
      let close = vs;
      for (; close < n; close++) {
        const vc = src.charCodeAt(close);
        if (vc === q) break;
        if (!isPlainChar(vc)) return null;
      }
      if (close >= n) return null;
      k = close + 1;
      if (ae - as === 4 && src.startsWith('type', as)) {
        if (sawType) return null;
        sawType = true;
        continue;
      }
      if (ae - as === 5 && src.startsWith('xmlns', as)) {
        if (sawXmlns) return null;
        sawXmlns = true;
        continue;
      }
      const key = attributeKey(src, as, ae, ah);
      if (key === null) return null;
      if (attrs === null) attrs = {};
      else if (Object.hasOwn(attrs, key)) return null;
      // trimValues applies to attribute values too
      attrs[key] = src.slice(vs, close).trim();
    }
    let selfClosing = false;
    if (src.charCodeAt(k) === SLASH) {
      if (src.charCodeAt(k + 1) !== GT) return null;
      selfClosing = true;
      k++;
    }
    pos = k + 1;
    const frame: Frame = { name, attrs, children: null, text: null, blobClose: -1 };
    if (selfClosing) {
      closeElement(frame);
      continue;
    }
    if (stack.length >= MAX_DEPTH) return null;
    stack.push(frame);
    top = frame;
    if (isBlobName(name)) {
      const resume = liftBlob(frame, pos);
      if (resume < 0) return null;
      pos = resume;
    } else if (name.startsWith('sourceBase64Data') || name.startsWith('targetBase64Data')) {
      return null; // extractBlobs would match a prefix of this name
    }
  }

  if (root === undefined || top !== null) return null;
  return { root, node: rootValue, blobs };

  function closeElement(f: Frame): void {
    const value = valueOf(f);
    if (top !== null) addChild(top, f.name, value);
    else {
      root = f.name;
      rootValue = value;
    }
  }

  /**
   * extractBlobs' rule for `<sourceBase64Data>`/`<targetBase64Data>`: content
   * (whitespace-trimmed, optionally one CDATA section) of ≥ 256 base64
   * characters is replaced by a `vtblob:N` token. Returns where to continue,
   * or -1 to bail out.
   */
  function liftBlob(f: Frame, gt1: number): number {
    const close = src.indexOf('</' + f.name + '>', gt1);
    if (close < 0) return -1;
    let from = gt1;
    let to = close;
    while (from < to && isWs(src.charCodeAt(from))) from++;
    while (to > from && isWs(src.charCodeAt(to - 1))) to--;
    if (src.startsWith('<![CDATA[', from) && src.startsWith(']]>', to - 3) && to - 3 >= from + 9) {
      from += 9;
      to -= 3;
    }
    if (to - from >= BLOB_MIN && BLOB_RE.test(src.slice(from, to))) {
      f.text = BLOB_TOKEN + blobs.length;
      blobs.push(src.slice(from, to));
      return close;
    }
    // left in place: it is parsed like any leaf, and must end where extractBlobs resumes
    f.blobClose = close;
    return gt1;
  }
}
