import type { OutputConfig } from '../config/schema.js';
import type { OutputState } from '../core/bus.js';
import { iso, type Emit } from '../presence/emit.js';

export interface OverrideCmd {
  state: 'on' | 'off' | 'auto';
  for_s?: number;
}

/** what the rules want for one output right now */
export interface Demand {
  on: boolean;
  /** the rule asking, when on */
  rule: string | null;
}

/**
 * One output's arbitration. Precedence, strongest first:
 * 1. shutdown: safe_state, for good.
 * 2. max_on_s (safety cut): an output on for max_on_s goes off whatever asks for it
 *    (rule or manual). It then stays off ("latched") until the request that kept it
 *    on goes away: the rules' demand drops (condition false, hold/pulse over) or a
 *    new override command / override expiry. Only then can it come on again.
 *    We chose latch-until-false over "re-arm after min_off" because a condition
 *    stuck true (a parked car, a jammed sensor) would otherwise cycle the relay forever.
 * 3. interlock: an output never comes on while an interlocked one is on: the later
 *    request loses (reason `interlock:<other>`) and waits; it comes on when the
 *    other goes off, if still asked for. Same instant: config order wins. This also
 *    applies to manual overrides: "never on at once" is a wiring guarantee.
 * 4. manual override (on/off, optionally for N s): beats rules, and also min_on/min_off
 *    (an installer's command acts at once).
 * 5. rules, with min_on_s (stays on at least this long) and min_off_s (stays off at
 *    least this long: anti-chatter).
 */
export class OutputRuntime {
  readonly id: string;
  on = false;
  /** when it last changed; -Infinity = never, so min_off does not block the first on */
  changedAt = -Infinity;
  reason = 'idle';
  rule: string | null = null;
  override: { state: 'on' | 'off'; until: number } | null = null;
  /** max_on cut latched until the request drops */
  cut = false;
  interlocks: OutputRuntime[] = [];
  /** false after shutdown */
  live = true;
  reported = { on: false, reason: 'idle', mode: 'auto' as 'auto' | 'manual' };
  private readonly sinceInit: number;

  constructor(
    readonly cfg: OutputConfig,
    now: number,
  ) {
    this.id = cfg.id;
    this.sinceInit = now;
  }

  get mode(): 'auto' | 'manual' {
    return this.override ? 'manual' : 'auto';
  }

  setOverride(cmd: OverrideCmd, now: number): void {
    this.cut = false; // a new command is a new request
    if (cmd.state === 'auto') this.override = null;
    else this.override = { state: cmd.state, until: cmd.for_s !== undefined && cmd.for_s > 0 ? now + cmd.for_s * 1000 : Infinity };
  }

  /** drop an override whose time is up */
  expireOverride(now: number): void {
    if (this.override && now >= this.override.until) {
      this.override = null;
      this.cut = false;
    }
  }

  /** What is wanted, before min_on/min_off/interlock. Updates the max_on latch. */
  want(now: number, demand: Demand): { on: boolean; reason: string; rule: string | null; forced: boolean } {
    const manual = this.override !== null;
    let on = manual ? this.override!.state === 'on' : demand.on;
    const reason = manual ? 'override' : on ? `rule:${demand.rule}` : 'idle';
    const rule = manual ? null : demand.rule;
    if (!on) {
      this.cut = false;
      return { on, reason, rule, forced: manual };
    }
    const max = this.cfg.max_on_s * 1000;
    if (!this.cut && this.on && max > 0 && now >= this.changedAt + max) this.cut = true;
    if (this.cut) return { on: false, reason: 'max_on', rule, forced: true };
    return { on, reason, rule, forced: manual };
  }

  /** rebase stored times by `delta` ms (clock stepped) */
  shift(delta: number): void {
    this.changedAt += delta;
    if (this.override) this.override.until += delta;
  }

  /** next time something about this output may change by itself (Infinity if never) */
  deadline(now: number): number {
    let d = Infinity;
    if (!this.live) return d;
    if (this.override && this.override.until > now) d = this.override.until;
    if (this.on) {
      const max = this.cfg.max_on_s * 1000;
      if (max > 0 && this.changedAt + max > now) d = Math.min(d, this.changedAt + max);
      const min = this.cfg.min_on_s * 1000;
      if (min > 0 && this.changedAt + min > now) d = Math.min(d, this.changedAt + min);
    } else {
      const min = this.cfg.min_off_s * 1000;
      if (min > 0 && this.changedAt + min > now) d = Math.min(d, this.changedAt + min);
    }
    return d;
  }

  state(): OutputState {
    return {
      id: this.id,
      state: this.on ? 'ON' : 'OFF',
      mode: this.mode,
      reason: this.reason,
      available: true,
      since: iso(Number.isFinite(this.changedAt) ? this.changedAt : this.sinceInit),
    };
  }

  set(on: boolean, reason: string, rule: string | null, now: number, emit: Emit): void {
    const wasOn = this.on;
    const onFor = wasOn ? (now - this.changedAt) / 1000 : undefined;
    this.on = on;
    this.changedAt = now;
    this.reason = reason;
    this.rule = rule;
    const data: Record<string, unknown> = { output: this.id, state: on ? 'on' : 'off', reason, mode: this.mode };
    if (rule) data.rule = rule;
    if (onFor !== undefined) data.on_s = onFor;
    emit.event(on ? 'output.on' : 'output.off', 'site', this.id, now, data);
  }
}

/**
 * Arbitrate every output for `now`. Two passes so that an output going off in
 * this instant frees its interlock partner in the same instant: first everything
 * that goes (or stays) off, then everything that comes on, in config order.
 */
export function arbitrate(outputs: readonly OutputRuntime[], now: number, demandOf: (o: OutputRuntime) => Demand, emit: Emit): void {
  const wants: { on: boolean; reason: string; rule: string | null; forced: boolean }[] = [];
  for (const o of outputs) {
    o.expireOverride(now);
    wants.push(o.live ? o.want(now, demandOf(o)) : { on: o.on, reason: o.reason, rule: o.rule, forced: true });
  }
  // pass 1: offs
  outputs.forEach((o, i) => {
    const w = wants[i]!;
    if (!o.live || !o.on || w.on) return;
    const minOn = o.cfg.min_on_s * 1000;
    if (!w.forced && minOn > 0 && now < o.changedAt + minOn) return; // keeps its reason until min_on is served
    o.set(false, w.reason, w.rule, now, emit);
  });
  // pass 2: ons (and reason updates of outputs staying as they are)
  outputs.forEach((o, i) => {
    const w = wants[i]!;
    if (!o.live) return;
    if (o.on) {
      if (w.on) {
        o.reason = w.reason; // e.g. a rule-held output now also overridden on
        o.rule = w.rule;
      }
      return;
    }
    if (!w.on) {
      o.reason = w.reason;
      return;
    }
    const minOff = o.cfg.min_off_s * 1000;
    if (!w.forced && minOff > 0 && now < o.changedAt + minOff) {
      o.reason = 'min_off';
      return;
    }
    const blocker = o.interlocks.find((x) => x.on);
    if (blocker) {
      o.reason = `interlock:${blocker.id}`;
      return;
    }
    o.set(true, w.reason, w.rule, now, emit);
  });
}
