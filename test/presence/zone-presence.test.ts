import { describe, expect, it } from 'vitest';
import { at, buildCore, cams, frames, person, play, T0, types, alarm, type Tgt } from '../rules/core-fixture.js';
import type { CamEvent } from '../../src/core/event.js';

const summary = (evs: CamEvent[]) => evs.map((e) => `${e.time.slice(11, 23)} ${e.type} ${String(e.data.target ?? e.data.zone)}`);
const iso = (t: number) => new Date(t).toISOString();

// the left half of the frame
const LEFT: [number, number][] = [
  [0, 0],
  [5000, 0],
  [5000, 10000],
  [0, 10000],
];

describe('traject presence', () => {
  it('a person walking in and out: enter on the first frame inside, leave target_timeout after the last, off after off_delay', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', polygon: LEFT, classes: ['person'], off_delay_s: 5 }] });
    // walks right to left across the frame at 500 grid units per frame, 7 Hz, then out of view
    const xAt = (t: number) => 9000 - Math.round((t - T0) / 143) * 500;
    const walker = (t: number): Tgt[] => [person('p1', [xAt(t) - 400, 3000, xAt(t) + 400, 8000])];
    const end = T0 + 143 * 19; // 19 frames: x from 9000 to 0
    const evs = play(core, frames('cam1', T0, end, walker), T0 + 20_000);
    // bottom centre x < 5000 from frame 9 on (9000 - 9*500 = 4500)
    const firstIn = T0 + 143 * 9;
    const lastIn = T0 + 143 * 18;
    expect(summary(evs)).toEqual([
      `${iso(firstIn).slice(11, 23)} target.enter p1`,
      `${iso(firstIn).slice(11, 23)} presence.on yard`,
      `${iso(lastIn + 1000).slice(11, 23)} target.leave p1`,
      `${iso(lastIn + 6000).slice(11, 23)} presence.off yard`,
    ]);
    const leave = evs[2]!;
    expect(leave.data.dwell_s).toBeCloseTo((lastIn - firstIn) / 1000, 6);
    expect(leave.data.class).toBe('person');
    expect(leave.data.path).toEqual({
      first: { x1: 0.41, y1: 0.3, x2: 0.49, y2: 0.8 },
      last: { x1: -0.04, y1: 0.3, x2: 0.04, y2: 0.8 },
      frames: 10,
    });
    expect(leave.camera).toBe('cam1');
    const off = evs[3]!;
    expect(off.data).toMatchObject({ zone: 'yard', count: 0, duration_s: (lastIn + 6000 - firstIn) / 1000 });
    expect(core.zones()[0]).toMatchObject({ presence: false, count: 0, source: 'none', since: iso(lastIn + 6000) });
  });

  it('two overlapping targets count as two; presence stays on until the last one left', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', off_delay_s: 2 }] });
    const a = person('a', [3000, 3000, 5000, 9000]);
    const b = person('b', [3500, 3200, 5500, 9100]); // overlaps a almost entirely
    const o1 = core.traject('cam1', [a, b], T0);
    expect(types(o1)).toEqual(['target.enter', 'target.enter', 'presence.on']);
    expect(o1.zones).toEqual([{ id: 'yard', presence: true, count: 2, since: iso(T0), source: 'traject' }]);
    expect(o1.events.at(-1)!.data.count).toBe(2);
    // a disappears, b stays
    const evs = play(core, frames('cam1', T0 + 143, T0 + 3000, () => [b]), T0 + 3000);
    expect(summary(evs)).toEqual([`${iso(T0 + 1000).slice(11, 23)} target.leave a`]);
    expect(core.zones()[0]!.count).toBe(1);
    expect(core.zones()[0]!.presence).toBe(true);
    // then b goes too: leave at last frame + 1 s, off 2 s later
    const lastB = T0 + 143 * 20;
    const rest = play(core, [], T0 + 10_000);
    expect(summary(rest)).toEqual([`${iso(lastB + 1000).slice(11, 23)} target.leave b`, `${iso(lastB + 3000).slice(11, 23)} presence.off yard`]);
    expect(rest[1]!.data.peak_count).toBe(2);
  });

  it('a one-frame ghost is ignored with enter_frames 2; a real target enters on its second frame', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', enter_frames: 2, off_delay_s: 0 }] });
    const ghost = core.traject('cam1', [person('ghost')], T0);
    expect(ghost.events).toEqual([]);
    expect(core.targets('cam1')).toMatchObject([{ id: 'ghost', entered: false }]);
    // nothing for 2 s: the ghost expires silently
    const quiet = play(core, [at(T0 + 143, (c, t) => c.traject('cam1', [], t))], T0 + 2000);
    expect(quiet).toEqual([]);
    expect(core.targets()).toEqual([]);
    expect(core.zones()[0]!.presence).toBe(false);
    // a real person: two frames
    expect(core.traject('cam1', [person('p1')], T0 + 3000).events).toEqual([]);
    const second = core.traject('cam1', [person('p1')], T0 + 3143);
    expect(types(second)).toEqual(['target.enter', 'presence.on']);
    expect(second.events[0]!.data.frames).toBe(2);
  });

  it('enter_ms: a target must be carried for T ms before it enters', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', enter_ms: 500 }] });
    const evs = play(core, frames('cam1', T0, T0 + 1000, () => [person('p1')]), T0 + 1000);
    // frames at 0,143,286,429,572: the first with >= 500 ms since the first frame is 572
    expect(summary(evs).slice(0, 2)).toEqual([`${iso(T0 + 572).slice(11, 23)} target.enter p1`, `${iso(T0 + 572).slice(11, 23)} presence.on yard`]);
  });

  it('a target leaving and a new id appearing in its place: enter of the new id at once, leave of the old after the timeout, presence never drops', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', off_delay_s: 0 }] });
    const switchAt = T0 + 143 * 5;
    const evs = play(core, frames('cam1', T0, T0 + 4000, (t) => [person(t < switchAt ? 'id7' : 'id8')]), T0 + 4000);
    const lastOld = T0 + 143 * 4;
    expect(summary(evs)).toEqual([
      `${iso(T0).slice(11, 23)} target.enter id7`,
      `${iso(T0).slice(11, 23)} presence.on yard`,
      `${iso(switchAt).slice(11, 23)} target.enter id8`,
      `${iso(lastOld + 1000).slice(11, 23)} target.leave id7`,
    ]);
    expect(core.zones()[0]).toMatchObject({ presence: true, count: 1 });
  });

  it('a gap shorter than target_timeout_ms is no leave', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', target_timeout_ms: 1000, off_delay_s: 0 }] });
    const p = () => [person('p1')];
    // frames until T0+858, then a 999 ms gap
    const evs2 = play(core, [...frames('cam1', T0, T0 + 1000, p), ...frames('cam1', T0 + 858 + 999, T0 + 3000, p)], T0 + 3000);
    expect(types({ events: evs2, zones: [], outputs: [] })).toEqual(['target.enter', 'presence.on']);
    // and a gap of exactly the timeout is a leave (then a fresh enter)
    const core3 = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', target_timeout_ms: 1000, off_delay_s: 0 }] });
    const evs3 = play(core3, [...frames('cam1', T0, T0 + 1000, p), ...frames('cam1', T0 + 858 + 1000, T0 + 3000, p)], T0 + 3000);
    expect(types({ events: evs3, zones: [], outputs: [] })).toEqual(['target.enter', 'presence.on', 'target.leave', 'presence.off', 'target.enter', 'presence.on']);
  });

  it('off-delay: presence stays on off_delay_s after the last target left; a new target during it cancels the off', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', off_delay_s: 10 }] });
    core.traject('cam1', [person('a')], T0);
    // a leaves at T0+1000 (timeout); off would be at T0+11000
    let evs = play(core, [], T0 + 8000);
    expect(types({ events: evs, zones: [], outputs: [] })).toEqual(['target.leave']);
    expect(core.zones()[0]).toMatchObject({ presence: true, count: 0, source: 'traject' });
    expect(core.nextDeadline()).toBe(T0 + 11_000);
    // b at T0+8000 cancels the off-delay: no presence.on again, no presence.off
    const o = core.traject('cam1', [person('b')], T0 + 8000);
    expect(types(o)).toEqual(['target.enter']);
    evs = play(core, [], T0 + 12_000);
    expect(types({ events: evs, zones: [], outputs: [] })).toEqual(['target.leave']); // b at T0+9000
    evs = play(core, [], T0 + 30_000);
    expect(summary(evs)).toEqual([`${iso(T0 + 19_000).slice(11, 23)} presence.off yard`]);
    expect(evs[0]!.data.duration_s).toBe(19);
    expect(core.nextDeadline()).toBeNull();
  });

  it('nothing changed → the shared empty result, and no deadline work', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1' }] });
    const first = core.traject('cam1', [person('a')], T0);
    expect(first.events.length).toBe(2);
    const again = core.traject('cam1', [person('a')], T0 + 143);
    const again2 = core.traject('cam1', [person('a')], T0 + 286);
    expect(again).toBe(again2);
    expect(again.events).toEqual([]);
    expect(Object.isFrozen(again)).toBe(true);
  });
});

describe('fallback sources', () => {
  it('alarm status: on while true, off_delay after false; the state says alarm_status', () => {
    const core = buildCore({ cameras: cams('old'), zones: [{ id: 'gate', camera: 'old', off_delay_s: 3 }] });
    const on = core.alarmStatus('old', true, T0);
    expect(types(on)).toEqual(['presence.on']);
    expect(on.zones).toEqual([{ id: 'gate', presence: true, count: 1, since: iso(T0), source: 'alarm_status' }]);
    // stays on however long it is true
    expect(play(core, [], T0 + 60_000)).toEqual([]);
    expect(core.alarmStatus('old', false, T0 + 60_000).events).toEqual([]);
    const evs = play(core, [], T0 + 70_000);
    expect(summary(evs)).toEqual([`${iso(T0 + 63_000).slice(11, 23)} presence.off gate`]);
    expect(evs[0]!.data).toMatchObject({ duration_s: 63, source: 'none' });
  });

  it('alarm status with several fields: the zone stays on while any field is true', () => {
    const core = buildCore({ cameras: cams('old'), zones: [{ id: 'gate', camera: 'old', off_delay_s: 0 }] });
    expect(types(core.alarmStatus('old', true, T0, 'perimeterAlarm'))).toEqual(['presence.on']);
    expect(core.alarmStatus('old', false, T0 + 1000, 'motionAlarm').events).toEqual([]);
    expect(core.event(alarm('alarm.status', 'old', { field: 'motionAlarm', active: true }), T0 + 2000).events).toEqual([]);
    expect(core.alarmStatus('old', false, T0 + 3000, 'perimeterAlarm').events).toEqual([]);
    expect(core.zones()[0]).toMatchObject({ presence: true, source: 'alarm_status' });
    expect(types(core.event(alarm('alarm.status', 'old', { field: 'motionAlarm', active: false }), T0 + 4000))).toEqual(['presence.off']);
  });

  it('alarm events hold the zone for alarm_hold_s; a second event extends it; an exit or another class does not', () => {
    const core = buildCore({
      cameras: cams('old'),
      zones: [{ id: 'gate', camera: 'old', classes: ['person'], off_delay_s: 2, fallback: { alarm_hold_s: 20 } }],
    });
    expect(core.event(alarm('alarm.intrusion', 'old', { targets: [{ class: 'car' }] }), T0).events).toEqual([]);
    expect(core.event(alarm('alarm.zone_exit', 'old'), T0).events).toEqual([]);
    const on = core.event(alarm('alarm.intrusion', 'old', { targets: [{ class: 'person' }] }), T0);
    expect(types(on)).toEqual(['presence.on']);
    expect(core.zones()[0]).toMatchObject({ presence: true, source: 'alarm_event' });
    const evs = play(core, [at(T0 + 10_000, (c, t) => c.event(alarm('alarm.line_crossing', 'old'), t))], T0 + 60_000);
    // held until T0+10s+20s, then 2 s off-delay
    expect(summary(evs)).toEqual([`${iso(T0 + 32_000).slice(11, 23)} presence.off gate`]);
  });

  it('a zone can be driven by traject and alarm status at once; the source shows which holds it', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', off_delay_s: 0 }] });
    core.alarmStatus('cam1', true, T0);
    const o = core.traject('cam1', [person('a'), person('b')], T0 + 100);
    expect(o.zones).toEqual([{ id: 'yard', presence: true, count: 2, since: iso(T0), source: 'traject' }]);
    play(core, [], T0 + 5000); // targets time out, status still true
    expect(core.zones()[0]).toMatchObject({ presence: true, count: 1, source: 'alarm_status' });
    // a status event through event() (as the pipeline may send it) turns it off
    const off = core.event(alarm('alarm.status', 'cam1', { active: false }), T0 + 6000);
    expect(types(off)).toEqual(['presence.off']);
  });
});

describe('camera offline policies', () => {
  const build = () =>
    buildCore({
      cameras: cams('cam1', 'cam2'),
      zones: [
        { id: 'z-off', camera: 'cam1', offline_policy: 'off', off_delay_s: 5 },
        { id: 'z-on', camera: 'cam1', offline_policy: 'on', off_delay_s: 5 },
        { id: 'z-hold', camera: 'cam1', offline_policy: 'hold', off_delay_s: 5 },
        { id: 'z-other', camera: 'cam2', offline_policy: 'off', off_delay_s: 5 },
      ],
    });

  it('off drops presence at once, on forces it, hold freezes it; the source says offline:<policy>', () => {
    const core = build();
    core.traject('cam1', [person('p1')], T0);
    core.traject('cam2', [person('q1')], T0);
    const off = core.cameraAvailability('cam1', false, T0 + 500);
    expect(summary(off.events)).toEqual([
      `${iso(T0 + 500).slice(11, 23)} target.leave p1`,
      `${iso(T0 + 500).slice(11, 23)} presence.off z-off`,
      `${iso(T0 + 500).slice(11, 23)} target.leave p1`,
    ]);
    expect(off.events[0]!.data.reason).toBe('camera_offline');
    const byId = Object.fromEntries(core.zones().map((z) => [z.id, z]));
    expect(byId['z-off']).toMatchObject({ presence: false, source: 'offline:off' });
    expect(byId['z-on']).toMatchObject({ presence: true, source: 'offline:on' });
    expect(byId['z-hold']).toMatchObject({ presence: true, count: 1, source: 'offline:hold' });
    // an hour later nothing has moved on cam1 (the hold zone's target does not time out); cam2 went on normally
    const evs = play(core, [], T0 + 3_600_000);
    expect(summary(evs)).toEqual([`${iso(T0 + 1000).slice(11, 23)} target.leave q1`, `${iso(T0 + 6000).slice(11, 23)} presence.off z-other`]);
    expect(core.targets('cam1').map((t) => `${t.zone}:${t.id}`)).toEqual(['z-hold:p1']);

    // back online: normal rules resume from now
    const back = T0 + 3_600_000;
    const on = core.cameraAvailability('cam1', true, back);
    // z-on is still on (its off-delay starts now) and keeps showing why it was on
    expect(on.zones.map((z) => `${z.id}:${z.source}`).sort()).toEqual(['z-hold:traject', 'z-off:none']);
    expect(core.zones().find((z) => z.id === 'z-on')).toMatchObject({ presence: true, source: 'offline:on' });
  });

  it('online again: forced-on zone runs its off-delay, held targets time out from the moment the camera is back', () => {
    const core = build();
    core.traject('cam1', [person('p1')], T0);
    core.cameraAvailability('cam1', false, T0 + 500);
    const back = T0 + 600_000;
    core.cameraAvailability('cam1', true, back);
    const evs = play(core, [], back + 60_000);
    expect(summary(evs)).toEqual([
      `${iso(back + 1000).slice(11, 23)} target.leave p1`,
      `${iso(back + 5000).slice(11, 23)} presence.off z-on`,
      `${iso(back + 6000).slice(11, 23)} presence.off z-hold`,
    ]);
  });

  it('policy on turns an empty zone on while the camera is away', () => {
    const core = build();
    const o = core.cameraAvailability('cam1', false, T0);
    expect(o.events.map((e) => `${e.type}:${String(e.data.zone)}`)).toEqual(['presence.on:z-on']);
    expect(o.events[0]!.data.source).toBe('offline:on');
  });
});
