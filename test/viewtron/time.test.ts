import { describe, expect, it } from 'vitest';
import {
  EARLIEST_DEVICE_TIME_MS,
  parseDataTime,
  parseDataTimeWall,
  parseEpoch,
  resolveCurrentTime,
  wallTimeToUtc,
} from '../../src/viewtron/index.js';

const RX = Date.parse('2026-03-29T14:00:00.000Z');

describe('currentTime by digit count', () => {
  it('10 s, 13 ms, 16 µs', () => {
    expect(parseEpoch('1732045234')).toEqual({ ms: 1732045234000, unit: 's' });
    expect(parseEpoch('1732045234123')).toEqual({ ms: 1732045234123, unit: 'ms' });
    expect(parseEpoch('1774792701902505')).toEqual({ ms: 1774792701902, unit: 'us' });
    expect(new Date(parseEpoch('1772056914604000')!.ms).toISOString()).toBe('2026-02-25T22:01:54.604Z');
  });

  it('µs are cut, not rounded through a float', () => {
    // 9007199254740993 > 2^53: Number() would round it; the string cut is exact
    expect(parseEpoch('9007199254740993')).toEqual({ ms: 9007199254740, unit: 'us' });
    expect(parseEpoch('1774792701902999')?.ms).toBe(1774792701902);
  });

  it('other lengths, signs and junk are unparsable', () => {
    for (const raw of ['18445822972087551616', '', '17747927019', '-1732045234', '1.5e15', '...', ' ']) expect(parseEpoch(raw)).toBeNull();
    expect(parseEpoch(undefined)).toBeNull();
    expect(parseEpoch(' 1732045234 ')).toEqual({ ms: 1732045234000, unit: 's' });
  });
});

describe('sanity window', () => {
  it('a sane device time is used', () => {
    expect(resolveCurrentTime('1774792701902505', RX)).toEqual({ time: 1774792701902, source: 'device', deviceMs: 1774792701902 });
  });

  it('the 20-digit NVR value falls back to receive time, flagged', () => {
    expect(resolveCurrentTime('18445822972087551616', RX)).toEqual({ time: RX, source: 'received', deviceMs: null, problem: 'unparsable' });
  });

  it('before 2015 → receive time (too_old), keeping the device value for skew', () => {
    const r = resolveCurrentTime('0000000000', RX);
    expect(r).toEqual({ time: RX, source: 'received', deviceMs: 0, problem: 'too_old' });
    expect(resolveCurrentTime(String((EARLIEST_DEVICE_TIME_MS - 1) * 1000), RX).problem).toBe('too_old');
    expect(resolveCurrentTime(String(EARLIEST_DEVICE_TIME_MS * 1000), RX).source).toBe('device');
  });

  it('more than a day ahead → receive time (future); up to a day ahead is kept', () => {
    const day = 86_400_000;
    expect(resolveCurrentTime(String((RX + day + 1) * 1000), RX)).toMatchObject({ source: 'received', problem: 'future' });
    expect(resolveCurrentTime(String((RX + day) * 1000), RX)).toMatchObject({ source: 'device', time: RX + day });
  });

  it('absent currentTime: receive time without a problem flag', () => {
    expect(resolveCurrentTime(undefined, RX)).toEqual({ time: RX, source: 'received', deviceMs: null });
  });
});

describe('dataTime layouts and zones', () => {
  it('both layouts parse to the same wall time', () => {
    expect(parseDataTimeWall('2026-03-29 09:58:21')).toEqual({ y: 2026, mo: 3, d: 29, h: 9, mi: 58, s: 21 });
    expect(parseDataTimeWall('03-29-2026 09:58:21 AM')).toEqual({ y: 2026, mo: 3, d: 29, h: 9, mi: 58, s: 21 });
  });

  it('12-hour clock: 12 PM is noon, 12 AM is midnight, PM adds 12', () => {
    expect(parseDataTimeWall('11-19-2025 12:15:11 PM')?.h).toBe(12);
    expect(parseDataTimeWall('11-19-2025 12:15:11 AM')?.h).toBe(0);
    expect(parseDataTimeWall('11-19-2025 01:15:11 PM')?.h).toBe(13);
    expect(parseDataTimeWall('11-19-2025 13:15:11 PM')).toBeNull();
  });

  it('impossible dates and junk are refused', () => {
    for (const raw of ['2026-02-30 10:00:00', '2026-13-01 10:00:00', '2026-01-01 24:00:00', 'yesterday', '']) expect(parseDataTimeWall(raw)).toBeNull();
  });

  it('the FaceCam evidence: 09:58:21 US-Eastern (DST) = 13:58:21Z', () => {
    expect(new Date(parseDataTime('2026-03-29 09:58:21', 'America/New_York')!).toISOString()).toBe('2026-03-29T13:58:21.000Z');
    expect(new Date(parseDataTime('11-19-2025 12:15:11 PM', 'America/New_York')!).toISOString()).toBe('2025-11-19T17:15:11.000Z');
    expect(new Date(parseDataTime('2017-06-20 10:30:21', 'UTC')!).toISOString()).toBe('2017-06-20T10:30:21.000Z');
    expect(new Date(parseDataTime('2026-07-01 12:00:00', 'Asia/Kolkata')!).toISOString()).toBe('2026-07-01T06:30:00.000Z');
  });

  it('DST gap shifts forward, DST overlap takes the earlier instant', () => {
    // 2026-03-08 02:30 does not exist in New York (clocks jump 02:00 → 03:00)
    expect(new Date(wallTimeToUtc({ y: 2026, mo: 3, d: 8, h: 2, mi: 30, s: 0 }, 'America/New_York')!).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    // 2026-11-01 01:30 happens twice; the first (EDT) is 05:30Z
    expect(new Date(wallTimeToUtc({ y: 2026, mo: 11, d: 1, h: 1, mi: 30, s: 0 }, 'America/New_York')!).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    // Europe: 2026-10-25 02:30 happens twice; the first (CEST) is 00:30Z
    expect(new Date(wallTimeToUtc({ y: 2026, mo: 10, d: 25, h: 2, mi: 30, s: 0 }, 'Europe/Berlin')!).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('an invalid zone gives null instead of throwing', () => {
    expect(parseDataTime('2026-03-29 09:58:21', 'Mars/Olympus')).toBeNull();
  });
});
