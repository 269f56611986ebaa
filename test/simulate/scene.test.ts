import { describe, expect, it } from 'vitest';
import { encodeJpeg, jpegSize, withComment } from '../../src/simulate/jpeg.js';
import { ipcPlan, nvrPlan, type PlanOptions } from '../../src/simulate/plan.js';
import { mulberry32 } from '../../src/simulate/prng.js';
import { Scene, type SceneEvent } from '../../src/simulate/scene.js';

const opts: PlanOptions = {
  seed: 7,
  scenario: 'walk',
  rate: 7,
  images: 'jpeg',
  startMs: Date.UTC(2026, 0, 15, 12, 0, 0),
  keepaliveS: 30,
  alarmHoldS: 10,
  durationMs: 60_000,
};

function run(scene: Scene, ms: number, period = 1000 / 7): { t: number; events: SceneEvent[] }[] {
  const out = [];
  for (let k = 0; k * period < ms; k++) {
    const t = Math.round(k * period);
    out.push({ t, events: scene.step(t) });
  }
  return out;
}

describe('scene (pure, virtual time)', () => {
  it('walkers get fresh target ids and their feet pass through the middle of the frame', () => {
    const frames = run(new Scene(mulberry32(11), 'walk', { alarmHoldMs: 10_000 }), 120_000);
    const paths = new Map<number, { cx: number; y2: number }[]>();
    for (const f of frames)
      for (const e of f.events)
        if (e.type === 'traject')
          for (const t of e.targets) {
            const list = paths.get(t.id) ?? [];
            list.push({ cx: (t.box.x1 + t.box.x2) / 2, y2: t.box.y2 });
            paths.set(t.id, list);
          }
    expect(paths.size).toBeGreaterThanOrEqual(8);
    const ids = [...paths.keys()];
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids); // new crossing, new (higher) id
    for (const [, pts] of paths) {
      expect(pts.some((p) => p.cx > 4200 && p.cx < 5800 && p.y2 > 4500 && p.y2 < 6500)).toBe(true);
      const xs = pts.map((p) => p.cx);
      expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(6000); // crosses the frame
    }
  });

  it('each crossing raises an intrusion alarm; status goes on once and off after the hold time without activity', () => {
    // a short hold so the alarm has quiet spells between walkers within the run
    const HOLD = 3000;
    const frames = run(new Scene(mulberry32(5), 'walk', { alarmHoldMs: HOLD }), 120_000);
    const alarms = frames.flatMap((f) => f.events.filter((e) => e.type === 'alarm').map((e) => ({ t: f.t, e })));
    const starts = alarms.filter((a) => a.e.type === 'alarm' && a.e.status === 'SMART_START');
    const targets = new Set(frames.flatMap((f) => f.events.flatMap((e) => (e.type === 'traject' ? e.targets.map((t) => t.id) : []))));
    // every crossing that reached the zone alarmed (the last one may still be on its way in)
    expect(starts.length).toBeGreaterThanOrEqual(targets.size - 1);
    const status = frames.flatMap((f) => f.events.filter((e) => e.type === 'status').map((e) => ({ t: f.t, e: e as Extract<SceneEvent, { type: 'status' }> })));
    expect(status.length).toBeGreaterThan(0);
    for (let i = 0; i < status.length; i++) expect(status[i]!.e.on).toBe(i % 2 === 0);
    const offs = status.filter((s) => !s.e.on);
    expect(offs.length).toBeGreaterThan(0);
    // an off comes at least the hold time after the last frame showing a target that alarmed
    const alarmedAt = new Map<number, number>();
    for (const a of alarms) if (a.e.type === 'alarm' && !alarmedAt.has(a.e.target.id)) alarmedAt.set(a.e.target.id, a.t);
    const showsAlarmed = (f: (typeof frames)[number]) =>
      f.events.some((e) => e.type === 'traject' && e.targets.some((t) => (alarmedAt.get(t.id) ?? Infinity) <= f.t));
    for (const off of offs) {
      const lastBefore = frames.filter((f) => f.t < off.t && showsAlarmed(f)).pop();
      expect(off.t - lastBefore!.t).toBeGreaterThanOrEqual(HOLD - 200);
      expect(off.t - lastBefore!.t).toBeLessThanOrEqual(HOLD + 200);
    }
  });

  it('lpr scenario: cars with plates; burst scenario: several targets in one traject post', () => {
    const lpr = run(new Scene(mulberry32(3), 'lpr', { alarmHoldMs: 10_000 }), 60_000).flatMap((f) => f.events);
    const lprAlarms = lpr.filter((e) => e.type === 'alarm');
    expect(lprAlarms.length).toBeGreaterThan(0);
    for (const a of lprAlarms) if (a.type === 'alarm') expect(a.plate?.plate).toMatch(/^[0-9A-Z]{6,7}$/);
    expect(lpr.every((e) => e.type !== 'traject' || e.targets.every((t) => t.cls === 'car'))).toBe(true);
    const burst = run(new Scene(mulberry32(3), 'burst', { alarmHoldMs: 10_000 }), 10_000).flatMap((f) => f.events);
    expect(Math.max(...burst.map((e) => (e.type === 'traject' ? e.targets.length : 0)))).toBeGreaterThanOrEqual(3);
  });
});

describe('plans are deterministic', () => {
  it('same seed: identical posts; another seed: different posts', () => {
    const a = [...ipcPlan(3, opts)];
    const b = [...ipcPlan(3, opts)];
    const c = [...ipcPlan(3, { ...opts, seed: 8 })];
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
    expect(c.map((p) => p.body)).not.toEqual(a.map((p) => p.body));
    const n1 = [...nvrPlan(4, { ...opts, scenario: 'mixed' })];
    const n2 = [...nvrPlan(4, { ...opts, scenario: 'mixed' })];
    expect(n2).toEqual(n1);
  });

  it('traject comes at the asked rate while a target is in view (virtual time)', () => {
    const posts = [...ipcPlan(1, { ...opts, scenario: 'loiter', rate: 10, durationMs: 20_000 })].filter((p) => p.kind === 'traject');
    // the loiterer arrives at once and stays 25 s or more: ~10 posts a second from ~0.2 s on
    expect(posts.length).toBeGreaterThanOrEqual(185);
    expect(posts.length).toBeLessThanOrEqual(200);
  });

  it('each camera has its own identity', () => {
    const bodies = [1, 2, 300].map((i) => [...ipcPlan(i, { ...opts, durationMs: 2000 })].find((p) => p.kind === 'traject')!.body);
    expect(bodies[0]).toContain('58:5b:69:00:00:01');
    expect(bodies[0]).toContain('sim-cam-1]]>');
    expect(bodies[1]).toContain('58:5b:69:00:00:02');
    expect(bodies[2]).toContain('58:5b:69:00:01:2c');
    expect(bodies[2]).toContain('SIMC00000300');
  });
});

describe('tiny JPEG', () => {
  it('encodes the declared size with SOI/EOI markers; a comment keeps it valid and makes it unique', () => {
    const j = encodeJpeg(336, 448);
    expect(j.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(j.subarray(-2).toString('hex')).toBe('ffd9');
    expect(jpegSize(j)).toEqual({ width: 336, height: 448 });
    const c = withComment(j, 'cam1 ev2');
    expect(jpegSize(c)).toEqual({ width: 336, height: 448 });
    expect(c.equals(j)).toBe(false);
    expect(c.includes(Buffer.from('cam1 ev2'))).toBe(true);
    expect(jpegSize(encodeJpeg(1, 1))).toEqual({ width: 1, height: 1 });
  });
});
