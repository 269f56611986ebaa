import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SiteCore } from '../../src/rules/site-core.js';
import { alarm, buildCore, cams, person, T0 } from './core-fixture.js';

type Op =
  | { kind: 'frame'; dt: number; present: boolean; id: number }
  | { kind: 'lpr'; dt: number }
  | { kind: 'status'; dt: number; active: boolean }
  | { kind: 'override'; dt: number; out: 'a' | 'b'; state: 'on' | 'off' | 'auto'; for_s?: number }
  | { kind: 'offline'; dt: number; online: boolean };

const dt = fc.integer({ min: 0, max: 20_000 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('frame' as const), dt: fc.integer({ min: 0, max: 1500 }), present: fc.boolean(), id: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('lpr' as const), dt }),
  fc.record({ kind: fc.constant('status' as const), dt, active: fc.boolean() }),
  fc.record(
    { kind: fc.constant('override' as const), dt, out: fc.constantFrom('a' as const, 'b' as const), state: fc.constantFrom('on' as const, 'off' as const, 'auto' as const), for_s: fc.integer({ min: 1, max: 120 }) },
    { requiredKeys: ['kind', 'dt', 'out', 'state'] },
  ),
  fc.record({ kind: fc.constant('offline' as const), dt, online: fc.boolean() }),
);

const MAX_ON = { a: 30_000, b: 45_000 };

function build(): SiteCore {
  return buildCore({
    cameras: cams('cam1', 'gate'),
    zones: [{ id: 'z', camera: 'cam1', off_delay_s: 3, offline_policy: 'on' }],
    outputs: [
      { id: 'a', max_on_s: 30, min_on_s: 5, min_off_s: 4, interlock: ['b'] },
      { id: 'b', max_on_s: 45, min_on_s: 2 },
    ],
    rules: [
      { id: 'ra', outputs: ['a'], when: { presence: { zones: ['z'] } }, action: 'hold', hold_s: 10 },
      { id: 'rb', outputs: ['b'], when: { event: { types: ['alarm.lpr'] } }, action: 'pulse', pulse_s: 20, retrigger: true },
      { id: 'rab', outputs: ['a', 'b'], when: { presence: { zones: ['z'] } }, action: 'pulse', pulse_s: 15, retrigger: false },
    ],
  });
}

describe('output invariants under random inputs (fast-check)', () => {
  it('never on longer than max_on_s, interlocked outputs never both on, events alternate, deadlines always move forward', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), (ops) => {
        const core = build();
        let now = T0;
        const onSince: Record<string, number | null> = { a: null, b: null };
        const check = (t: number, events: { type: string; data: Record<string, unknown> }[]) => {
          for (const e of events) {
            if (!e.type.startsWith('output.')) continue;
            const id = String(e.data.output);
            if (e.type === 'output.on') {
              expect(onSince[id], `${id} on twice`).toBeNull();
              onSince[id] = t;
            } else {
              expect(onSince[id], `${id} off twice`).not.toBeNull();
              expect(t - onSince[id]!).toBeLessThanOrEqual(MAX_ON[id as 'a' | 'b']);
              onSince[id] = null;
            }
          }
          const st = core.outputs();
          expect(st.filter((o) => o.state === 'ON').length, 'a and b both on').toBeLessThan(2);
          for (const id of ['a', 'b'] as const) {
            expect(st.find((o) => o.id === id)!.state === 'ON').toBe(onSince[id] !== null);
            if (onSince[id] !== null) expect(t - onSince[id]!).toBeLessThanOrEqual(MAX_ON[id]);
          }
        };
        const tickTo = (limit: number) => {
          for (let i = 0; i < 10_000; i++) {
            const d = core.nextDeadline();
            if (d === null || d > limit) return;
            expect(d, 'deadline in the past').toBeGreaterThanOrEqual(now);
            now = d;
            check(now, core.tick(now).events);
            const after = core.nextDeadline();
            if (after !== null) expect(after, 'deadline did not advance after tick').toBeGreaterThan(now);
          }
          throw new Error('deadline loop');
        };
        for (const o of ops) {
          const t = now + o.dt;
          tickTo(t);
          now = t;
          let out;
          switch (o.kind) {
            case 'frame':
              out = core.traject('cam1', o.present ? [person(`p${o.id}`)] : [], now);
              break;
            case 'lpr':
              out = core.event(alarm('alarm.lpr', 'gate'), now);
              break;
            case 'status':
              out = core.alarmStatus('cam1', o.active, now);
              break;
            case 'override':
              out = core.override(o.out, o.for_s === undefined ? { state: o.state } : { state: o.state, for_s: o.for_s }, now);
              break;
            case 'offline':
              out = core.cameraAvailability('cam1', o.online, now);
              break;
          }
          check(now, out.events);
        }
        tickTo(now + 600_000);
      }),
      { numRuns: 200 },
    );
  });

  it('zone count always equals the entered targets, and presence is on whenever a target is inside', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 1500 }), ids: fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 5 }) }), { maxLength: 60 }),
        (frames) => {
          const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'z', camera: 'cam1', off_delay_s: 2 }] });
          let now = T0;
          for (const f of frames) {
            now += f.dt;
            const d = core.nextDeadline();
            if (d !== null && d <= now) core.tick(now);
            core.traject('cam1', f.ids.map((i) => person(`t${i}`)), now);
            const entered = core.targets('cam1').filter((t) => t.entered).length;
            const z = core.zones()[0]!;
            expect(entered).toBeGreaterThanOrEqual(f.ids.length); // enter_frames 1: everyone in this frame is in
            expect(z.count).toBe(entered);
            if (entered > 0) expect(z.presence).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
