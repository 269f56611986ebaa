import type { OutputConfig } from '../config/schema.js';
import type { Bus, OutputState } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { createDriver, type OutputDriver } from '../outputs/index.js';
import { safeOn } from '../outputs/types.js';

const REOPEN_WATCH_MS = 30_000;

/**
 * Waits between attempts to open an output that could not be opened: 1 s, 2 s, 4 s ... then every
 * 30 s. What fixes it usually happens while the daemon runs (a udev rule added, a relay
 * board's expander probed late, gpiod installed), and nobody should have to
 * log in to restart the service for it.
 */
const reopenDelayMs = (attempt: number): number => Math.min(REOPEN_WATCH_MS, 1000 * 2 ** attempt);
/**
 * Drivers whose "unavailable" means the line could not be opened. A viewtron output is
 * unavailable after a failed request; its next switch is the retry, and init() would drive the
 * camera's output to its safe state again.
 */
const reopenable = (d: OutputDriver): boolean => d.kind === 'gpio' || d.kind === 'gpiod';

/**
 * Owns the output drivers: opens each in its safe state at start, applies the
 * core's decisions, and returns everything to safe on stop. Driver calls are
 * serialized per output so a slow HTTP relay never reorders on/off.
 */
export class OutputBank {
  private readonly drivers = new Map<string, OutputDriver>();
  private readonly states = new Map<string, OutputState>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private reopenTimer: NodeJS.Timeout | null = null;
  private reopenAttempt = 0;
  private stopped = false;

  constructor(
    private readonly outputs: OutputConfig[],
    private readonly deps: { logger: Logger; clock: Clock; bus: Bus; metrics: Metrics },
  ) {
    this.log = deps.logger.child({ component: 'outputs' });
  }

  async start(): Promise<void> {
    const now = new Date(this.deps.clock.now()).toISOString();
    for (const cfg of this.outputs) {
      const driver = createDriver(cfg, { logger: this.deps.logger, clock: this.deps.clock });
      this.drivers.set(cfg.id, driver);
      try {
        await driver.init();
      } catch (e) {
        // One broken output must not stop the others (or ingest) from working: report it.
        this.log.error({ output: cfg.id, err: e }, `output ${cfg.id} unavailable: ${(e as Error).message}`);
      }
      const safe = safeOn(cfg);
      this.states.set(cfg.id, {
        id: cfg.id,
        state: safe ? 'ON' : 'OFF',
        mode: 'auto',
        reason: 'start (safe state)',
        available: driver.available().ok,
        since: now,
      });
      this.deps.metrics.outputOn.set({ output: cfg.id }, safe ? 1 : 0);
    }
    this.scheduleReopen();
  }

  /** Next look at the outputs: soon while one is unavailable, else every 30 s (a gpioset that died). */
  private scheduleReopen(): void {
    if (this.stopped || this.reopenTimer || ![...this.drivers.values()].some(reopenable)) return;
    const down = [...this.drivers.values()].some((d) => reopenable(d) && !d.available().ok);
    if (!down) this.reopenAttempt = 0;
    const delay = down ? reopenDelayMs(this.reopenAttempt++) : REOPEN_WATCH_MS;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      void this.reopen().finally(() => this.scheduleReopen());
    }, delay);
    this.reopenTimer.unref();
  }

  /**
   * Tries again to open every unavailable output. One that opens is driven to the state the core
   * wants now (it was opened in its safe state), and its state is published again.
   * Returns the ids that came back.
   */
  async reopen(): Promise<string[]> {
    const back: string[] = [];
    for (const cfg of this.outputs) {
      const driver = this.drivers.get(cfg.id);
      if (!driver || !reopenable(driver) || driver.available().ok || this.stopped) continue;
      try {
        await driver.init();
      } catch (e) {
        this.log.debug({ output: cfg.id, err: e }, `output ${cfg.id} still unavailable`);
      }
      if (!driver.available().ok || this.stopped) continue;
      back.push(cfg.id);
      const state = this.states.get(cfg.id)!;
      const on = state.state === 'ON';
      this.log.info({ output: cfg.id, state: state.state }, `output ${cfg.id} is available now; driving it ${state.state}`);
      state.available = true;
      if (on !== safeOn(cfg)) {
        if (driver.setSync) this.drive(cfg.id, driver, state, on);
        else this.enqueue(cfg.id, driver, state, on);
      }
      this.deps.bus.emit('output', state);
    }
    return back;
  }

  /**
   * Switches an output. A driver that can switch synchronously (gpio, simulated) does it first,
   * inside this call: the post that caused the switch is answered, and its events stored and
   * published, only after the line has moved. Other drivers (network relays, gpioset) get the call
   * queued behind the previous one, so a slow relay never reorders on/off.
   */
  set(id: string, on: boolean, reason: string, mode: 'auto' | 'manual' = 'auto'): void {
    const driver = this.drivers.get(id);
    const prev = this.states.get(id);
    if (!driver || !prev) return;
    const state: OutputState = { ...prev, state: on ? 'ON' : 'OFF', mode, reason, since: prev.since };
    if (driver.setSync) this.drive(id, driver, state, on);
    else this.enqueue(id, driver, state, on);
    if (prev.state !== state.state) {
      state.since = new Date(this.deps.clock.now()).toISOString();
      this.deps.metrics.outputSwitches.inc({ output: id });
    }
    this.states.set(id, state);
    this.deps.metrics.outputOn.set({ output: id }, on ? 1 : 0);
    this.deps.bus.emit('output', state);
  }

  private drive(id: string, driver: OutputDriver, state: OutputState, on: boolean): void {
    try {
      driver.setSync!(on);
      state.available = driver.available().ok;
    } catch (e) {
      this.failed(id, on, state, e);
    }
  }

  private enqueue(id: string, driver: OutputDriver, state: OutputState, on: boolean): void {
    const chain = (this.chains.get(id) ?? Promise.resolve()).then(async () => {
      try {
        await driver.set(on);
        state.available = driver.available().ok;
      } catch (e) {
        this.failed(id, on, state, e);
      }
    });
    this.chains.set(id, chain);
  }

  private failed(id: string, on: boolean, state: OutputState, e: unknown): void {
    state.available = false;
    this.deps.metrics.outputErrors.inc({ output: id });
    this.log.error({ output: id, on, err: e }, `could not switch ${id} ${on ? 'on' : 'off'}: ${(e as Error).message}`);
    this.scheduleReopen(); // a driver that lost its output (gpioset died) is opened again
  }

  /** Wait until every queued driver call has run (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  list(): OutputState[] {
    return [...this.states.values()].map((s) => ({ ...s, available: s.available && (this.drivers.get(s.id)?.available().ok ?? false) }));
  }

  availability(): { id: string; ok: boolean; error?: string }[] {
    return [...this.drivers.entries()].map(([id, d]) => ({ id, ...d.available() }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    await this.settle();
    for (const [id, d] of this.drivers) {
      try {
        await d.safe();
        await d.close();
      } catch (e) {
        this.log.error({ output: id, err: e }, `could not return ${id} to its safe state`);
      }
    }
  }
}
