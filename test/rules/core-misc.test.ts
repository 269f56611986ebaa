import { describe, expect, it } from 'vitest';
import type { CamEvent } from '../../src/core/event.js';
import { NO_CHANGE } from '../../src/rules/site-core.js';
import { alarm, at, buildCore, cams, frames, person, play, T0, types } from './core-fixture.js';

const s = (sec: number) => T0 + sec * 1000;

describe('event ids', () => {
  const run = () => {
    const core = buildCore({
      cameras: cams('cam1'),
      zones: [
        { id: 'a', camera: 'cam1', off_delay_s: 1 },
        { id: 'b', camera: 'cam1', off_delay_s: 1 },
      ],
      outputs: [{ id: 'o1' }, { id: 'o2' }],
      rules: [{ id: 'r', outputs: ['o1', 'o2'], when: { presence: { zones: ['a'] } } }],
    });
    return play(core, frames('cam1', s(0), s(3), () => [person('p1'), person('p2')]), s(20));
  };

  it('are unique within a run (several events in the same millisecond) and identical for identical inputs', () => {
    const first = run();
    const second = run();
    expect(first.length).toBeGreaterThan(10);
    expect(new Set(first.map((e) => e.id)).size).toBe(first.length);
    expect(second.map((e) => e.id)).toEqual(first.map((e) => e.id));
    // the time is the ISO of now, the data carries the camera and received_at the event model requires
    const on = first.find((e) => e.type === 'output.on')!;
    expect(on).toMatchObject({ camera: 'site', time: new Date(s(0)).toISOString(), data: { camera: 'site', received_at: new Date(s(0)).toISOString() } });
  });
});

describe("'*' zones", () => {
  it('count targets of every camera separately (same target id on two cameras = two targets)', () => {
    const core = buildCore({ cameras: cams('cam1', 'cam2'), zones: [{ id: 'anywhere', camera: '*', off_delay_s: 0 }] });
    expect(types(core.traject('cam1', [person('1')], s(0)))).toEqual(['target.enter', 'presence.on']);
    const o = core.traject('cam2', [person('1')], s(0.1));
    expect(types(o)).toEqual(['target.enter']);
    expect(o.events[0]!.camera).toBe('cam2');
    expect(core.zones()[0]).toMatchObject({ presence: true, count: 2 });
    // a camera going offline does not affect a '*' zone
    expect(core.cameraAvailability('cam1', false, s(0.2))).toBe(NO_CHANGE);
    const evs = play(core, [], s(10));
    expect(evs.map((e) => `${e.type}:${e.camera}`)).toEqual(['target.leave:cam1', 'target.leave:cam2', 'presence.off:site']);
  });
});

describe('rule kinds', () => {
  it('presence AND event: the event pulses only while the zone is occupied', () => {
    const core = buildCore({
      cameras: cams('cam1', 'door'),
      zones: [{ id: 'hall', camera: 'cam1', off_delay_s: 0 }],
      outputs: [{ id: 'buzzer' }],
      rules: [{ id: 'ring', outputs: ['buzzer'], when: { presence: { zones: ['hall'] }, event: { types: ['alarm.face'] } }, action: 'pulse', pulse_s: 2 }],
    });
    expect(core.event(alarm('alarm.face', 'door'), s(0)).outputs).toEqual([]);
    core.traject('cam1', [person('p')], s(1));
    const evs = play(core, [at(s(1.5), (c, t) => c.event(alarm('alarm.face', 'door'), t))], s(10));
    expect(evs.filter((e) => e.type.startsWith('output.')).map((e) => `${e.type}@${(Date.parse(e.time) - T0) / 1000}`)).toEqual(['output.on@1.5', 'output.off@3.5']);
  });

  it('an event rule with action hold keeps the output on hold_s after each event', () => {
    const core = buildCore({
      cameras: cams('cam1'),
      outputs: [{ id: 'lamp' }],
      rules: [{ id: 'r', outputs: ['lamp'], when: { event: { types: ['alarm.motion'] } }, action: 'hold', hold_s: 30 }],
    });
    const evs: CamEvent[] = play(
      core,
      [at(s(0), (c, t) => c.event(alarm('alarm.motion', 'cam1'), t)), at(s(20), (c, t) => c.event(alarm('alarm.motion', 'cam1'), t))],
      s(100),
    );
    expect(evs.filter((e) => e.type.startsWith('output.')).map((e) => `${e.type}@${(Date.parse(e.time) - T0) / 1000}`)).toEqual(['output.on@0', 'output.off@50']);
  });

  it('two rules on one output: the reason stays with the rule that turned it on while it still asks', () => {
    const core = buildCore({
      cameras: cams('cam1'),
      zones: [
        { id: 'a', camera: 'cam1', polygon: [[0, 0], [5000, 0], [5000, 10000], [0, 10000]], off_delay_s: 0 },
        { id: 'b', camera: 'cam1', polygon: [[5000, 0], [10000, 0], [10000, 10000], [5000, 10000]], off_delay_s: 0 },
      ],
      outputs: [{ id: 'light' }],
      rules: [
        { id: 'ra', outputs: ['light'], when: { presence: { zones: ['a'] } } },
        { id: 'rb', outputs: ['light'], when: { presence: { zones: ['b'] } } },
      ],
    });
    const right = person('r', [6000, 2000, 7000, 8000]);
    const left = person('l', [1000, 2000, 2000, 8000]);
    expect(core.traject('cam1', [right], s(0)).outputs).toEqual([{ id: 'light', on: true, reason: 'rule:rb', mode: 'auto' }]);
    expect(core.traject('cam1', [right, left], s(0.1)).outputs).toEqual([]); // still rb
    // right leaves; left stays: reason moves to ra without switching
    const evs = play(core, frames('cam1', s(0.2), s(3), () => [left]), s(3));
    expect(evs.filter((e) => e.type.startsWith('output.'))).toEqual([]);
    expect(core.outputs()[0]).toMatchObject({ state: 'ON', reason: 'rule:ra' });
  });
});

describe('wall clock stepping back', () => {
  it('running timers keep their remaining length (max_on still cuts on time)', () => {
    const core = buildCore({
      cameras: cams('cam1'),
      zones: [{ id: 'yard', camera: 'cam1', off_delay_s: 5 }],
      outputs: [{ id: 'light', max_on_s: 60 }],
      rules: [{ id: 'r', outputs: ['light'], when: { presence: { zones: ['yard'] } } }],
    });
    core.alarmStatus('cam1', true, s(0));
    expect(core.outputs()[0]!.state).toBe('ON');
    expect(core.tick(s(30))).toBe(NO_CHANGE);
    // NTP steps the clock back one hour at "30 s"
    const back = s(30) - 3_600_000;
    expect(core.tick(back)).toBe(NO_CHANGE);
    expect(core.nextDeadline()).toBe(back + 30_000);
    const cut = core.tick(back + 30_000);
    expect(cut.outputs).toEqual([{ id: 'light', on: false, reason: 'max_on', mode: 'auto' }]);
    expect(cut.events[0]!.data.on_s).toBe(60);
  });

  it('a small regression (posts processed out of order) changes nothing', () => {
    const core = buildCore({ cameras: cams('cam1'), zones: [{ id: 'yard', camera: 'cam1', off_delay_s: 0 }] });
    core.traject('cam1', [person('a')], s(10));
    core.traject('cam1', [person('a')], s(9.99));
    const evs = play(core, [], s(20));
    expect(evs.map((e) => `${e.type}@${(Date.parse(e.time) - T0) / 1000}`)).toEqual(['target.leave@11', 'presence.off@11']);
  });
});
