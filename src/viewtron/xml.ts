import { isUtf8 } from 'node:buffer';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ViewtronParseError } from './errors.js';

/**
 * fast-xml-parser configured for the Viewtron push dialects, plus the small
 * accessors the family parsers use on its output.
 *
 * Why each option:
 * - parseTagValue/parseAttributeValue false: plates such as `0123` and 16/20-digit
 *   µs times must stay exact strings.
 * - ignoreAttributes: only the `type` annotations (noise on every IPC leaf) and
 *   xmlns declarations are dropped; `id`, `count`, `version` are kept as `@_x`.
 * - processEntities false: no entity machinery at all (DOCTYPE is refused before
 *   parsing); the five predefined entities are decoded by `text()` on demand.
 * - isArray for `item`/`enum`: one-item lists come out as arrays like longer ones.
 * - removeNSPrefix: `a:smartType` reads as `smartType`; the default namespace is ignored.
 * - transformTagName: `__proto__`, `constructor`, `prototype` would make the
 *   parser throw (its own pollution guard); they are renamed to `#name`, a key no
 *   XML name can produce, so the rest of the post still parses and nothing ever
 *   writes to a prototype. Other Object.prototype names (`toString`...) are
 *   renamed `__name` by the parser itself; all reads below use own-property checks.
 */

export type XObj = { [key: string]: unknown };

const HOSTILE_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

function safeName(name: string): string {
  return HOSTILE_NAMES.has(name) ? '#' + name : name;
}

/** Parser options are immutable and XMLParser keeps no state between parse() calls. */
const parser = new XMLParser({
  ignoreAttributes: (name: string) => name === 'type' || name === 'xmlns' || name.startsWith('xmlns:'),
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: false,
  htmlEntities: false,
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
  cdataPropName: false,
  isArray: (name: string, _jPath: unknown, _isLeaf: boolean, isAttribute: boolean) =>
    !isAttribute && (name === 'item' || name === 'enum'),
  transformTagName: safeName,
  transformAttributeName: safeName,
});

/**
 * Strict UTF-8 decode (a BOM is dropped). Throws 415 not_utf8. Native
 * validation + toString is several times faster than a fatal TextDecoder on
 * 500 KB image posts.
 */
export function decodeUtf8(body: Buffer): string {
  if (!isUtf8(body)) throw new ViewtronParseError(415, 'not_utf8', 'body is not valid UTF-8');
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Inline images are 95% of an alarm post (~500 KB of base64). Running the
 * validator and the parser over them costs ~20 ms per post on a loaded box, so
 * the content of `sourceBase64Data`/`targetBase64Data` elements is lifted out
 * first and replaced by a short token (`vtblob:N`) the image readers resolve.
 * Only content made of base64 characters (optionally in one CDATA section) is
 * lifted, so the remaining document is well-formed exactly when the original was.
 */
const BLOB_MIN = 256;
const BLOB_TOKEN = 'vtblob:';
const BASE64_TEXT_RE = /^[A-Za-z0-9+/=\s]*$/;

export function extractBlobs(text: string): { text: string; blobs: string[] } {
  const blobs: string[] = [];
  let out = '';
  let copied = 0;
  let i = 0;
  for (;;) {
    i = text.indexOf('Base64Data', i);
    if (i < 0) break;
    const lt = i - 7;
    const prefix = lt >= 0 ? text.slice(lt, i) : '';
    if (prefix !== '<source' && prefix !== '<target') {
      i += 10;
      continue;
    }
    const name = text.slice(lt + 1, i + 10);
    const gt = text.indexOf('>', i);
    if (gt < 0) break;
    if (text.charCodeAt(gt - 1) === 0x2f || text.lastIndexOf('<', gt) !== lt) {
      i = gt;
      continue;
    }
    const close = text.indexOf('</' + name + '>', gt + 1);
    if (close < 0) break;
    let from = gt + 1;
    let to = close;
    while (from < to && isXmlWs(text.charCodeAt(from))) from++;
    while (to > from && isXmlWs(text.charCodeAt(to - 1))) to--;
    if (text.startsWith('<![CDATA[', from) && text.startsWith(']]>', to - 3) && to - 3 >= from + 9) {
      from += 9;
      to -= 3;
    }
    const payload = text.slice(from, to);
    if (payload.length >= BLOB_MIN && BASE64_TEXT_RE.test(payload)) {
      out += text.slice(copied, gt + 1) + BLOB_TOKEN + blobs.length;
      blobs.push(payload);
      copied = close;
    }
    i = close;
  }
  if (blobs.length === 0) return { text, blobs };
  return { text: out + text.slice(copied), blobs };
}

/** Text of an image element, with a lifted blob put back. */
export function blobText(v: string | undefined, blobs: readonly string[]): string | undefined {
  if (v === undefined || !v.startsWith(BLOB_TOKEN)) return v;
  const n = Number(v.slice(BLOB_TOKEN.length));
  return Number.isInteger(n) ? blobs[n] : v;
}

function isXmlWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Checks the prolog (everything before the root element) without parsing:
 * refuses DOCTYPE (and any stray ENTITY declaration anywhere, which can only be
 * an attack) and an XML declaration naming an encoding other than UTF-8.
 */
export function checkProlog(text: string): void {
  if (text.includes('<!ENTITY') || text.includes('<!DOCTYPE') || text.includes('<!doctype')) {
    // Only a DOCTYPE/ENTITY outside comments matters, but none of the real
    // posts carries the text at all: refusing it anywhere is simpler and safe.
    throw new ViewtronParseError(400, 'doctype', 'DOCTYPE/ENTITY declarations are refused');
  }
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff) {
      i++;
      continue;
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) throw new ViewtronParseError(400, 'malformed_xml', 'unterminated processing instruction');
      const pi = text.slice(i + 2, end);
      if (pi.startsWith('xml')) {
        const m = /encoding\s*=\s*["']([^"']*)["']/.exec(pi);
        const enc = m?.[1]?.toLowerCase();
        if (enc !== undefined && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii') {
          throw new ViewtronParseError(415, 'unsupported_encoding', `declared encoding ${m?.[1] ?? ''} is not UTF-8`);
        }
      }
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) throw new ViewtronParseError(400, 'malformed_xml', 'unterminated comment');
      i = end + 3;
      continue;
    }
    return;
  }
}

export interface XmlDocument {
  /** the root element name (after namespace-prefix removal) */
  root: string;
  /** the root element's content: an object, or a string for a text-only root */
  node: unknown;
  /** image payloads lifted out before parsing (see extractBlobs) */
  blobs: string[];
}

/** Validates and parses one document. Throws ViewtronParseError(400, ...) on malformed XML. */
export function parseXmlDocument(source: string): XmlDocument {
  checkProlog(source);
  const { text, blobs } = extractBlobs(source);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new ViewtronParseError(400, 'malformed_xml', `malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new ViewtronParseError(400, 'malformed_xml', `XML parse failed: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new ViewtronParseError(400, 'malformed_xml', 'no root element');
  let root: string | undefined;
  for (const key of Object.keys(doc)) {
    if (key.startsWith('?') || key.startsWith('@_')) continue;
    if (root !== undefined) throw new ViewtronParseError(400, 'malformed_xml', 'more than one root element');
    root = key;
  }
  if (root === undefined) throw new ViewtronParseError(400, 'malformed_xml', 'no root element');
  let node = doc[root];
  if (Array.isArray(node)) node = node[0];
  return { root, node, blobs };
}

export function isObj(v: unknown): v is XObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Own child `key` of an element; for an element that repeats where one is
 * expected, the first occurrence.
 */
export function get(node: unknown, key: string): unknown {
  if (!isObj(node) || !Object.hasOwn(node, key)) return undefined;
  const v = node[key];
  return Array.isArray(v) && key !== 'item' && key !== 'enum' ? v[0] : v;
}

/** Child by any of several spellings (case differs across firmware). */
export function getAny(node: unknown, keys: readonly string[]): unknown {
  for (const k of keys) {
    const v = get(node, k);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Every occurrence of child `key` (repeated siblings or a list), as an array. */
export function all(node: unknown, key: string): unknown[] {
  if (!isObj(node) || !Object.hasOwn(node, key)) return [];
  const v = node[key];
  return Array.isArray(v) ? v : [v];
}

/** The `item` children of a list container, whatever its shape. */
export function items(container: unknown): unknown[] {
  return all(container, 'item');
}

const ENTITY_RE = /&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function decodeEntities(s: string): string {
  return s.replace(ENTITY_RE, (whole, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: {
        const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
      }
    }
  });
}

/**
 * Text of a leaf element: the string itself, or `#text` of an element that kept
 * attributes. `undefined` for absent elements and for elements with children.
 */
export function text(v: unknown): string | undefined {
  let s: unknown = v;
  if (Array.isArray(s)) s = s[0];
  if (isObj(s)) {
    if (Object.hasOwn(s, '#text')) s = s['#text'];
    else {
      // attributes only (e.g. `<x id="1"/>`): an empty leaf
      for (const k of Object.keys(s)) if (!k.startsWith('@_')) return undefined;
      return '';
    }
  }
  if (typeof s !== 'string') return undefined;
  return s.includes('&') ? decodeEntities(s) : s;
}

/** Non-empty text or undefined. */
export function str(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined || s === '' ? undefined : s;
}

const INT_RE = /^[+-]?\d{1,15}$/;

/** A decimal integer leaf, or undefined (placeholders such as `...` included). */
export function int(v: unknown): number | undefined {
  const s = text(v);
  return s !== undefined && INT_RE.test(s) ? Number(s) : undefined;
}

/** An attribute value (kept attributes are `@_name`). */
export function attr(node: unknown, name: string): string | undefined {
  if (!isObj(node)) return undefined;
  const v = node['@_' + name];
  return typeof v === 'string' && Object.hasOwn(node, '@_' + name) ? v : undefined;
}
