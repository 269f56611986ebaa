import type { OutputConfig } from '../config/schema.js';
import type { Bus, OutputState } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { createDriver, type OutputDriver } from '../outputs/index.js';

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
      const safeOn = cfg.safe_state === 'on';
      this.states.set(cfg.id, {
        id: cfg.id,
        state: safeOn ? 'ON' : 'OFF',
        mode: 'auto',
        reason: 'start (safe state)',
        available: driver.available().ok,
        since: now,
      });
      this.deps.metrics.outputOn.set({ output: cfg.id }, safeOn ? 1 : 0);
    }
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
