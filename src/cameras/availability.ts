import type { CameraState } from '../core/bus.js';
import type { CamEvent } from '../core/event.js';
import type { CameraConfig } from '../config/schema.js';

/**
 * Camera/NVR availability (pure: time comes in as `now`, ms epoch).
 *
 * A device is online while keepalives or posts keep arriving within its
 * expected interval. The interval is the configured `keepalive_s`, else learnt
 * from the gaps between its keepalives (IPC cameras 30–120 s, NVRs ~10 s),
 * else a default deadline. A configured device that never posted is
 * `online: null` ("never seen"), which is not healthy.
 */

export interface AvailabilityOptions {
  /** deadline used before an interval is known (configured or learnt) */
  defaultDeadlineMs?: number;
  /** deadline = interval × factor + slack */
  factor?: number;
  slackMs?: number;
  /** keepalive gaps needed before the learnt interval replaces the default */
  learnSamples?: number;
  /** |device clock − box clock| above this raises camera.clock_skew */
  clockSkewThresholdS?: number;
  /** camera.clock_skew repeats at most this often per camera */
  clockSkewRepeatMs?: number;
}

export type IntervalSource = 'configured' | 'learnt' | 'default';

/** CameraState (bus.ts) plus what the admin API shows about the deadline. */
export interface CameraAvailabilityState extends CameraState {
  configured: boolean;
  ip: string | null;
  expected_interval_s: number | null;
  interval_source: IntervalSource;
  /** ISO time the device is declared offline if nothing arrives; null when not online */
  deadline: string | null;
}

export interface SeenInfo {
  name?: string;
  ip?: string;
  /** device clock minus box clock, seconds */
  skew_s?: number;
}

interface Rec {
  id: string;
  name: string;
  configured: boolean;
  configuredIntervalMs: number | null;
  online: boolean | null;
  lastSeen: number | null;
  /** when it last went offline (for offline_for_s on recovery) */
  offlineSince: number | null;
  lastKeepalive: number | null;
  gaps: number[];
  ip: string | null;
  skewS: number | null;
  lastSkewEventAt: number | null;
}

const MAX_GAPS = 7;
// Gaps below this are duplicate keepalives (retries, two connections), not the interval.
const MIN_GAP_MS = 1000;
// Legacy alarm-server heartbeats go up to 1800 s; anything longer is an outage, not the interval.
const MAX_GAP_MS = 1800_000;

export class CameraAvailability {
  private readonly recs = new Map<string, Rec>();
  private readonly defaultDeadlineMs: number;
  private readonly factor: number;
  private readonly slackMs: number;
  private readonly learnSamples: number;
  private readonly skewThresholdS: number;
  private readonly skewRepeatMs: number;

  constructor(cameras: CameraConfig[], opts: AvailabilityOptions = {}) {
    this.defaultDeadlineMs = opts.defaultDeadlineMs ?? 180_000;
    this.factor = opts.factor ?? 2.5;
    this.slackMs = opts.slackMs ?? 10_000;
    this.learnSamples = Math.max(1, opts.learnSamples ?? 2);
    this.skewThresholdS = opts.clockSkewThresholdS ?? 120;
    this.skewRepeatMs = opts.clockSkewRepeatMs ?? 3600_000;
    for (const c of cameras) {
      this.recs.set(c.id, this.newRec(c.id, c.name ?? c.id, true, c.keepalive_s !== undefined ? c.keepalive_s * 1000 : null));
    }
  }

  private newRec(id: string, name: string, configured: boolean, configuredIntervalMs: number | null): Rec {
    return {
      id,
      name,
      configured,
      configuredIntervalMs,
      online: null,
      lastSeen: null,
      offlineSince: null,
      lastKeepalive: null,
      gaps: [],
      ip: null,
      skewS: null,
      lastSkewEventAt: null,
    };
  }

  /** A keepalive or any post arrived from the device. */
  seen(
    cameraId: string,
    kind: 'keepalive' | 'post',
    now: number,
    info: SeenInfo = {},
  ): { events: CamEvent[]; changed: CameraAvailabilityState | null } {
    let r = this.recs.get(cameraId);
    if (!r) {
      r = this.newRec(cameraId, info.name ?? cameraId, false, null);
      this.recs.set(cameraId, r);
    }
    const events: CamEvent[] = [];
    let changed = false;

    if (kind === 'keepalive') {
      if (r.lastKeepalive !== null) {
        const gap = now - r.lastKeepalive;
        if (gap >= MIN_GAP_MS && gap <= MAX_GAP_MS) {
          r.gaps.push(gap);
          if (r.gaps.length > MAX_GAPS) r.gaps.shift();
        }
      }
      // A duplicate within MIN_GAP_MS keeps the earlier reference so the next gap is measured correctly.
      if (r.lastKeepalive === null || now - r.lastKeepalive >= MIN_GAP_MS) r.lastKeepalive = now;
    }
    if (info.name && !r.configured && info.name !== r.name) {
      r.name = info.name;
      changed = true;
    }
    if (info.ip && info.ip !== r.ip) r.ip = info.ip;

    const prevOnline = r.online;
    r.lastSeen = Math.max(r.lastSeen ?? now, now);
    if (prevOnline !== true) {
      r.online = true;
      changed = true;
      const data: Record<string, unknown> = { first_seen: prevOnline === null, via: kind };
      if (prevOnline === false && r.offlineSince !== null) data.offline_for_s = round1((now - r.offlineSince) / 1000);
      if (r.ip) data.ip = r.ip;
      events.push(this.event(r, 'camera.online', now, data));
      r.offlineSince = null;
    }

    if (info.skew_s !== undefined && Number.isFinite(info.skew_s)) {
      if (r.skewS === null || Math.abs(info.skew_s - r.skewS) >= 1) changed = true;
      r.skewS = info.skew_s;
      if (Math.abs(info.skew_s) > this.skewThresholdS) {
        if (r.lastSkewEventAt === null || now - r.lastSkewEventAt >= this.skewRepeatMs) {
          r.lastSkewEventAt = now;
          events.push(
            this.event(r, 'camera.clock_skew', now, { skew_s: round1(info.skew_s), threshold_s: this.skewThresholdS }),
          );
        }
      }
    }
    return { events, changed: changed ? this.stateOf(r) : null };
  }

  /** Declares offline every online device whose deadline has passed. */
  tick(now: number): { events: CamEvent[]; changed: CameraAvailabilityState[] } {
    const events: CamEvent[] = [];
    const changed: CameraAvailabilityState[] = [];
    for (const r of this.recs.values()) {
      if (r.online !== true || r.lastSeen === null) continue;
      const deadline = r.lastSeen + this.deadlineMs(r);
      if (now < deadline) continue;
      r.online = false;
      r.offlineSince = deadline;
      const iv = this.interval(r);
      events.push(
        this.event(r, 'camera.offline', now, {
          last_seen: new Date(r.lastSeen).toISOString(),
          silent_s: round1((now - r.lastSeen) / 1000),
          expected_interval_s: iv.ms === null ? null : round1(iv.ms / 1000),
          interval_source: iv.source,
        }),
      );
      changed.push(this.stateOf(r));
    }
    return { events, changed };
  }

  /** The earliest time tick() can change anything (the adapter sets its timer to this). */
  nextDeadline(): number | null {
    let min: number | null = null;
    for (const r of this.recs.values()) {
      if (r.online !== true || r.lastSeen === null) continue;
      const d = r.lastSeen + this.deadlineMs(r);
      if (min === null || d < min) min = d;
    }
    return min;
  }

  states(): CameraAvailabilityState[] {
    return [...this.recs.values()].map((r) => this.stateOf(r));
  }

  state(cameraId: string): CameraAvailabilityState | null {
    const r = this.recs.get(cameraId);
    return r ? this.stateOf(r) : null;
  }

  /** The time of the most recent post/keepalive from any device (readyz's "some camera posted" check). */
  lastSeenAny(): number | null {
    let max: number | null = null;
    for (const r of this.recs.values()) if (r.lastSeen !== null && (max === null || r.lastSeen > max)) max = r.lastSeen;
    return max;
  }

  private interval(r: Rec): { ms: number | null; source: IntervalSource } {
    if (r.configuredIntervalMs !== null) return { ms: r.configuredIntervalMs, source: 'configured' };
    if (r.gaps.length >= this.learnSamples) return { ms: median(r.gaps), source: 'learnt' };
    return { ms: null, source: 'default' };
  }

  private deadlineMs(r: Rec): number {
    const iv = this.interval(r);
    return iv.ms === null ? this.defaultDeadlineMs : iv.ms * this.factor + this.slackMs;
  }

  private stateOf(r: Rec): CameraAvailabilityState {
    const iv = this.interval(r);
    return {
      id: r.id,
      name: r.name,
      online: r.online,
      last_seen: r.lastSeen === null ? null : new Date(r.lastSeen).toISOString(),
      clock_skew_s: r.skewS,
      configured: r.configured,
      ip: r.ip,
      expected_interval_s: iv.ms === null ? null : round1(iv.ms / 1000),
      interval_source: iv.source,
      deadline: r.online === true && r.lastSeen !== null ? new Date(r.lastSeen + this.deadlineMs(r)).toISOString() : null,
    };
  }

  private event(r: Rec, type: 'camera.online' | 'camera.offline' | 'camera.clock_skew', now: number, extra: Record<string, unknown>): CamEvent {
    const iso = new Date(now).toISOString();
    return {
      // Deterministic: the same transition at the same instant always has the same id.
      id: `${type}:${r.id}:${now}`,
      type,
      camera: r.id,
      time: iso,
      data: { camera: r.id, received_at: iso, time_source: 'received', name: r.name, ...extra },
    };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
