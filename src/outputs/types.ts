import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { OutputConfig } from '../config/schema.js';

export type { OutputConfig };

/**
 * One physical or remote output. The arbitration (min/max on, interlock, overrides) lives in
 * src/rules; a driver only switches and reports.
 *
 * - `init()` opens the output and drives its SAFE state before anything else. It never throws:
 *   a missing/unusable output is logged once and reported by `available()`.
 * - `set(on)` switches (logical on/off; `active_low` is the driver's business). It rejects with an
 *   `OutputError` when the output is unavailable or the device refused.
 * - `safe()` drives the configured safe state (`safe_state`).
 * - `close()` drives the safe state and releases handles. GPIO lines stay exported and driven at
 *   the safe level (releasing them could let the pin float on some kernels).
 */
export interface OutputDriver {
  readonly id: string;
  readonly kind: OutputConfig['driver'];
  init(): Promise<void>;
  set(on: boolean): Promise<void>;
  /**
   * Switches inside this call, for drivers whose switch is one local syscall that does not wait
   * (a sysfs value write) or no I/O at all. Throws an `OutputError` where `set` would reject. The
   * output bank uses it so a relay switches before the post that caused it is answered and before
   * the events it produced are stored or published; drivers that talk to a process or a device
   * over the network have none.
   */
  setSync?(on: boolean): void;
  safe(): Promise<void>;
  close(): Promise<void>;
  available(): { ok: boolean; error?: string };
  /**
   * Synchronous safe state for last-chance paths (process 'exit', uncaughtException) where no
   * promise runs. Only drivers that can do it without I/O waits have it (gpio, simulated).
   */
  safeSync?(): void;
  /** last state successfully driven (logical), null before init or after a failure */
  state(): boolean | null;
}

export interface DriverDeps {
  logger: Logger;
  clock: Clock;
  /** where the GPIO sysfs lives; default /sys/class/gpio (onoff itself always uses that path) */
  sysfsRoot?: string;
  /** gpiod: the gpioset/gpiodetect executables (default: found on PATH) */
  gpioset?: string;
  gpiodetect?: string;
  /** viewtron: pause between retries (default 250 ms × attempt) */
  retryDelayMs?: (attempt: number) => number;
}

/** An output failure with a message meant for an installer (no stack trace needed). */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(
    public readonly outputId: string,
    message: string,
  ) {
    super(`output "${outputId}": ${message}`);
  }
}

/** Logical safe level of an output. */
export const safeOn = (cfg: OutputConfig): boolean => cfg.safe_state === 'on';
