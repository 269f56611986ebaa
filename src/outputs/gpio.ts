import { accessSync, constants, existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gpio as OnoffGpio } from 'onoff';
import { listGpioChips, sysfsNumberFor } from './gpio-chips.js';
import { OutputError, safeOn, type DriverDeps, type OutputConfig, type OutputDriver } from './types.js';

/** onoff's fixed path; `sysfsRoot` only changes where chips are discovered and access checked. */
const ONOFF_ROOT = '/sys/class/gpio';
/** how long to wait for the kernel (and udev's chgrp/chmod) after an export */
const EXPORT_WAIT_MS = 3000;

/**
 * A relay/light on a GPIO line through the kernel's sysfs interface and the `onoff` package.
 *
 * No-glitch opening: the line is opened with the RAW level of its safe state as direction
 * ('high'/'low' are raw levels in sysfs, independent of active_low). onoff writes `active_low`
 * first and then `direction`, so an active-low relay board with safe 'off' is driven high from
 * its first driven instant and never clicks on restart.
 */
export function createGpioDriver(cfg: OutputConfig, deps: DriverDeps): OutputDriver {
  const root = deps.sysfsRoot ?? ONOFF_ROOT;
  const log = deps.logger.child({ component: 'output', output: cfg.id, driver: 'gpio' });
  let gpio: OnoffGpio | null = null;
  let unavailable: string | null = 'not initialised';
  let state: boolean | null = null;

  /** logged once per distinct reason: the output bank retries init() while it fails */
  const fail = (msg: string) => {
    if (msg !== unavailable) log.error(`output ${cfg.id} unavailable: ${msg}`);
    unavailable = msg;
  };

  /** null when the GPIO sysfs can be used, else what to do about it. */
  const checkAccess = (): string | null => {
    if (!existsSync(root))
      return `${root} does not exist: this kernel has no GPIO sysfs interface (CONFIG_GPIO_SYSFS); use \`driver: gpiod\` (libgpiod's gpioset) instead`;
    try {
      accessSync(join(root, 'export'), constants.W_OK);
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EROFS') return `${root} is mounted read-only; use \`driver: gpiod\` or run where the GPIO sysfs is writable`;
      const uid = process.getuid?.();
      return `${join(root, 'export')} is not writable by uid ${uid} (${code}): add the service user to the \`gpio\` group (Raspberry Pi OS ships a udev rule for it), add a udev rule giving that group /sys/class/gpio, or use \`driver: gpiod\``;
    }
  };

  const resolveNumber = (): { number: number; where: string } | { error: string } => {
    if (cfg.sysfs_number !== undefined) return { number: cfg.sysfs_number, where: 'sysfs_number override' };
    const r = sysfsNumberFor(cfg.pin!, listGpioChips(root));
    if ('error' in r) return r;
    return { number: r.number, where: `BCM ${cfg.pin} on ${r.chip.name} (${r.chip.label}, base ${r.chip.base})` };
  };

  /** Exports the line ourselves and waits asynchronously: onoff's own wait is a short busy loop. */
  const ensureExported = async (n: number): Promise<string | null> => {
    const dir = join(ONOFF_ROOT, `gpio${n}`);
    if (!existsSync(dir)) {
      try {
        writeFileSync(join(ONOFF_ROOT, 'export'), String(n));
      } catch (e) {
        return `cannot export GPIO ${n}: ${(e as Error).message}`;
      }
    }
    // Counted polls rather than the injected clock: a test's manual clock must not hang this.
    for (let tries = 0; ; tries++) {
      try {
        for (const f of ['value', 'direction', 'active_low']) closeSync(openSync(join(dir, f), 'r+'));
        return null;
      } catch (e) {
        if (tries * 5 >= EXPORT_WAIT_MS) {
          const code = (e as NodeJS.ErrnoException).code;
          return code === 'EACCES'
            ? `${dir} exists but is not writable by uid ${process.getuid?.()}: add the service user to the \`gpio\` group or fix the udev rule`
            : `GPIO ${n} did not appear as ${dir} within ${EXPORT_WAIT_MS} ms after export (${code}): is the number valid for this board?`;
        }
        await sleep(5);
      }
    }
  };

  /**
   * A sysfs value write is applied by the kernel inside write(2) (microseconds on a SoC line, at
   * most an I2C transfer on an expander), so it is done right here, synchronously: onoff's async
   * write() would queue it on libuv's thread pool behind whatever runs there (the store's
   * fdatasync) and the line would switch only when a pool thread gets a CPU.
   */
  const drive = (on: boolean) => {
    if (!gpio) throw new OutputError(cfg.id, unavailable ?? 'not open');
    try {
      gpio.writeSync(on ? 1 : 0); // logical: the kernel applies active_low
      state = on;
    } catch (e) {
      state = null;
      throw new OutputError(cfg.id, `writing GPIO value failed: ${(e as Error).message}`);
    }
  };

  return {
    id: cfg.id,
    kind: 'gpio',
    async init() {
      if (gpio) return;
      const access = checkAccess();
      if (access) return fail(access);
      const num = resolveNumber();
      if ('error' in num) return fail(num.error);
      const exportError = await ensureExported(num.number);
      if (exportError) return fail(exportError);
      let Gpio: typeof OnoffGpio;
      try {
        ({ Gpio } = await import('onoff'));
      } catch (e) {
        return fail(`cannot load the onoff package: ${(e as Error).message}`);
      }
      const safe = safeOn(cfg);
      const rawSafe = safe !== cfg.active_low; // raw = logical XOR active_low
      try {
        gpio = new Gpio(num.number, rawSafe ? 'high' : 'low', undefined, { activeLow: cfg.active_low });
      } catch (e) {
        return fail(`opening GPIO ${num.number} failed: ${(e as Error).message}`);
      }
      // onoff ignores configuration errors on a line that was already exported: read them back.
      const dir = join(ONOFF_ROOT, `gpio${num.number}`);
      const direction = readFileSync(join(dir, 'direction'), 'utf8').trim();
      const activeLow = readFileSync(join(dir, 'active_low'), 'utf8').trim() === '1';
      if (!['out', 'high', 'low'].includes(direction) || activeLow !== cfg.active_low) {
        gpio = null;
        return fail(`GPIO ${num.number} did not take its configuration (direction ${direction}, active_low ${activeLow ? 1 : 0})`);
      }
      unavailable = null;
      state = safe;
      log.info(
        { sysfs: num.number, active_low: cfg.active_low, safe: cfg.safe_state },
        `output ${cfg.id} on GPIO ${num.number} (${num.where}), driven to safe state ${cfg.safe_state}`,
      );
    },
    set: async (on) => drive(on),
    setSync: drive,
    safe: async () => drive(safeOn(cfg)),
    async close() {
      if (!gpio) return;
      try {
        drive(safeOn(cfg));
      } finally {
        // Keep the line exported and driven at its safe level; only drop our handles.
        gpio.unwatchAll();
        const fd = (gpio as unknown as { _valueFd?: number })._valueFd;
        if (typeof fd === 'number') closeSync(fd);
        gpio = null;
        unavailable = 'closed';
      }
    },
    available: () => (unavailable ? { ok: false, error: unavailable } : { ok: true }),
    state: () => state,
    safeSync() {
      if (gpio) drive(safeOn(cfg));
    },
  };
}
