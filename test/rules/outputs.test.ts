import { describe, expect, it } from 'vitest';
import type { CamEvent } from '../../src/core/event.js';
import { UnknownOutput } from '../../src/rules/site-core.js';
import { alarm, at, buildCore, cams, frames, person, play, T0, type Step } from './core-fixture.js';

/** "+12.5s output.on door rule:r1" lines for output events, relative to T0 */
const outs = (evs: CamEvent[]) =>
  evs
    .filter((e) => e.type.startsWith('output.'))
    .map((e) => `+${(Date.parse(e.time) - T0) / 1000}s ${e.type} ${String(e.data.output)} ${String(e.data.reason)}`);

const s = (sec: number) => T0 + sec * 1000;
const lpr = (list: string | undefined, plate = 'B-AB 1234') => alarm('alarm.lpr', 'gatecam', { plate, ...(list ? { plate_list: list } : {}) });
const ev = (t: number, e: CamEvent): Step => at(t, (c, now) => c.event(e, now));

describe('event rules', () => {
  const gate = (retrigger: boolean) =>
    buildCore({
      cameras: cams('gatecam'),
      outputs: [{ id: 'gate', pin: 17, driver: 'gpio' }],
      rules: [{ id: 'open-gate', outputs: ['gate'], when: { event: { types: ['alarm.lpr'], plate_lists: ['whiteList'] } }, action: 'pulse', pulse_s: 10, retrigger }],
    });

  it('an LPR event with plate_list whiteList pulses the gate; blackList and unknown plates do not', () => {
    const core = gate(true);
    expect(core.event(lpr('blackList'), s(0)).events).toEqual([]);
    expect(core.event(lpr(undefined), s(0)).events).toEqual([]);
    const o = core.event(lpr('whiteList'), s(1));
    expect(o.outputs).toEqual([{ id: 'gate', on: true, reason: 'rule:open-gate', mode: 'auto' }]);
    expect(o.events[0]).toMatchObject({ type: 'output.on', camera: 'site', data: { output: 'gate', state: 'on', rule: 'open-gate', reason: 'rule:open-gate' } });
    const evs = play(core, [], s(60));
    expect(outs(evs)).toEqual(['+11s output.off gate idle']);
    expect(evs[0]!.data.on_s).toBe(10);
  });

  it('pulse retrigger true: a second event restarts the pulse', () => {
    const evs = play(gate(true), [ev(s(0), lpr('whiteList')), ev(s(6), lpr('whitelist'))], s(60));
    expect(outs(evs)).toEqual(['+0s output.on gate rule:open-gate', '+16s output.off gate idle']);
  });

  it('pulse retrigger false: events during the pulse are ignored, a later one starts a new pulse', () => {
    const evs = play(gate(false), [ev(s(0), lpr('whiteList')), ev(s(6), lpr('whiteList')), ev(s(12), lpr('whiteList'))], s(60));
    expect(outs(evs)).toEqual(['+0s output.on gate rule:open-gate', '+10s output.off gate idle', '+12s output.on gate rule:open-gate', '+22s output.off gate idle']);
  });

  it('label + source + min_confidence filter (cloud verdicts)', () => {
    const core = buildCore({
      cameras: cams('cam1'),
      outputs: [{ id: 'siren' }],
      rules: [
        { id: 'intruder', outputs: ['siren'], when: { event: { labels: ['person'], sources: ['videodb'], min_confidence: 0.8 } }, action: 'pulse', pulse_s: 30 },
      ],
    });
    const verdict = (data: Record<string, unknown>) => alarm('alarm.analytics', 'cam1', data);
    expect(core.event(verdict({ label: 'person', source: 'videodb', confidence: 0.5 }), s(0)).events).toEqual([]);
    expect(core.event(verdict({ label: 'car', source: 'videodb', confidence: 0.99 }), s(0)).events).toEqual([]);
    expect(core.event(verdict({ label: 'person', source: 'gaard', confidence: 0.99 }), s(0)).events).toEqual([]);
    expect(core.event(verdict({ label: 'person', source: 'videodb' }), s(0)).events).toEqual([]); // no confidence
    const o = core.event(verdict({ label: 'Person', source: 'videodb', confidence: 0.85 }), s(1));
    expect(o.outputs).toEqual([{ id: 'siren', on: true, reason: 'rule:intruder', mode: 'auto' }]);
  });

  it('plates filter (normalized, also data.plates[]) and min_confidence from an LPR plate_confidence', () => {
    const core = buildCore({
      cameras: cams('gatecam'),
      outputs: [{ id: 'gate' }],
      rules: [{ id: 'vip', outputs: ['gate'], when: { event: { plates: ['B AB 1234'], min_confidence: 0.7 } }, action: 'pulse', pulse_s: 5 }],
    });
    expect(core.event(alarm('alarm.lpr', 'gatecam', { plate: 'B-AB1234', plate_confidence: '60' }), s(0)).outputs).toEqual([]);
    expect(core.event(alarm('alarm.lpr', 'gatecam', { plate: 'M-XY 1', plate_confidence: '95' }), s(0)).outputs).toEqual([]);
    expect(core.event(alarm('alarm.lpr', 'gatecam', { plate: 'M-XY 1', plates: ['M-XY 1', 'b-ab-1234'], plate_confidence: '95' }), s(1)).outputs).toEqual([
      { id: 'gate', on: true, reason: 'rule:vip', mode: 'auto' },
    ]);
  });

  it('class filter reads data.targets[].class; camera filter reads event.camera', () => {
    const core = buildCore({
      cameras: cams('cam1', 'cam2'),
      outputs: [{ id: 'lamp' }],
      rules: [{ id: 'car-at-cam1', outputs: ['lamp'], when: { event: { cameras: ['cam1'], classes: ['car'] } }, action: 'pulse', pulse_s: 5 }],
    });
    expect(core.event(alarm('alarm.intrusion', 'cam1', { targets: [{ class: 'person' }] }), s(0)).outputs).toEqual([]);
    expect(core.event(alarm('alarm.intrusion', 'cam2', { targets: [{ class: 'car' }] }), s(0)).outputs).toEqual([]);
    expect(core.event(alarm('alarm.intrusion', 'cam1', { targets: [{ class: 'person' }, { class: 'car' }] }), s(0)).outputs).toHaveLength(1);
  });
});

describe('presence rules and output protection', () => {
  const yard = { id: 'yard', camera: 'cam1', off_delay_s: 0, target_timeout_ms: 1000 };
  const lightCore = (out: Record<string, unknown>, rule: Record<string, unknown> = {}) =>
    buildCore({
      cameras: cams('cam1'),
      zones: [yard],
      outputs: [{ id: 'light', ...out }],
      rules: [{ id: 'yard-light', outputs: ['light'], when: { presence: { zones: ['yard'] } }, action: 'hold', hold_s: 0, ...rule }],
    });
  const present = (from: number, to: number) => frames('cam1', from, to, () => [person('p1')], 200);

  it('hold: on with presence, hold_s after it ends', () => {
    const core = lightCore({}, { hold_s: 30 });
    // present 0..10 s (last frame 9.8 s) → presence off at 10.8 s → light off at 40.8 s
    const evs = play(core, present(s(0), s(10)), s(120));
    expect(outs(evs)).toEqual(['+0s output.on light rule:yard-light', '+40.8s output.off light idle']);
  });

  it('max_on cut: off after max_on_s even though presence stays; stays off until presence drops and comes back', () => {
    const core = lightCore({ max_on_s: 60 });
    const evs = play(core, [...present(s(0), s(300)), ...present(s(400), s(410))], s(600));
    expect(outs(evs)).toEqual([
      '+0s output.on light rule:yard-light',
      '+60s output.off light max_on',
      // presence ended at 300.8 s: the latch is released; presence again at 400 s
      '+400s output.on light rule:yard-light',
      '+410.8s output.off light idle',
    ]);
    expect(core.outputs()[0]).toMatchObject({ state: 'OFF', reason: 'idle' });
  });

  it('max_on beats a manual override too', () => {
    const core = lightCore({ max_on_s: 60 });
    const evs = play(core, [at(s(0), (c, t) => c.override('light', { state: 'on' }, t))], s(300));
    expect(outs(evs)).toEqual(['+0s output.on light override', '+60s output.off light max_on']);
    expect(core.outputs()[0]).toMatchObject({ state: 'OFF', mode: 'manual', reason: 'max_on' });
  });

  it('min_on: a short presence keeps the output on for min_on_s', () => {
    const core = lightCore({ min_on_s: 30 });
    const evs = play(core, present(s(0), s(2)), s(100));
    expect(outs(evs)).toEqual(['+0s output.on light rule:yard-light', '+30s output.off light idle']);
  });

  it('min_off: a request soon after switching off waits until min_off_s has passed (anti-chatter)', () => {
    const core = lightCore({ min_off_s: 30 });
    // presence 0..2 s → off at 2.8 s; presence again from 10 s to 60 s
    const evs = play(core, [...present(s(0), s(2)), ...present(s(10), s(60))], s(100));
    expect(outs(evs)).toEqual([
      '+0s output.on light rule:yard-light',
      '+2.8s output.off light idle',
      '+32.8s output.on light rule:yard-light',
      '+60.8s output.off light idle',
    ]);
  });

  it('min_off shows as the reason while the output waits', () => {
    const core = lightCore({ min_off_s: 30 });
    play(core, [...present(s(0), s(2)), ...present(s(10), s(12))], s(11));
    expect(core.outputs()[0]).toMatchObject({ state: 'OFF', reason: 'min_off' });
  });

  it('presence mode all: on only while every zone is occupied', () => {
    const core = buildCore({
      cameras: cams('cam1', 'cam2'),
      zones: [
        { id: 'a', camera: 'cam1', off_delay_s: 0 },
        { id: 'b', camera: 'cam2', off_delay_s: 0 },
      ],
      outputs: [{ id: 'light' }],
      rules: [{ id: 'both', outputs: ['light'], when: { presence: { zones: ['a', 'b'], mode: 'all' } } }],
    });
    expect(core.traject('cam1', [person('p')], s(0)).outputs).toEqual([]);
    expect(core.traject('cam2', [person('q')], s(0.5)).outputs).toEqual([{ id: 'light', on: true, reason: 'rule:both', mode: 'auto' }]);
    const evs = play(core, frames('cam2', s(0.6), s(5), () => [person('q')]), s(10));
    expect(outs(evs)).toEqual(['+1s output.off light idle']); // p left zone a at 1 s
  });

  it('a scheduled presence rule switches on when the window opens while presence holds (tick at the minute boundary)', () => {
    const core = buildCore({
      site: { timezone: 'UTC' },
      cameras: cams('cam1'),
      zones: [{ ...yard, fallback: { alarm_status: true } }],
      outputs: [{ id: 'light' }],
      rules: [{ id: 'evening', outputs: ['light'], when: { presence: { zones: ['yard'] } }, schedule: { from: '12:05', to: '12:10' } }],
    });
    const evs = play(core, [at(s(0), (c, t) => c.alarmStatus('cam1', true, t))], s(20 * 60));
    expect(outs(evs)).toEqual(['+300s output.on light rule:evening', '+600s output.off light idle']);
  });
});

describe('dark-only rule through the core (Berlin)', () => {
  it('presence from 15:00 UTC on 2026-01-15: the light comes on exactly at sunset (16:13-16:33 CET), off at sunrise', () => {
    const core = buildCore({
      site: { timezone: 'Europe/Berlin', latitude: 52.52, longitude: 13.405 },
      cameras: cams('cam1'),
      zones: [{ id: 'yard', camera: 'cam1' }],
      outputs: [{ id: 'light' }],
      rules: [{ id: 'night', outputs: ['light'], when: { presence: { zones: ['yard'] } }, schedule: { dark_only: true } }],
    });
    const start = Date.parse('2026-01-15T15:00:00Z');
    const evs = play(core, [at(start, (c, t) => c.alarmStatus('cam1', true, t))], Date.parse('2026-01-16T12:00:00Z'));
    const sw = evs.filter((e) => e.type.startsWith('output.'));
    expect(sw.map((e) => e.type)).toEqual(['output.on', 'output.off']);
    const on = Date.parse(sw[0]!.time);
    const off = Date.parse(sw[1]!.time);
    expect(on).toBeGreaterThan(Date.parse('2026-01-15T15:13:00Z'));
    expect(on).toBeLessThan(Date.parse('2026-01-15T15:33:00Z'));
    // sunrise 2026-01-16 ≈ 08:10 CET
    expect(off).toBeGreaterThan(Date.parse('2026-01-16T07:00:00Z'));
    expect(off).toBeLessThan(Date.parse('2026-01-16T07:20:00Z'));
  });
});

describe('override', () => {
  const core = () =>
    buildCore({
      cameras: cams('cam1'),
      zones: [{ id: 'yard', camera: 'cam1', off_delay_s: 0 }],
      outputs: [{ id: 'light' }],
      rules: [{ id: 'yard-light', outputs: ['light'], when: { presence: { zones: ['yard'] } } }],
    });

  it('manual on for N seconds, then back to auto (off: nobody there)', () => {
    const c = core();
    const o = c.override('light', { state: 'on', for_s: 60 }, s(0));
    expect(o.outputs).toEqual([{ id: 'light', on: true, reason: 'override', mode: 'manual' }]);
    const evs = play(c, [], s(300));
    expect(outs(evs)).toEqual(['+60s output.off light idle']);
    expect(c.outputs()[0]).toMatchObject({ state: 'OFF', mode: 'auto' });
    expect(c.nextDeadline()).toBeNull();
  });

  it('manual off beats a rule; auto hands back to the rule', () => {
    const c = core();
    c.alarmStatus('cam1', true, s(0));
    expect(c.outputs()[0]).toMatchObject({ state: 'ON', reason: 'rule:yard-light', mode: 'auto' });
    const off = c.override('light', { state: 'off' }, s(1));
    expect(off.outputs).toEqual([{ id: 'light', on: false, reason: 'override', mode: 'manual' }]);
    expect(play(c, [], s(3600))).toEqual([]); // no expiry without for_s
    const auto = c.override('light', { state: 'auto' }, s(3600));
    expect(auto.outputs).toEqual([{ id: 'light', on: true, reason: 'rule:yard-light', mode: 'auto' }]);
  });

  it('an unknown output is an error', () => {
    expect(() => core().override('nope', { state: 'on' }, s(0))).toThrow(UnknownOutput);
  });
});

describe('interlock and shutdown', () => {
  const build = () =>
    buildCore({
      cameras: cams('cam1'),
      outputs: [
        { id: 'open', interlock: ['close'] },
        { id: 'close' },
        { id: 'lock', safe_state: 'on' },
      ],
      rules: [
        { id: 'r-open', outputs: ['open'], when: { event: { types: ['alarm.lpr'] } }, action: 'pulse', pulse_s: 10 },
        { id: 'r-close', outputs: ['close'], when: { event: { types: ['alarm.intrusion'] } }, action: 'pulse', pulse_s: 10 },
      ],
    });

  it('the later request loses while the other is on (both directions), and gets its turn when the other goes off', () => {
    const core = build();
    const evs = play(
      core,
      [
        ev(s(0), alarm('alarm.lpr', 'cam1')),
        at(s(2), (c, t) => {
          const o = c.event(alarm('alarm.intrusion', 'cam1'), t);
          expect(o.outputs).toEqual([{ id: 'close', on: false, reason: 'interlock:open', mode: 'auto' }]);
          return o;
        }),
      ],
      s(60),
    );
    // close's pulse runs until 12 s: it comes on when open goes off at 10 s
    expect(outs(evs)).toEqual(['+0s output.on open rule:r-open', '+10s output.off open idle', '+10s output.on close rule:r-close', '+12s output.off close idle']);
  });

  it('a manual override does not break an interlock', () => {
    const core = build();
    core.event(alarm('alarm.intrusion', 'cam1'), s(0));
    const o = core.override('open', { state: 'on' }, s(1));
    expect(o.outputs).toEqual([{ id: 'open', on: false, reason: 'interlock:close', mode: 'manual' }]);
  });

  it('shutdown drives every output to its safe state with reason shutdown, for good', () => {
    const core = build();
    core.event(alarm('alarm.lpr', 'cam1'), s(0));
    const o = core.shutdown(s(1));
    expect(outs(o.events)).toEqual(['+1s output.off open shutdown', '+1s output.on lock shutdown']);
    expect(core.event(alarm('alarm.intrusion', 'cam1'), s(2)).events).toEqual([]);
    expect(core.override('open', { state: 'on' }, s(3)).outputs).toEqual([]);
    expect(core.outputs().map((x) => `${x.id}:${x.state}:${x.reason}`)).toEqual(['open:OFF:shutdown', 'close:OFF:shutdown', 'lock:ON:shutdown']);
  });
});
