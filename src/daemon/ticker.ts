import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CameraAvailability } from '../cameras/availability.js';
import type { SiteCore } from '../rules/site-core.js';
import type { Pipeline } from './pipeline.js';

/**
 * Drives the pure state machines' timers: the core never sets a timer itself,
 * it tells us its next deadline and we call tick(now) then. A 1 s heartbeat
 * also runs so schedule windows (sunset) and storage bounds are re-evaluated.
 */
export class Ticker {
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastMaintain = 0;
  private lastPrune = 0;
  private pruning = false;
  private readonly log: Logger;

  constructor(
    private readonly d: {
      clock: Clock;
      logger: Logger;
      core: SiteCore;
      availability: CameraAvailability;
      pipeline: Pipeline;
      store: { maintain?(now: number): unknown };
      maintainEveryMs?: number;
      /** image files: bounded by count, size and age (async, off the tick) */
      images?: { prune(now: number): Promise<unknown> };
      pruneEveryMs?: number;
    },
  ) {
    this.log = d.logger.child({ component: 'ticker' });
  }

  start(): void {
    this.heartbeat = setInterval(() => this.tick(), 1000);
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = this.heartbeat = null;
  }

  /** Re-arms the precise timer; call after anything that may move a deadline. */
  schedule(): void {
    if (!this.heartbeat) return;
    const now = this.d.clock.now();
    const next = Math.min(this.d.core.nextDeadline() ?? Infinity, this.d.availability.nextDeadline() ?? Infinity, now + 1000);
    // Traject posts call this ~450 times a second on a big site: only re-arm when the deadline moved earlier.
    if (this.timer && next >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.armedFor = Infinity;
      this.tick();
    }, Math.max(0, next - now));
  }

  tick(): void {
    const now = this.d.clock.now();
    try {
      this.d.pipeline.apply(this.d.core.tick(now));
      const av = this.d.availability.tick(now);
      for (const c of av.changed) this.d.pipeline.onCamera(c, now);
      if (av.events.length) this.d.pipeline.storeAsync(av.events);
      if (now - this.lastMaintain >= (this.d.maintainEveryMs ?? 60_000)) {
        this.lastMaintain = now;
        this.d.store.maintain?.(now);
      }
      if (this.d.images && !this.pruning && now - this.lastPrune >= (this.d.pruneEveryMs ?? 60_000)) {
        this.lastPrune = now;
        this.pruning = true;
        this.d.images
          .prune(now)
          .catch((e: unknown) => this.log.error({ err: e }, 'image prune failed'))
          .finally(() => (this.pruning = false));
      }
    } catch (e) {
      this.log.error({ err: e }, 'tick failed');
    }
    this.schedule();
  }
}
