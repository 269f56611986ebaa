import { classOf } from './classify.js';
import { normalizeMac } from './identity.js';
import type { DeviceIdentity, TrajectTarget } from './types.js';

/**
 * Lean path for IPC traject posts (~7 Hz per tracked scene, 64 cameras on a
 * Raspberry Pi). One pass over the bytes with a tiny well-formedness tracker,
 * no DOM, no intermediate strings except the values presence needs.
 *
 * Contract: a non-null result equals what `parseViewtron` returns for the same
 * body (minus `family`). Whenever the post strays from the plain shape devices
 * send (non-ASCII, entities, comments, DOCTYPE/PIs, namespace prefixes, mixed
 * content in a value, repeated fields, alternate identity spellings, anything
 * that makes it an alarm/NVR post...) the answer is null and the caller uses
 * the full parser. A differential property test holds it to that.
 */
export interface FastTraject {
  device: DeviceIdentity;
  currentTime?: string;
  targets: TrajectTarget[];
}

/** Bodies larger than this are not traject posts (they are ~1.5 KB). */
const MAX_FAST_BYTES = 64 * 1024;
const MAX_DEPTH = 16;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QMARK = 0x3f;
const BANG = 0x21;

// element roles
const R_IGNORE = 0;
const R_CONFIG = 1;
const R_TRAJECT = 2;
const R_ITEM = 3;
const R_RECT = 4;
const R_LEAF = 10; // roles >= R_LEAF hold a value
const R_MAC = 10;
const R_SN = 11;
const R_NAME = 12;
const R_TIME = 13;
const R_TID = 14;
const R_TTYPE = 15;
const R_X1 = 16;
const R_Y1 = 17;
const R_X2 = 18;
const R_Y2 = 19;

/** config-level names the full parser reads but this path does not: their presence means "not sure". */
const CONFIG_BAIL = [
  'messageType', 'smartType', 'alarmStatusInfo', 'macAddress', 'MacAddress', 'MAC', 'SN', 'serialNumber',
  'DeviceName', 'ip', 'ipAddress', 'IPAddress', 'channelId', 'deviceInfo', 'dataTime',
];

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d;
}

function nameIs(src: string, s: number, e: number, lit: string): boolean {
  return e - s === lit.length && src.startsWith(lit, s);
}

function sameRange(src: string, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (src.charCodeAt(a + i) !== src.charCodeAt(b + i)) return false;
  return true;
}

/** Same rule as xml.ts int(): optional sign, 1–15 digits; NaN otherwise. */
function intOf(src: string, s: number, e: number): number {
  let i = s;
  let neg = false;
  const first = src.charCodeAt(i);
  if (i < e && (first === 0x2b || first === 0x2d)) {
    neg = first === 0x2d;
    i++;
  }
  const digits = e - i;
  if (digits < 1 || digits > 15) return NaN;
  let v = 0;
  for (; i < e; i++) {
    const c = src.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

const UNSUPPORTED_CHAR_RE = /[^\t\n\r\x20-\x25\x27-\x7f]/;
const DECL_RE = /^<\?xml(\s+[A-Za-z]+\s*=\s*("[^"<]*"|'[^'<]*'))*\s*\?>$/;
const ENC_RE = /encoding\s*=\s*["']([^"']*)["']/;

export function parseTrajectFast(body: Buffer): FastTraject | null {
  const n = body.length;
  if (n === 0 || n > MAX_FAST_BYTES) return null;
  // one native call; after it every step is a JIT-inlined string operation
  // (Buffer.indexOf/compare cross into C++ on every call, which dominated)
  const src = body.toString('latin1');
  // plain ASCII, no entity references, no control characters (a compiled regex
  // scan is several times faster than a byte loop here)
  if (UNSUPPORTED_CHAR_RE.test(src)) return null;
  let pos = 0;
  if (src.charCodeAt(0) === LT && src.charCodeAt(1) === QMARK) {
    const end = src.indexOf('?>', 2);
    if (end < 0) return null;
    const decl = src.slice(0, end + 2);
    if (!decl.startsWith('<?xml') || !DECL_RE.test(decl)) return null;
    const enc = ENC_RE.exec(decl)?.[1]?.toLowerCase();
    if (enc !== undefined && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii') return null;
    pos = end + 2;
  }

  const stackNameStart = new Int32Array(MAX_DEPTH);
  const stackNameEnd = new Int32Array(MAX_DEPTH);
  const stackRole = new Uint8Array(MAX_DEPTH);
  const attrStarts: number[] = [];
  const attrEnds: number[] = [];
  let depth = 0;
  let rootDone = false;
  let sawTraject = false;

  let mac: string | undefined;
  let serial: string | undefined;
  let name: string | undefined;
  let currentTime: string | undefined;
  let configSeen = 0; // bit per config-level role, for duplicate detection
  const targets: TrajectTarget[] = [];

  // per-item state
  let itemSeen = 0;
  let itemId: string | undefined;
  let itemType: string | undefined;
  let rectSeen = 0;
  let x1 = NaN;
  let y1 = NaN;
  let x2 = NaN;
  let y2 = NaN;

  // current leaf value (byte range), or -1
  let leafTextStart = -1;
  let cdataStart = -1;
  let cdataEnd = -1;

  while (pos < n) {
    const lt = src.indexOf('<', pos);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > pos) {
      // text: outside the root or between structure only whitespace is meaningful
      const gt = src.indexOf('>', pos);
      if (gt >= 0 && gt < textEnd) return null;
      if (depth === 0) {
        for (let i = pos; i < textEnd; i++) if (!isWs(src.charCodeAt(i))) return null;
      }
    }
    if (lt < 0) break;
    pos = lt + 1;
    if (pos >= n) return null;
    const c = src.charCodeAt(pos);

    if (c === BANG) {
      // only CDATA inside a value leaf; comments, DOCTYPE and CDATA elsewhere → full parser
      if (!src.startsWith('![CDATA[', pos)) return null;
      const end = src.indexOf(']]>', pos + 8);
      if (end < 0) return null;
      const role = depth > 0 ? stackRole[depth - 1]! : R_IGNORE;
      if (role >= R_LEAF) {
        if (cdataStart >= 0) return null;
        // text before the CDATA must be whitespace
        for (let i = leafTextStart; i < lt; i++) if (!isWs(src.charCodeAt(i))) return null;
        cdataStart = pos + 8;
        cdataEnd = end;
      } else if (depth === 0 || role !== R_IGNORE) {
        return null;
      }
      pos = end + 3;
      continue;
    }
    if (c === QMARK) return null;

    if (c === SLASH) {
      // closing tag
      const s = pos + 1;
      let e = s;
      while (e < n && isNameChar(src.charCodeAt(e))) e++;
      let k = e;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      if (k >= n || src.charCodeAt(k) !== GT || depth === 0) return null;
      const ps = stackNameStart[depth - 1]!;
      const pe = stackNameEnd[depth - 1]!;
      if (e - s !== pe - ps || !sameRange(src, ps, s, e - s)) return null;
      const role = stackRole[depth - 1]!;
      if (role >= R_LEAF) {
        let vs: number;
        let ve: number;
        if (cdataStart >= 0) {
          for (let i = cdataEnd + 3; i < lt; i++) if (!isWs(src.charCodeAt(i))) return null;
          vs = cdataStart;
          ve = cdataEnd;
          // whitespace inside CDATA: whether the full parser trims it is not worth guessing
          if (ve > vs && (isWs(src.charCodeAt(vs)) || isWs(src.charCodeAt(ve - 1)))) return null;
        } else {
          vs = leafTextStart;
          ve = lt;
          while (vs < ve && isWs(src.charCodeAt(vs))) vs++;
          while (ve > vs && isWs(src.charCodeAt(ve - 1))) ve--;
        }
        if (!takeLeaf(role, vs, ve)) return null;
        leafTextStart = -1;
        cdataStart = -1;
        cdataEnd = -1;
      } else if (role === R_ITEM) {
        endItem();
      }
      depth--;
      if (depth === 0) rootDone = true;
      pos = k + 1;
      continue;
    }

    // opening tag
    if (!isNameStart(c) || rootDone) return null;
    const s = pos;
    let e = s;
    while (e < n && isNameChar(src.charCodeAt(e))) e++;
    if (e >= n) return null;
    const after = src.charCodeAt(e);
    if (after !== GT && after !== SLASH && !isWs(after)) return null; // ':' prefixes and junk
    // attributes: name="value" pairs, checked for syntax and duplicates
    let k = e;
    let attrCount = 0;
    for (;;) {
      const wsStart = k;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      if (k >= n) return null;
      const ch = src.charCodeAt(k);
      if (ch === GT || ch === SLASH) break;
      if (k === wsStart || !(isNameStart(ch) || ch === 0x3a)) return null;
      const as = k;
      while (k < n && (isNameChar(src.charCodeAt(k)) || src.charCodeAt(k) === 0x3a)) k++;
      const ae = k;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      if (src.charCodeAt(k) !== 0x3d) return null;
      k++;
      while (k < n && isWs(src.charCodeAt(k))) k++;
      const q = src.charCodeAt(k);
      if (q !== 0x22 && q !== 0x27) return null;
      const close = src.indexOf(q === 0x22 ? '"' : "'", k + 1);
      if (close < 0) return null;
      const lt2 = src.indexOf('<', k + 1);
      if (lt2 >= 0 && lt2 < close) return null;
      for (let a = 0; a < attrCount; a++) {
        if (attrEnds[a]! - attrStarts[a]! === ae - as && sameRange(src, attrStarts[a]!, as, ae - as)) return null;
      }
      attrStarts[attrCount] = as;
      attrEnds[attrCount] = ae;
      attrCount++;
      k = close + 1;
    }
    let selfClosing = false;
    if (src.charCodeAt(k) === SLASH) {
      if (src.charCodeAt(k + 1) !== GT) return null;
      selfClosing = true;
      k++;
    }
    pos = k + 1;

    const parentRole = depth > 0 ? stackRole[depth - 1]! : -1;
    let role = R_IGNORE;
    if (parentRole === -1) {
      if (!nameIs(src, s, e, 'config')) return null;
      role = R_CONFIG;
    } else if (parentRole >= R_LEAF) {
      return null; // an element inside a value
    } else if (parentRole === R_CONFIG) {
      if (nameIs(src, s, e, 'traject')) role = R_TRAJECT;
      else if (nameIs(src, s, e, 'mac')) role = R_MAC;
      else if (nameIs(src, s, e, 'sn')) role = R_SN;
      else if (nameIs(src, s, e, 'deviceName')) role = R_NAME;
      else if (nameIs(src, s, e, 'currentTime')) role = R_TIME;
      else {
        for (const bail of CONFIG_BAIL) if (nameIs(src, s, e, bail)) return null;
      }
      if (role !== R_IGNORE) {
        const bit = 1 << role;
        if (configSeen & bit) return null;
        configSeen |= bit;
        if (role === R_TRAJECT) sawTraject = true;
      }
    } else if (parentRole === R_TRAJECT) {
      if (nameIs(src, s, e, 'item')) {
        role = R_ITEM;
        itemSeen = 0;
        rectSeen = 0;
        itemId = undefined;
        itemType = undefined;
        x1 = y1 = x2 = y2 = NaN;
      }
    } else if (parentRole === R_ITEM) {
      if (nameIs(src, s, e, 'targetId')) role = R_TID;
      else if (nameIs(src, s, e, 'targetType')) role = R_TTYPE;
      else if (nameIs(src, s, e, 'rect')) role = R_RECT;
      if (role !== R_IGNORE) {
        const bit = 1 << role;
        if (itemSeen & bit) return null;
        itemSeen |= bit;
      }
    } else if (parentRole === R_RECT) {
      if (nameIs(src, s, e, 'x1')) role = R_X1;
      else if (nameIs(src, s, e, 'y1')) role = R_Y1;
      else if (nameIs(src, s, e, 'x2')) role = R_X2;
      else if (nameIs(src, s, e, 'y2')) role = R_Y2;
      if (role !== R_IGNORE) {
        const bit = 1 << role;
        if (rectSeen & bit) return null;
        rectSeen |= bit;
      }
    }

    if (selfClosing) {
      if (role >= R_LEAF) {
        if (!takeLeaf(role, 0, 0)) return null;
      } else if (role === R_ITEM) {
        endItem();
      }
      if (parentRole === -1) rootDone = true;
      continue;
    }
    if (depth >= MAX_DEPTH) return null;
    stackNameStart[depth] = s;
    stackNameEnd[depth] = e;
    stackRole[depth] = role;
    depth++;
    if (role >= R_LEAF) {
      leafTextStart = pos;
      cdataStart = -1;
      cdataEnd = -1;
    }
  }

  if (!rootDone || depth !== 0 || !sawTraject) return null;
  const device: DeviceIdentity = { dialect: 'ipc' };
  const m = normalizeMac(mac);
  if (m !== undefined) device.mac = m;
  if (serial !== undefined) device.serial = serial;
  if (name !== undefined) device.name = name;
  const out: FastTraject = { device, targets };
  if (currentTime !== undefined) out.currentTime = currentTime;
  return out;

  /** Stores a leaf value [vs, ve); false when the post must go to the full parser. */
  function takeLeaf(role: number, vs: number, ve: number): boolean {
    const empty = ve <= vs;
    switch (role) {
      case R_MAC:
        if (!empty) mac = src.slice(vs, ve);
        return true;
      case R_SN:
        if (!empty) serial = src.slice(vs, ve);
        return true;
      case R_NAME:
        if (!empty) name = src.slice(vs, ve);
        return true;
      case R_TIME:
        if (!empty) currentTime = src.slice(vs, ve);
        return true;
      case R_TID:
        itemId = empty ? undefined : src.slice(vs, ve);
        return true;
      case R_TTYPE:
        itemType = src.slice(vs, ve);
        return true;
      case R_X1:
        x1 = intOf(src, vs, ve);
        return true;
      case R_Y1:
        y1 = intOf(src, vs, ve);
        return true;
      case R_X2:
        x2 = intOf(src, vs, ve);
        return true;
      case R_Y2:
        y2 = intOf(src, vs, ve);
        return true;
      default:
        return false;
    }
  }

  function endItem(): void {
    // same rule as the full parser: an item without id or complete box is skipped
    if (itemId === undefined || !(itemSeen & (1 << R_RECT))) return;
    if (Number.isNaN(x1) || Number.isNaN(y1) || Number.isNaN(x2) || Number.isNaN(y2)) return;
    targets.push({ id: itemId, cls: classOf(itemType), rect: [x1, y1, x2, y2] });
  }
}
