import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CameraAvailability } from '../../src/cameras/availability.js';

// Random traffic (keepalives, posts, silences, ticks) against two configured and one unknown device.
const step = fc.oneof(
  fc.record({ op: fc.constant('seen' as const), cam: fc.constantFrom('a', 'b', 'nvr'), kind: fc.constantFrom('keepalive' as const, 'post' as const), dt: fc.integer({ min: 0, max: 400_000 }) }),
  fc.record({ op: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 400_000 }) }),
);

describe('CameraAvailability invariants (property)', () => {
  it('online/offline events alternate per camera, start with online, and tick before nextDeadline changes nothing', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const av = new CameraAvailability([{ id: 'a', name: 'A' }, { id: 'b', name: 'B', keepalive_s: 60 }], { defaultDeadlineMs: 180_000 });
        let now = Date.UTC(2026, 0, 1);
        const last = new Map<string, string>();
        const check = (events: { type: string; camera: string }[]) => {
          for (const e of events) {
            if (e.type === 'camera.clock_skew') continue;
            const prev = last.get(e.camera);
            if (e.type === 'camera.online') expect(prev === undefined || prev === 'camera.offline').toBe(true);
            if (e.type === 'camera.offline') expect(prev).toBe('camera.online');
            last.set(e.camera, e.type);
          }
        };
        for (const s of steps) {
          const next = av.nextDeadline();
          // nothing may go offline before the earliest deadline
          if (next !== null && now + s.dt < next) expect(av.tick(now + s.dt).events).toEqual([]);
          now += s.dt;
          if (s.op === 'seen') {
            const r = av.seen(s.cam, s.kind, now);
            check(r.events);
            expect(av.state(s.cam)?.online).toBe(true);
            expect(av.nextDeadline()).not.toBeNull();
          } else {
            check(av.tick(now).events);
          }
          for (const st of av.states()) {
            // the view agrees with the event stream
            const ev = last.get(st.id);
            expect(st.online).toBe(ev === undefined ? null : ev === 'camera.online');
            if (st.online) expect(Date.parse(st.deadline!)).toBeGreaterThan(Date.parse(st.last_seen!));
          }
        }
        // after a long silence every seen camera is offline and nothing is pending
        check(av.tick(now + 10 * 3600_000).events);
        expect(av.nextDeadline()).toBeNull();
        expect(av.states().every((s) => s.online !== true)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
