import type { CameraConfig, OutputConfig, RuleConfig, SiteConfig, ZoneConfig } from '../config/schema.js';
import type { OutputState, ZoneState } from '../core/bus.js';
import type { CamEvent } from '../core/event.js';
import { EventCollector } from '../presence/emit.js';
import { alarmHoldsZone, ZoneRuntime, type TargetView, type TrajectTarget } from '../presence/zone.js';
import { eventClasses } from './event-filter.js';
import { arbitrate, OutputRuntime, type Demand, type OverrideCmd } from './output-arbiter.js';
import { RuleRuntime } from './rule.js';

export type { TrajectTarget, TargetView, OverrideCmd };

export interface CoreOutputChange {
  id: string;
  on: boolean;
  reason: string;
  mode: 'auto' | 'manual';
}

/** What one call produced. `zones`/`outputs` hold only what changed. */
export interface CoreOutput {
  events: CamEvent[];
  zones: ZoneState[];
  outputs: CoreOutputChange[];
}

export interface SiteCoreConfig {
  site: SiteConfig;
  cameras: CameraConfig[];
  zones: ZoneConfig[];
  outputs: OutputConfig[];
  rules: RuleConfig[];
}

export interface SiteCore {
  /** one traject frame: every target the camera currently tracks (0..10000 grid) */
  traject(camera: string, targets: readonly TrajectTarget[], now: number): CoreOutput;
  /**
   * device alarm status of a camera: its zones are present while it is true
   * (fallback). Cameras report several status fields (perimeterAlarm, motionAlarm...):
   * pass `field` so one field going false does not clear another; default 'alarm'.
   */
  alarmStatus(camera: string, active: boolean, now: number, field?: string): CoreOutput;
  /**
   * an external event (alarm post, cloud source): holds the camera's zones for
   * alarm_hold_s (fallback) and triggers event rules. An `alarm.status` event with a
   * boolean `data.active` is treated as `alarmStatus` (field from `data.field`).
   */
  event(ev: CamEvent, now: number): CoreOutput;
  cameraAvailability(camera: string, online: boolean, now: number): CoreOutput;
  override(output: string, cmd: OverrideCmd, now: number): CoreOutput;
  /** expire timers; call at `nextDeadline()` (calling it more often is harmless) */
  tick(now: number): CoreOutput;
  /** when `tick` must be called next (ms epoch), or null when nothing is pending */
  nextDeadline(): number | null;
  /** every output to its safe_state with reason 'shutdown'; outputs stay there afterwards */
  shutdown(now: number): CoreOutput;
  zones(): ZoneState[];
  outputs(): OutputState[];
  targets(camera?: string): TargetView[];
}

const EMPTY: CoreOutput = Object.freeze({
  events: Object.freeze([]) as unknown as CamEvent[],
  zones: Object.freeze([]) as unknown as ZoneState[],
  outputs: Object.freeze([]) as unknown as CoreOutputChange[],
});

/** The shared "nothing changed" result (frozen): compare with `===` to skip work. */
export const NO_CHANGE: CoreOutput = EMPTY;

export class UnknownOutput extends Error {
  constructor(readonly output: string) {
    super(`unknown output "${output}"`);
  }
}

const CLOCK_STEP_BACK_MS = 5000;

export function createSiteCore(cfg: SiteCoreConfig, now = 0): SiteCore {
  return new SiteCoreImpl(cfg, now);
}

class SiteCoreImpl implements SiteCore {
  private readonly emit = new EventCollector();
  private readonly zoneList: ZoneRuntime[];
  private readonly zoneById = new Map<string, ZoneRuntime>();
  private readonly wildZones: ZoneRuntime[];
  /** per camera: its own zones followed by the '*' zones (built once per camera seen) */
  private readonly zonesByCamera = new Map<string, ZoneRuntime[]>();
  private readonly rules: RuleRuntime[];
  private readonly outputList: OutputRuntime[];
  private readonly outputById = new Map<string, OutputRuntime>();
  private readonly rulesByOutput = new Map<string, RuleRuntime[]>();
  private readonly offlineCameras = new Set<string>();
  private lastNow = -Infinity;
  /** nextDeadline() memo; undefined = recompute. See ZoneRuntime.version for why frames may keep it. */
  private deadlineMemo: number | null | undefined = undefined;
  private readonly presenceOf = (zone: string): boolean => this.zoneById.get(zone)?.presence ?? false;
  private readonly demandOf = (o: OutputRuntime): Demand => this.demand(o);

  constructor(cfg: SiteCoreConfig, now: number) {
    this.zoneList = cfg.zones.map((z) => new ZoneRuntime(z));
    for (const z of this.zoneList) this.zoneById.set(z.id, z);
    this.wildZones = this.zoneList.filter((z) => z.cfg.camera === '*');
    for (const z of this.zoneList) {
      if (z.cfg.camera === '*') continue;
      let list = this.zonesByCamera.get(z.cfg.camera);
      if (!list) this.zonesByCamera.set(z.cfg.camera, (list = []));
      list.push(z);
    }
    for (const list of this.zonesByCamera.values()) list.push(...this.wildZones);

    this.outputList = cfg.outputs.map((o) => new OutputRuntime(o, now));
    for (const o of this.outputList) this.outputById.set(o.id, o);
    // interlocks are symmetric whichever side lists them
    for (const o of this.outputList)
      for (const other of o.cfg.interlock) {
        const x = this.outputById.get(other);
        if (!x || x === o) continue;
        if (!o.interlocks.includes(x)) o.interlocks.push(x);
        if (!x.interlocks.includes(o)) x.interlocks.push(o);
      }

    this.rules = cfg.rules.map((r) => new RuleRuntime(r, cfg.site));
    for (const r of this.rules)
      for (const out of r.cfg.outputs) {
        let list = this.rulesByOutput.get(out);
        if (!list) this.rulesByOutput.set(out, (list = []));
        list.push(r);
      }
  }

  /**
   * The wall clock stepped back (NTP, fake-hwclock at boot): move every stored
   * time by the step so running timers keep their remaining length. Without this a
   * 1 h step back would keep an output on 1 h past its max_on. Small regressions
   * (posts processed slightly out of order) are left alone.
   */
  private advance(now: number): void {
    if (now < this.lastNow - CLOCK_STEP_BACK_MS) {
      const delta = now - this.lastNow;
      for (const z of this.zoneList) z.shift(delta);
      for (const r of this.rules) r.shift(delta);
      for (const o of this.outputList) o.shift(delta);
      this.deadlineMemo = undefined;
    }
    this.lastNow = now;
  }

  private zonesOf(camera: string): readonly ZoneRuntime[] {
    // unknown cameras share the '*' list: no map entry per stray id
    return this.zonesByCamera.get(camera) ?? this.wildZones;
  }

  // ---- inputs ----

  traject(camera: string, targets: readonly TrajectTarget[], now: number): CoreOutput {
    this.advance(now);
    if (this.offlineCameras.size > 0 && this.offlineCameras.has(camera)) this.setAvailability(camera, true, now); // a post proves it is up
    const zones = this.zonesOf(camera);
    let changed = false;
    for (let i = 0; i < zones.length; i++) {
      const z = zones[i]!;
      if (z.frame(camera, targets, now, this.emit)) changed = true;
      // only known targets refreshed → the memoized deadline is still a valid (early) bound
      if (z.version !== z.memoVersion) {
        z.memoVersion = z.version;
        this.deadlineMemo = undefined;
      }
    }
    if (changed) return this.finish(now, true);
    if (this.emit.events) return this.finish(now, false);
    return EMPTY;
  }

  alarmStatus(camera: string, active: boolean, now: number, field = 'alarm'): CoreOutput {
    this.advance(now);
    if (this.offlineCameras.has(camera)) this.setAvailability(camera, true, now);
    let changed = false;
    for (const z of this.zonesOf(camera)) if (z.alarmStatus(field, active, now, this.emit)) changed = true;
    return this.finish(now, changed);
  }

  event(ev: CamEvent, now: number): CoreOutput {
    this.advance(now);
    let changed = false;
    const statusActive = ev.type === 'alarm.status' ? ev.data.active : undefined;
    if (typeof statusActive === 'boolean' || alarmHoldsZone(ev.type)) {
      if (this.offlineCameras.has(ev.camera)) this.setAvailability(ev.camera, true, now);
      const zones = this.zonesOf(ev.camera);
      if (typeof statusActive === 'boolean') {
        const field = typeof ev.data.field === 'string' ? ev.data.field : 'alarm';
        for (const z of zones) if (z.alarmStatus(field, statusActive, now, this.emit)) changed = true;
      } else {
        const classes = eventClasses(ev.data);
        for (const z of zones) if (z.alarmEvent(classes, now, this.emit)) changed = true;
      }
    }
    // zone changes first, so a rule gated by presence sees the presence this event caused
    if (changed) this.evaluateRules(now);
    let triggered = false;
    for (const r of this.rules) if (r.onEvent(ev, now, this.presenceOf)) triggered = true;
    return this.finish(now, changed || triggered);
  }

  cameraAvailability(camera: string, online: boolean, now: number): CoreOutput {
    this.advance(now);
    const changed = this.setAvailability(camera, online, now);
    return this.finish(now, changed);
  }

  private setAvailability(camera: string, online: boolean, now: number): boolean {
    if (online) this.offlineCameras.delete(camera);
    else this.offlineCameras.add(camera);
    let changed = false;
    for (const z of this.zonesByCamera.get(camera) ?? []) if (z.availability(online, now, this.emit)) changed = true;
    return changed;
  }

  override(output: string, cmd: OverrideCmd, now: number): CoreOutput {
    this.advance(now);
    const o = this.outputById.get(output);
    if (!o) throw new UnknownOutput(output);
    if (!o.live) return EMPTY; // after shutdown nothing moves an output
    o.setOverride(cmd, now);
    return this.finish(now, true);
  }

  tick(now: number): CoreOutput {
    this.advance(now);
    for (const z of this.zoneList) if (z.deadline() <= now) z.tick(now, this.emit);
    return this.finish(now, true);
  }

  nextDeadline(): number | null {
    if (this.deadlineMemo !== undefined) return this.deadlineMemo;
    const now = this.lastNow;
    let d = Infinity;
    for (const z of this.zoneList) {
      const x = z.deadline();
      if (x < d) d = x;
    }
    for (const r of this.rules) {
      const x = r.deadline(now);
      if (x < d) d = x;
    }
    for (const o of this.outputList) {
      const x = o.deadline(now);
      if (x < d) d = x;
    }
    this.deadlineMemo = Number.isFinite(d) ? d : null;
    return this.deadlineMemo;
  }

  shutdown(now: number): CoreOutput {
    this.advance(now);
    for (const o of this.outputList) {
      if (!o.live) continue;
      o.override = null;
      o.live = false;
      const safeOn = o.cfg.safe_state === 'on';
      if (o.on !== safeOn) o.set(safeOn, 'shutdown', null, now, this.emit);
      else o.reason = 'shutdown';
    }
    return this.finish(now, false);
  }

  // ---- views ----

  zones(): ZoneState[] {
    return this.zoneList.map((z) => z.state());
  }

  outputs(): OutputState[] {
    return this.outputList.map((o) => o.state());
  }

  targets(camera?: string): TargetView[] {
    const list = camera === undefined ? this.zoneList : this.zonesByCamera.get(camera) ?? this.wildZones;
    return list.flatMap((z) => z.targets(camera));
  }

  // ---- evaluation ----

  private evaluateRules(now: number): void {
    for (const r of this.rules) r.evaluate(now, this.presenceOf);
  }

  private demand(o: OutputRuntime): Demand {
    const rules = this.rulesByOutput.get(o.id);
    if (!rules) return { on: false, rule: null };
    // keep the rule that turned it on as the reason while it still asks
    let first: string | null = null;
    for (const r of rules) {
      if (!r.active(this.lastNow)) continue;
      if (r.id === o.rule) return { on: true, rule: r.id };
      first ??= r.id;
    }
    return { on: first !== null, rule: first };
  }

  /**
   * Collect the result of a call. `evaluate` = rules and outputs must be
   * re-evaluated (something they read may have changed, or a timer is due).
   */
  private finish(now: number, evaluate: boolean): CoreOutput {
    this.deadlineMemo = undefined;
    if (evaluate) {
      this.evaluateRules(now);
      arbitrate(this.outputList, now, this.demandOf, this.emit);
    }
    let zones: ZoneState[] | null = null;
    for (const z of this.zoneList) {
      if (!z.dirty) continue;
      z.dirty = false;
      const r = z.reported;
      if (r.presence === z.presence && r.count === z.count && r.source === z.source) continue;
      r.presence = z.presence;
      r.count = z.count;
      r.source = z.source;
      (zones ??= []).push(z.state());
    }
    let outputs: CoreOutputChange[] | null = null;
    for (const o of this.outputList) {
      const r = o.reported;
      const mode = o.mode;
      if (r.on === o.on && r.reason === o.reason && r.mode === mode) continue;
      r.on = o.on;
      r.reason = o.reason;
      r.mode = mode;
      (outputs ??= []).push({ id: o.id, on: o.on, reason: o.reason, mode });
    }
    const events = this.emit.take();
    if (!events && !zones && !outputs) return EMPTY;
    return { events: events ?? [], zones: zones ?? [], outputs: outputs ?? [] };
  }
}
