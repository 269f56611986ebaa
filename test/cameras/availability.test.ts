import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { CameraAvailability } from '../../src/cameras/availability.js';
import type { CameraConfig } from '../../src/config/schema.js';

const cams: CameraConfig[] = [
  { id: 'gate', name: 'Gate camera', mac: '58:5b:69:00:00:01' },
  { id: 'yard', name: 'Yard', keepalive_s: 30 },
];

describe('CameraAvailability', () => {
  it('a configured camera that never posted is "never seen" (online: null), not healthy', () => {
    const av = new CameraAvailability(cams);
    const st = av.states();
    expect(st.map((s) => [s.id, s.online, s.last_seen])).toEqual([
      ['gate', null, null],
      ['yard', null, null],
    ]);
    expect(av.nextDeadline()).toBeNull();
    const clock = new ManualClock();
    expect(av.tick(clock.advance(3600_000)).events).toEqual([]);
    expect(av.states().every((s) => s.online === null)).toBe(true);
  });

  it('first post raises camera.online; silence past the default deadline raises camera.offline; back raises online', () => {
    const clock = new ManualClock();
    const av = new CameraAvailability(cams, { defaultDeadlineMs: 180_000 });
    const first = av.seen('gate', 'post', clock.now(), { ip: '10.0.0.5' });
    expect(first.events.map((e) => e.type)).toEqual(['camera.online']);
    expect(first.events[0]!.data).toMatchObject({ camera: 'gate', first_seen: true, ip: '10.0.0.5' });
    expect(first.changed?.online).toBe(true);
    // subsequent posts: no event, no change
    const again = av.seen('gate', 'post', clock.advance(1000));
    expect(again.events).toEqual([]);
    expect(again.changed).toBeNull();

    const lastSeen = clock.now();
    expect(av.nextDeadline()).toBe(lastSeen + 180_000);
    expect(av.tick(clock.advance(179_999)).events).toEqual([]);
    const off = av.tick(clock.advance(1));
    expect(off.events.map((e) => [e.type, e.camera])).toEqual([['camera.offline', 'gate']]);
    expect(off.events[0]!.data).toMatchObject({ last_seen: new Date(lastSeen).toISOString(), silent_s: 180, interval_source: 'default' });
    expect(off.changed.map((c) => [c.id, c.online])).toEqual([['gate', false]]);
    expect(av.nextDeadline()).toBeNull();
    // offline is reported once
    expect(av.tick(clock.advance(60_000)).events).toEqual([]);

    const back = av.seen('gate', 'keepalive', clock.advance(40_000));
    expect(back.events.map((e) => e.type)).toEqual(['camera.online']);
    expect(back.events[0]!.data).toMatchObject({ first_seen: false, offline_for_s: 100 });
    expect(av.state('gate')?.online).toBe(true);
  });

  it('configured keepalive_s sets the deadline (interval × 2.5 + slack)', () => {
    const clock = new ManualClock();
    const av = new CameraAvailability(cams, { slackMs: 10_000 });
    av.seen('yard', 'keepalive', clock.now());
    expect(av.nextDeadline()).toBe(clock.now() + 30_000 * 2.5 + 10_000);
    expect(av.state('yard')).toMatchObject({ interval_source: 'configured', expected_interval_s: 30 });
    expect(av.tick(clock.advance(84_999)).events).toEqual([]);
    expect(av.tick(clock.advance(1)).events.map((e) => e.type)).toEqual(['camera.offline']);
  });

  it('learns the interval from keepalive gaps (NVR every 10 s) and ignores duplicate keepalives', () => {
    const clock = new ManualClock();
    const av = new CameraAvailability([], { slackMs: 5000, learnSamples: 2, defaultDeadlineMs: 180_000 });
    av.seen('nvr1', 'keepalive', clock.now(), { name: 'NVR' });
    expect(av.state('nvr1')).toMatchObject({ interval_source: 'default', configured: false, name: 'NVR' });
    av.seen('nvr1', 'keepalive', clock.advance(10_000));
    av.seen('nvr1', 'keepalive', clock.advance(200)); // duplicate: not a gap
    // traject posts in between do not count as keepalive gaps
    av.seen('nvr1', 'post', clock.advance(3_000));
    expect(av.state('nvr1')?.interval_source).toBe('default');
    av.seen('nvr1', 'keepalive', clock.advance(6_800)); // 10 s after the previous keepalive
    const st = av.state('nvr1')!;
    expect(st).toMatchObject({ interval_source: 'learnt', expected_interval_s: 10 });
    expect(av.nextDeadline()).toBe(clock.now() + 10_000 * 2.5 + 5000);
    expect(av.tick(clock.advance(29_999)).events).toEqual([]);
    expect(av.tick(clock.advance(1)).events.map((e) => [e.type, e.camera])).toEqual([['camera.offline', 'nvr1']]);
  });

  it('a learnt interval is the median, so one missed keepalive does not double it', () => {
    const clock = new ManualClock();
    const av = new CameraAvailability([], { learnSamples: 3 });
    av.seen('cam', 'keepalive', clock.now());
    for (const gap of [90_000, 90_000, 180_000, 90_000]) av.seen('cam', 'keepalive', clock.advance(gap));
    expect(av.state('cam')?.expected_interval_s).toBe(90);
  });

  it('raises camera.clock_skew at most once per hour per camera while |skew| > threshold', () => {
    const clock = new ManualClock();
    const av = new CameraAvailability(cams, { clockSkewThresholdS: 120 });
    const a = av.seen('gate', 'post', clock.now(), { skew_s: 30 });
    expect(a.events.map((e) => e.type)).toEqual(['camera.online']);
    const b = av.seen('gate', 'post', clock.advance(1000), { skew_s: -300 });
    expect(b.events.map((e) => e.type)).toEqual(['camera.clock_skew']);
    expect(b.events[0]!.data).toMatchObject({ skew_s: -300, threshold_s: 120 });
    expect(b.changed?.clock_skew_s).toBe(-300);
    // other cameras are independent
    expect(av.seen('yard', 'post', clock.now(), { skew_s: 500 }).events.map((e) => e.type)).toEqual(['camera.online', 'camera.clock_skew']);
    let skewEvents = 0;
    for (let i = 0; i < 59; i++) skewEvents += av.seen('gate', 'post', clock.advance(60_000), { skew_s: -300 }).events.length;
    expect(skewEvents).toBe(0);
    const later = av.seen('gate', 'post', clock.advance(60_000), { skew_s: -301 });
    expect(later.events.map((e) => e.type)).toEqual(['camera.clock_skew']);
    expect(av.state('gate')?.clock_skew_s).toBe(-301);
  });

  it('event ids are deterministic and events carry the CamEvent shape', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const a = new CameraAvailability(cams).seen('gate', 'post', clock.now()).events[0]!;
    const b = new CameraAvailability(cams).seen('gate', 'post', clock.now()).events[0]!;
    expect(a.id).toBe(b.id);
    expect(a).toMatchObject({ type: 'camera.online', camera: 'gate', time: '2026-01-01T00:00:00.000Z' });
    expect(a.data).toMatchObject({ camera: 'gate', received_at: '2026-01-01T00:00:00.000Z', name: 'Gate camera' });
  });

  it('lastSeenAny reports the most recent device contact', () => {
    const clock = new ManualClock();
    const av = new CameraAvailability(cams);
    expect(av.lastSeenAny()).toBeNull();
    av.seen('gate', 'post', clock.now());
    av.seen('yard', 'keepalive', clock.advance(5000));
    expect(av.lastSeenAny()).toBe(clock.now());
  });
});
