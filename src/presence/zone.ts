import type { ZoneConfig } from '../config/schema.js';
import type { ZoneState } from '../core/bus.js';
import type { TargetClass } from '../core/event.js';
import { compileRegion, meetsMinBox, toUnitBox, type Rect, type Region } from './geometry.js';
import { iso, type Emit } from './emit.js';

/** One target of one traject frame, on the 0..10000 grid. */
export interface TrajectTarget {
  id: string;
  cls: TargetClass;
  rect: Rect;
}

interface Track {
  /** map key: the target id, or camera + id in a '*' zone */
  key: string;
  id: string;
  camera: string;
  cls: TargetClass;
  firstSeen: number;
  lastSeen: number;
  /** matching frames so far (box path length) */
  frames: number;
  entered: boolean;
  enteredAt: number;
  first: [number, number, number, number];
  /** overwritten in place on every frame: no allocation per frame */
  last: [number, number, number, number];
}

export interface TargetView {
  zone: string;
  camera: string;
  id: string;
  class: TargetClass;
  entered: boolean;
  first_seen: string;
  last_seen: string;
  dwell_s: number;
  frames: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

export type PresenceSource = 'none' | 'traject' | 'alarm_status' | 'alarm_event' | 'offline:hold' | 'offline:off' | 'offline:on';

/** Alarm event types that prove someone is there (an exit or a status flip does not). */
const NON_HOLDING = new Set(['alarm.status', 'alarm.zone_exit', 'alarm.unknown']);
export function alarmHoldsZone(type: string): boolean {
  return type.startsWith('alarm.') && !NON_HOLDING.has(type);
}

/**
 * One zone: its traject targets (enter/leave/dwell), its fallback sources and
 * its presence state machine with off-delay and offline policy. Pure: every
 * method takes `now`; the site core calls `tick` at `deadline()`.
 *
 * Presence = any entered traject target OR alarm status true OR an alarm event
 * less than `alarm_hold_s` old. When that drops, presence stays on for
 * `off_delay_s`; anything raising it again in the meantime cancels the off.
 */
export class ZoneRuntime {
  readonly id: string;
  /** camera id for events: the zone's camera, or 'site' for a '*' zone */
  readonly eventCamera: string;
  private readonly wild: boolean;
  private readonly region: Region;
  private readonly classes: ReadonlySet<string>;
  private readonly tracks = new Map<string, Track>();
  private entered = 0;
  /** alarm status fields currently true (a camera reports several: perimeterAlarm, motionAlarm, ...) */
  private readonly statusFields = new Set<string>();
  private alarmHoldUntil = -Infinity;
  private offline: ZoneConfig['offline_policy'] | null = null;
  private lastNow = -Infinity;

  presence = false;
  count = 0;
  source: PresenceSource = 'none';
  /** ms of the last presence change; null before the first */
  since: number | null = null;
  private onSince = 0;
  private peak = 0;
  private offAt: number | null = null;

  /**
   * Bumped whenever this zone's deadline may have moved EARLIER (a new track, a
   * state update). Refreshing a known track only moves deadlines later, so the
   * core may keep a cached (early) deadline across such frames.
   */
  version = 0;
  /** the version the core's deadline memo has seen */
  memoVersion = 0;

  // what the core last reported to the outside, to report only changes
  reported = { presence: false, count: 0, source: 'none' as string };
  dirty = false;

  constructor(readonly cfg: ZoneConfig) {
    this.id = cfg.id;
    this.wild = cfg.camera === '*';
    this.eventCamera = this.wild ? 'site' : cfg.camera;
    this.region = compileRegion(cfg.polygon, cfg.anchor);
    this.classes = new Set(cfg.classes);
  }

  /** does this box of this class count for the zone? */
  matches(cls: string, rect: Rect): boolean {
    return this.classes.has(cls) && meetsMinBox(rect, this.cfg.min_box) && this.region(rect);
  }

  /**
   * Apply one traject frame of `camera`. Returns true when the zone's state
   * (presence/count) may have changed. Frames only refresh matching targets;
   * a target not carried by any frame for `target_timeout_ms` leaves.
   */
  frame(camera: string, targets: readonly TrajectTarget[], now: number, emit: Emit): boolean {
    this.lastNow = now;
    const before = this.entered;
    const cfg = this.cfg;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (!this.matches(t.cls, t.rect)) continue;
      const key = this.wild ? camera + '\u0000' + t.id : t.id;
      let tr = this.tracks.get(key);
      if (!tr) {
        const r = t.rect;
        tr = {
          key,
          id: t.id,
          camera,
          cls: t.cls,
          firstSeen: now,
          lastSeen: now,
          frames: 1,
          entered: false,
          enteredAt: 0,
          first: [r[0], r[1], r[2], r[3]],
          last: [r[0], r[1], r[2], r[3]],
        };
        this.tracks.set(key, tr);
        this.version++;
      } else {
        if (now > tr.lastSeen) tr.lastSeen = now; // a late-processed post never shortens a track
        tr.frames++;
        tr.cls = t.cls;
        const l = tr.last;
        l[0] = t.rect[0];
        l[1] = t.rect[1];
        l[2] = t.rect[2];
        l[3] = t.rect[3];
      }
      if (!tr.entered && tr.frames >= cfg.enter_frames && now - tr.firstSeen >= cfg.enter_ms) {
        tr.entered = true;
        tr.enteredAt = now;
        this.entered++;
        emit.event('target.enter', tr.camera, `${this.id}:${tr.id}`, now, {
          zone: this.id,
          target: tr.id,
          class: tr.cls,
          box: toUnitBox(tr.last),
          frames: tr.frames,
          first_seen: iso(tr.firstSeen),
        });
      }
    }
    this.expire(now, emit);
    if (this.entered !== before) {
      this.update(now, emit);
      return true;
    }
    return false;
  }

  /** a camera-level alarm status field (on while any field is true) */
  alarmStatus(field: string, active: boolean, now: number, emit: Emit): boolean {
    this.lastNow = now;
    if (!this.cfg.fallback.alarm_status || this.statusFields.has(field) === active) return false;
    if (active) this.statusFields.add(field);
    else this.statusFields.delete(field);
    this.update(now, emit);
    return true;
  }

  /** an alarm event holds the zone for alarm_hold_s; events naming only other classes are ignored */
  alarmEvent(classes: readonly string[] | null, now: number, emit: Emit): boolean {
    this.lastNow = now;
    if (!this.cfg.fallback.alarm_events) return false;
    if (classes && classes.length > 0 && !classes.some((c) => this.classes.has(c))) return false;
    this.alarmHoldUntil = Math.max(this.alarmHoldUntil, now + this.cfg.fallback.alarm_hold_s * 1000);
    this.update(now, emit);
    return true;
  }

  /**
   * Camera offline → the zone's offline_policy: 'off' and 'on' force presence
   * (and drop targets, which cannot be seen any more); 'hold' freezes everything
   * as it was, targets included. Online again: normal rules resume; held targets
   * get a fresh target_timeout from the moment the camera is back.
   */
  availability(online: boolean, now: number, emit: Emit): boolean {
    this.lastNow = now;
    if (this.wild) return false; // a '*' zone spans cameras: one camera going away is not the zone going away
    if (!online) {
      if (this.offline) return false;
      this.offline = this.cfg.offline_policy;
      if (this.offline !== 'hold') {
        this.dropTracks(now, emit, 'camera_offline');
        this.statusFields.clear();
        this.alarmHoldUntil = -Infinity;
      }
    } else {
      if (!this.offline) return false;
      if (this.offline === 'hold') {
        for (const tr of this.tracks.values()) tr.lastSeen = Math.max(tr.lastSeen, now);
        // an off-delay that was running restarts from now
        this.offAt = null;
      }
      this.offline = null;
    }
    this.update(now, emit);
    return true;
  }

  /** expire targets, alarm holds and off-delays due at `now` */
  tick(now: number, emit: Emit): void {
    this.lastNow = now;
    this.expire(now, emit);
    this.update(now, emit);
  }

  /** the next time `tick` has something to do, or Infinity */
  deadline(): number {
    if (this.offline === 'hold') return Infinity;
    let d = Infinity;
    const timeout = this.cfg.target_timeout_ms;
    for (const tr of this.tracks.values()) if (tr.lastSeen + timeout < d) d = tr.lastSeen + timeout;
    if (this.offAt !== null && this.offAt < d) d = this.offAt;
    if (this.alarmHoldUntil > this.lastNow && this.alarmHoldUntil < d) d = this.alarmHoldUntil;
    return d;
  }

  /** rebase every stored time by `delta` ms (the site core's clock-step handling) */
  shift(delta: number): void {
    for (const tr of this.tracks.values()) {
      tr.firstSeen += delta;
      tr.lastSeen += delta;
      tr.enteredAt += delta;
    }
    this.alarmHoldUntil += delta;
    this.lastNow += delta;
    if (this.offAt !== null) this.offAt += delta;
    if (this.since !== null) this.since += delta;
    this.onSince += delta;
    this.version++;
  }

  state(): ZoneState {
    return { id: this.id, presence: this.presence, count: this.count, since: this.since === null ? null : iso(this.since), source: this.source };
  }

  targets(camera?: string): TargetView[] {
    const out: TargetView[] = [];
    for (const tr of this.tracks.values()) {
      if (camera !== undefined && tr.camera !== camera) continue;
      out.push({
        zone: this.id,
        camera: tr.camera,
        id: tr.id,
        class: tr.cls,
        entered: tr.entered,
        first_seen: iso(tr.firstSeen),
        last_seen: iso(tr.lastSeen),
        dwell_s: (tr.lastSeen - tr.firstSeen) / 1000,
        frames: tr.frames,
        box: toUnitBox(tr.last),
      });
    }
    return out;
  }

  private expire(now: number, emit: Emit): void {
    if (this.offline === 'hold' || this.tracks.size === 0) return;
    const timeout = this.cfg.target_timeout_ms;
    for (const tr of this.tracks.values()) {
      if (now - tr.lastSeen < timeout) continue;
      this.tracks.delete(tr.key);
      if (tr.entered) this.leave(tr, now, emit, 'timeout');
    }
  }

  private dropTracks(now: number, emit: Emit, reason: string): void {
    for (const tr of this.tracks.values()) if (tr.entered) this.leave(tr, now, emit, reason);
    this.tracks.clear();
  }

  private leave(tr: Track, now: number, emit: Emit, reason: string): void {
    this.entered--;
    // dwell = first to last frame that carried the target in the zone (not the timeout tail)
    emit.event('target.leave', tr.camera, `${this.id}:${tr.id}`, now, {
      zone: this.id,
      target: tr.id,
      class: tr.cls,
      dwell_s: (tr.lastSeen - tr.firstSeen) / 1000,
      first_seen: iso(tr.firstSeen),
      last_seen: iso(tr.lastSeen),
      path: { first: toUnitBox(tr.first), last: toUnitBox(tr.last), frames: tr.frames },
      reason,
    });
  }

  private update(now: number, emit: Emit): void {
    this.dirty = true;
    this.version++;
    const off = this.offline;
    if (off === 'hold') {
      this.source = 'offline:hold';
      return;
    }
    if (off === 'off' || off === 'on') {
      this.offAt = null;
      this.count = 0;
      this.source = off === 'on' ? 'offline:on' : 'offline:off';
      if (off === 'on' && !this.presence) this.turnOn(now, emit);
      else if (off === 'off' && this.presence) this.turnOff(now, emit, 'camera_offline');
      return;
    }
    const held = now < this.alarmHoldUntil;
    const src: PresenceSource | null =
      this.entered > 0 ? 'traject' : this.statusFields.size > 0 ? 'alarm_status' : held ? 'alarm_event' : null;
    // count is the number of traject targets inside; a fallback source proves at least one
    this.count = this.entered > 0 ? this.entered : src ? 1 : 0;
    if (src) {
      this.offAt = null;
      this.source = src;
      if (!this.presence) this.turnOn(now, emit);
      if (this.count > this.peak) this.peak = this.count;
      return;
    }
    if (!this.presence) {
      this.source = 'none';
      return;
    }
    // off-delay keeps the last source visible until presence actually goes off
    if (this.offAt === null) this.offAt = now + this.cfg.off_delay_s * 1000;
    if (now >= this.offAt) this.turnOff(now, emit, 'off_delay');
  }

  private turnOn(now: number, emit: Emit): void {
    this.presence = true;
    this.since = now;
    this.onSince = now;
    this.peak = this.count;
    emit.event('presence.on', this.eventCamera, this.id, now, { zone: this.id, count: this.count, source: this.source });
  }

  private turnOff(now: number, emit: Emit, reason: string): void {
    this.presence = false;
    this.since = now;
    this.offAt = null;
    this.count = 0;
    if (!this.offline) this.source = 'none';
    emit.event('presence.off', this.eventCamera, this.id, now, {
      zone: this.id,
      count: 0,
      peak_count: this.peak,
      duration_s: (now - this.onSince) / 1000,
      source: this.source,
      reason,
    });
  }
}
