import type { Dispatcher } from 'undici';
import { createGpioDriver } from './gpio.js';
import { createGpiodDriver } from './gpiod.js';
import { createSimulatedDriver } from './simulated.js';
import { OutputError, type DriverDeps, type OutputConfig, type OutputDriver } from './types.js';

export type { DriverDeps, OutputConfig, OutputDriver } from './types.js';
export { OutputError } from './types.js';

/** The driver for one configured output. Nothing is opened until `init()`. */
export function createDriver(cfg: OutputConfig, deps: DriverDeps & { dispatcher?: Dispatcher }): OutputDriver {
  switch (cfg.driver) {
    case 'gpio':
      return createGpioDriver(cfg, deps);
    case 'gpiod':
      return createGpiodDriver(cfg, deps);
    case 'viewtron':
      // The viewtron driver brings undici (HTTP client): loaded only when such an output exists.
      return lazyDriver(cfg, async () => (await import('./viewtron.js')).createViewtronDriver(cfg, deps));
    case 'simulated':
      return createSimulatedDriver(cfg, deps);
  }
}

/**
 * A driver whose module is imported on its first call (normally `init()`). It answers
 * `available()` and `state()` like the driver does before its first call. No `safeSync()`:
 * only drivers without I/O waits have one, and those are not loaded lazily.
 */
function lazyDriver(cfg: OutputConfig, load: () => Promise<OutputDriver>): OutputDriver {
  let real: OutputDriver | null = null;
  let loadError: string | null = null;
  let loading: Promise<OutputDriver> | null = null;
  const get = (): Promise<OutputDriver> =>
    (loading ??= load().then(
      (d) => (real = d),
      (e: unknown) => {
        loadError = e instanceof OutputError ? e.message : `output "${cfg.id}": ${(e as Error).message}`;
        throw e;
      },
    ));
  return {
    id: cfg.id,
    kind: cfg.driver,
    init: async () => (await get()).init(),
    set: async (on) => (await get()).set(on),
    safe: async () => (await get()).safe(),
    close: async () => (await get()).close(),
    available: () => real?.available() ?? (loadError ? { ok: false, error: loadError } : { ok: true }),
    state: () => real?.state() ?? null,
  };
}
