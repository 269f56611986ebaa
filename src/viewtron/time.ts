/**
 * Device timestamps (protocol §3). Pure: the receive time is an argument.
 *
 * `currentTime` is a UTC epoch whose unit is told by its digit count
 * (10 s, 13 ms, 16 µs). It is handled as a string so 16- and 20-digit values
 * never lose precision. `dataTime` is naive device-local wall time in two
 * layouts; it is read in a configured IANA zone.
 */

export type EpochUnit = 's' | 'ms' | 'us';

/** 2015-01-01T00:00:00Z: anything earlier is an unset or broken clock. */
export const EARLIEST_DEVICE_TIME_MS = 1_420_070_400_000;
/** A device clock more than a day ahead is wrong, not skewed. */
export const MAX_FUTURE_MS = 86_400_000;

const DIGITS_RE = /^\d+$/;

/**
 * `currentTime` → ms epoch by digit count, or null when it is not 10/13/16
 * digits (the NVR's 20-digit int64 sign bug included). Sub-ms digits are cut.
 */
export function parseEpoch(raw: string | undefined): { ms: number; unit: EpochUnit } | null {
  if (raw === undefined) return null;
  const s = raw.trim();
  if (!DIGITS_RE.test(s)) return null;
  switch (s.length) {
    case 10:
      return { ms: Number(s) * 1000, unit: 's' };
    case 13:
      return { ms: Number(s), unit: 'ms' };
    case 16:
      // integer division by 1000 on the string: exact, no float rounding
      return { ms: Number(s.slice(0, 13)), unit: 'us' };
    default:
      return null;
  }
}

export type DeviceTimeProblem = 'unparsable' | 'too_old' | 'future';

export interface DeviceTime {
  /** the time to use for the event: device time when sane, else receive time */
  time: number;
  source: 'device' | 'received';
  /** parsed device time (even when rejected by the window), null when unparsable/absent */
  deviceMs: number | null;
  /** why the device time was not used (absent raw value: undefined) */
  problem?: DeviceTimeProblem;
}

/** Applies the sanity window: before 2015 or more than a day ahead → receive time. */
export function checkDeviceTime(deviceMs: number | null, receivedAt: number, hadRaw: boolean): DeviceTime {
  if (deviceMs === null) {
    const r: DeviceTime = { time: receivedAt, source: 'received', deviceMs: null };
    if (hadRaw) r.problem = 'unparsable';
    return r;
  }
  if (deviceMs < EARLIEST_DEVICE_TIME_MS) return { time: receivedAt, source: 'received', deviceMs, problem: 'too_old' };
  if (deviceMs > receivedAt + MAX_FUTURE_MS) return { time: receivedAt, source: 'received', deviceMs, problem: 'future' };
  return { time: deviceMs, source: 'device', deviceMs };
}

/** `currentTime` string + receive time → the event time. */
export function resolveCurrentTime(raw: string | undefined, receivedAt: number): DeviceTime {
  return checkDeviceTime(parseEpoch(raw)?.ms ?? null, receivedAt, raw !== undefined);
}

const ISO_LAYOUT = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})$/;
const US_LAYOUT = /^(\d{1,2})-(\d{1,2})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ?([AaPp][Mm])$/;

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/** `YYYY-MM-DD HH:MM:SS` or `MM-DD-YYYY hh:mm:ss AM/PM` → wall-clock fields, or null. */
export function parseDataTimeWall(raw: string): Wall | null {
  const s = raw.trim();
  let w: Wall;
  let m = ISO_LAYOUT.exec(s);
  if (m) {
    w = { y: +m[1]!, mo: +m[2]!, d: +m[3]!, h: +m[4]!, mi: +m[5]!, s: +m[6]! };
  } else {
    m = US_LAYOUT.exec(s);
    if (!m) return null;
    let h = +m[4]!;
    if (h < 1 || h > 12) return null;
    const pm = m[7]!.toLowerCase() === 'pm';
    // 12:xx AM is just after midnight, 12:xx PM just after noon
    if (h === 12) h = pm ? 12 : 0;
    else if (pm) h += 12;
    w = { y: +m[3]!, mo: +m[1]!, d: +m[2]!, h, mi: +m[5]!, s: +m[6]! };
  }
  if (w.mo < 1 || w.mo > 12 || w.d < 1 || w.h > 23 || w.mi > 59 || w.s > 59) return null;
  const dim = new Date(Date.UTC(w.y, w.mo, 0)).getUTCDate();
  if (w.d > dim) return null;
  return w;
}

/**
 * Pure memo of Intl formatters per zone (constructing one costs ~50 µs); not
 * state in any behavioural sense.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(timeZone);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    return null;
  }
  if (formatters.size > 64) formatters.clear();
  formatters.set(timeZone, f);
  return f;
}

/** Offset of `timeZone` from UTC at instant `t` (ms; positive east of Greenwich). */
export function zoneOffsetMs(t: number, timeZone: string): number | null {
  const f = formatterFor(timeZone);
  if (!f) return null;
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
  return asUtc - (t - (((t % 1000) + 1000) % 1000));
}

/**
 * Local wall time in `timeZone` → UTC ms. In a DST gap the wall time does not
 * exist; the result is then shifted forward by the gap (as a clock would
 * show). In a DST overlap the earlier instant is taken.
 */
export function wallTimeToUtc(w: Wall, timeZone: string): number | null {
  const guess = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  const o1 = zoneOffsetMs(guess, timeZone);
  if (o1 === null) return null;
  const o2 = zoneOffsetMs(guess - o1, timeZone);
  if (o2 === null) return null;
  if (o1 === o2) {
    // overlap: an earlier instant with the larger (pre-transition) offset may also match
    const o0 = zoneOffsetMs(guess - o1 - 3_600_000, timeZone);
    if (o0 !== null && o0 !== o1 && zoneOffsetMs(guess - o0, timeZone) === o0) return guess - o0;
    return guess - o1;
  }
  const o3 = zoneOffsetMs(guess - o2, timeZone);
  // gap: use the pre-transition (smaller on spring-forward) offset, which lands after the gap
  return o3 === o2 ? guess - o2 : guess - Math.min(o1, o2);
}

/** `dataTime` in either layout, read as wall time in `timeZone` → UTC ms, or null. */
export function parseDataTime(raw: string | undefined, timeZone: string): number | null {
  if (raw === undefined) return null;
  const w = parseDataTimeWall(raw);
  return w ? wallTimeToUtc(w, timeZone) : null;
}
