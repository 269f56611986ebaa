import type { RuleConfig, SiteConfig } from '../config/schema.js';
import type { CamEvent } from '../core/event.js';
import { compileEventFilter } from './event-filter.js';
import { isActive, nextChange } from './schedule.js';

/**
 * One rule's demand on its outputs. Pure; `now` injected.
 *
 * Kinds, by `when`:
 * - presence only: the condition is "presence in any/all zones AND schedule active".
 *   hold  → demand while the condition holds, plus hold_s after it drops.
 *   pulse → each rising edge of the condition starts a pulse of pulse_s.
 * - event only: each matching event (schedule active at the event's arrival) triggers.
 *   pulse → on for pulse_s; hold → on for hold_s after the event (later events extend it).
 * - presence AND event: the event triggers only while the presence condition holds.
 * retrigger (pulses): true = a trigger during a pulse restarts it (now + pulse_s);
 * false = triggers during a running pulse are ignored.
 */
export class RuleRuntime {
  readonly id: string;
  private readonly filter: ((ev: CamEvent) => boolean) | null;
  private cond = false;
  private holdUntil = -Infinity;
  private pulseUntil = -Infinity;
  private scheduleNext = -Infinity;

  constructor(
    readonly cfg: RuleConfig,
    private readonly site: Pick<SiteConfig, 'timezone' | 'latitude' | 'longitude'>,
  ) {
    this.id = cfg.id;
    this.filter = cfg.when.event ? compileEventFilter(cfg.when.event) : null;
  }

  get zones(): readonly string[] {
    return this.cfg.when.presence?.zones ?? [];
  }

  private presenceHolds(presenceOf: (zone: string) => boolean): boolean {
    const p = this.cfg.when.presence;
    if (!p) return true;
    return p.mode === 'all' ? p.zones.every(presenceOf) : p.zones.some(presenceOf);
  }

  /** re-evaluate the presence condition (call on every zone change and tick) */
  evaluate(now: number, presenceOf: (zone: string) => boolean): void {
    if (now >= this.scheduleNext) this.scheduleNext = nextChange(this.cfg.schedule, this.site, now);
    if (this.filter || !this.cfg.when.presence) return; // event-driven: edges come from events
    const cond = this.presenceHolds(presenceOf) && isActive(this.cfg.schedule, this.site, now);
    if (cond === this.cond) return;
    this.cond = cond;
    if (this.cfg.action === 'pulse') {
      if (cond) this.trigger(now);
    } else if (!cond) {
      this.holdUntil = now + this.cfg.hold_s * 1000;
    }
  }

  /** an external event; true when it triggered this rule */
  onEvent(ev: CamEvent, now: number, presenceOf: (zone: string) => boolean): boolean {
    if (!this.filter || !this.filter(ev)) return false;
    if (!isActive(this.cfg.schedule, this.site, now)) return false;
    if (!this.presenceHolds(presenceOf)) return false;
    if (this.cfg.action === 'pulse') return this.trigger(now);
    this.holdUntil = Math.max(this.holdUntil, now + this.cfg.hold_s * 1000);
    return true;
  }

  private trigger(now: number): boolean {
    if (!this.cfg.retrigger && now < this.pulseUntil) return false;
    this.pulseUntil = now + this.cfg.pulse_s * 1000;
    return true;
  }

  /** rebase stored times by `delta` ms (clock stepped) */
  shift(delta: number): void {
    this.holdUntil += delta;
    this.pulseUntil += delta;
    this.scheduleNext = -Infinity; // recomputed at the next evaluation
  }

  active(now: number): boolean {
    if (this.cfg.action === 'pulse') return now < this.pulseUntil;
    return this.cond || now < this.holdUntil;
  }

  /** next time this rule's demand or condition may change by itself (Infinity if never) */
  deadline(now: number): number {
    let d = Infinity;
    if (this.holdUntil > now) d = this.holdUntil;
    if (this.pulseUntil > now && this.pulseUntil < d) d = this.pulseUntil;
    // schedules only matter for presence rules (event rules check at arrival)
    if (!this.filter && this.cfg.when.presence && this.scheduleNext > now && this.scheduleNext < d) d = this.scheduleNext;
    return d;
  }
}
