import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ruleSchema } from '../../src/config/schema.js';
import { isActive, isDark, localTime, nextChange, type Schedule } from '../../src/rules/schedule.js';

const BERLIN = { timezone: 'Europe/Berlin', latitude: 52.52, longitude: 13.405 };
const sched = (s: Record<string, unknown>): Schedule =>
  ruleSchema.parse({ id: 'r', outputs: ['o'], when: { event: {} }, schedule: s }).schedule!;
const utc = (s: string) => Date.parse(s);

describe('local time in the site timezone', () => {
  it('follows DST: 12:00 UTC is 13:00 in Berlin in January and 14:00 in July', () => {
    expect(localTime('Europe/Berlin', utc('2026-01-15T12:00:00Z'))).toEqual({ dow: 4, minute: 13 * 60 });
    expect(localTime('Europe/Berlin', utc('2026-07-15T12:00:00Z'))).toEqual({ dow: 3, minute: 14 * 60 });
    expect(localTime('Europe/Berlin', utc('2026-01-15T23:30:00Z'))).toEqual({ dow: 5, minute: 30 }); // already Friday
  });
});

describe('dark only (Berlin 52.52 N 13.405 E)', () => {
  // Almanac values (timeanddate.com, Berlin): 2026-01-15 sunrise ≈ 08:11, sunset ≈ 16:23 CET;
  // 2026-06-21 sunrise ≈ 04:44, sunset ≈ 21:34 CEST. We assert with ~10 min margins either side.
  const dark = sched({ dark_only: true });

  it('winter day: light at 16:10 CET, dark at 16:35 CET, dark at 07:55, light at 08:25, dark just after midnight', () => {
    expect(isActive(dark, BERLIN, utc('2026-01-15T12:00:00Z'))).toBe(false);
    expect(isActive(dark, BERLIN, utc('2026-01-15T15:10:00Z'))).toBe(false);
    expect(isActive(dark, BERLIN, utc('2026-01-15T15:35:00Z'))).toBe(true);
    expect(isActive(dark, BERLIN, utc('2026-01-15T22:00:00Z'))).toBe(true);
    expect(isActive(dark, BERLIN, utc('2026-01-15T23:30:00Z'))).toBe(true);
    expect(isActive(dark, BERLIN, utc('2026-01-16T06:55:00Z'))).toBe(true);
    expect(isActive(dark, BERLIN, utc('2026-01-16T07:25:00Z'))).toBe(false);
  });

  it('summer day: light at 21:20 CEST, dark at 21:45 CEST, dark at 04:30, light at 05:00', () => {
    expect(isActive(dark, BERLIN, utc('2026-06-21T19:20:00Z'))).toBe(false);
    expect(isActive(dark, BERLIN, utc('2026-06-21T19:45:00Z'))).toBe(true);
    expect(isActive(dark, BERLIN, utc('2026-06-22T02:30:00Z'))).toBe(true);
    expect(isActive(dark, BERLIN, utc('2026-06-22T03:00:00Z'))).toBe(false);
  });

  it('offsets move the window: sunset -45 min makes 15:50 CET (winter) dark; sunrise +60 keeps 08:40 CET dark', () => {
    const early = sched({ dark_only: true, sunset_offset_min: -45, sunrise_offset_min: 60 });
    expect(isActive(early, BERLIN, utc('2026-01-15T14:50:00Z'))).toBe(true);
    expect(isActive(dark, BERLIN, utc('2026-01-15T14:50:00Z'))).toBe(false);
    expect(isActive(early, BERLIN, utc('2026-01-16T07:40:00Z'))).toBe(true);
    expect(isActive(early, BERLIN, utc('2026-01-16T08:30:00Z'))).toBe(false);
  });

  it('nextChange is the exact sunset (with offset): between 16:13 and 16:33 CET on 2026-01-15', () => {
    const at = utc('2026-01-15T12:00:00Z');
    const next = nextChange(dark, BERLIN, at);
    expect(next).toBeGreaterThan(utc('2026-01-15T15:13:00Z'));
    expect(next).toBeLessThan(utc('2026-01-15T15:33:00Z'));
    expect(isDark(dark, BERLIN, next - 1000)).toBe(false);
    expect(isDark(dark, BERLIN, next)).toBe(true);
    const later = nextChange(sched({ dark_only: true, sunset_offset_min: 30 }), BERLIN, at);
    expect(later - next).toBe(30 * 60_000);
  });

  it('polar day and night (Longyearbyen 78.22 N): never dark at midsummer midnight, dark at midwinter noon', () => {
    const svalbard = { timezone: 'Arctic/Longyearbyen', latitude: 78.22, longitude: 15.65 };
    expect(isActive(dark, svalbard, utc('2026-06-21T23:00:00Z'))).toBe(false);
    expect(isActive(dark, svalbard, utc('2026-12-21T11:00:00Z'))).toBe(true);
  });
});

describe('time windows', () => {
  // 2026-01-16 is a Friday
  const fridayNight = sched({ days: ['fri'], from: '22:00', to: '06:00' });
  const berlin = (local: string) => utc(`${local}+01:00`);

  it('a window crossing midnight belongs to the day it starts on', () => {
    expect(isActive(fridayNight, BERLIN, berlin('2026-01-16T21:59:00'))).toBe(false);
    expect(isActive(fridayNight, BERLIN, berlin('2026-01-16T22:00:00'))).toBe(true);
    expect(isActive(fridayNight, BERLIN, berlin('2026-01-17T03:00:00'))).toBe(true); // Saturday morning, Friday's window
    expect(isActive(fridayNight, BERLIN, berlin('2026-01-17T05:59:00'))).toBe(true);
    expect(isActive(fridayNight, BERLIN, berlin('2026-01-17T06:00:00'))).toBe(false);
    expect(isActive(fridayNight, BERLIN, berlin('2026-01-17T22:30:00'))).toBe(false); // Saturday not listed
    expect(isActive(fridayNight, BERLIN, berlin('2026-01-16T03:00:00'))).toBe(false); // Friday morning = Thursday's window
  });

  it('a plain window, from inclusive and to exclusive, and the minute-boundary deadline', () => {
    const office = sched({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' });
    expect(isActive(office, BERLIN, berlin('2026-01-15T07:59:59'))).toBe(false);
    expect(isActive(office, BERLIN, berlin('2026-01-15T08:00:00'))).toBe(true);
    expect(isActive(office, BERLIN, berlin('2026-01-15T17:59:59'))).toBe(true);
    expect(isActive(office, BERLIN, berlin('2026-01-15T18:00:00'))).toBe(false);
    expect(isActive(office, BERLIN, berlin('2026-01-17T12:00:00'))).toBe(false); // Saturday
    expect(nextChange(office, BERLIN, berlin('2026-01-15T07:59:30'))).toBe(berlin('2026-01-15T08:00:00'));
  });

  it('window AND dark: 17:00-23:00 with dark_only in January is 17:00-23:00, in June 21:35-23:00', () => {
    const evening = sched({ from: '17:00', to: '23:00', dark_only: true });
    expect(isActive(evening, BERLIN, berlin('2026-01-15T17:30:00'))).toBe(true);
    expect(isActive(evening, BERLIN, utc('2026-06-21T17:30:00+02:00'))).toBe(false);
    expect(isActive(evening, BERLIN, utc('2026-06-21T22:00:00+02:00'))).toBe(true);
    expect(isActive(evening, BERLIN, berlin('2026-01-15T23:30:00'))).toBe(false);
  });

  it('only from / only to / from == to', () => {
    expect(isActive(sched({ from: '20:00' }), BERLIN, berlin('2026-01-15T23:59:00'))).toBe(true);
    expect(isActive(sched({ from: '20:00' }), BERLIN, berlin('2026-01-15T00:30:00'))).toBe(false);
    expect(isActive(sched({ to: '06:00' }), BERLIN, berlin('2026-01-15T05:00:00'))).toBe(true);
    expect(isActive(sched({ from: '06:00', to: '06:00' }), BERLIN, berlin('2026-01-15T03:00:00'))).toBe(true);
  });
});

describe('nextChange is never late (fast-check)', () => {
  const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const schedule = fc.record(
    {
      days: fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], { minLength: 1 }),
      from: hhmm,
      to: hhmm,
      dark_only: fc.boolean(),
      sunset_offset_min: fc.integer({ min: -90, max: 90 }),
      sunrise_offset_min: fc.integer({ min: -90, max: 90 }),
    },
    { requiredKeys: ['days', 'dark_only'] },
  );
  const site = fc.constantFrom(BERLIN, { timezone: 'America/New_York', latitude: 40.71, longitude: -74.0 }, { timezone: 'Asia/Kolkata', latitude: 28.61, longitude: 77.21 });

  it('isActive does not change between now and nextChange(now)', () => {
    fc.assert(
      fc.property(schedule, site, fc.integer({ min: utc('2026-01-01T00:00:00Z'), max: utc('2026-12-31T00:00:00Z') }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), (raw, st, t, fractions) => {
        const sc = sched(raw);
        const active = isActive(sc, st, t);
        const next = nextChange(sc, st, t);
        expect(next).toBeGreaterThan(t);
        const horizon = Math.min(next, t + 2 * 86_400_000);
        for (const f of fractions) {
          const probe = Math.min(horizon - 1, t + Math.floor(f * (horizon - t)));
          expect(isActive(sc, st, probe), `changed at ${new Date(probe).toISOString()} before ${next}`).toBe(active);
        }
      }),
      { numRuns: 400 },
    );
  });
});
