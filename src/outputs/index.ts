import type { Dispatcher } from 'undici';
import { createGpioDriver } from './gpio.js';
import { createGpiodDriver } from './gpiod.js';
import { createSimulatedDriver } from './simulated.js';
import { createViewtronDriver } from './viewtron.js';
import type { DriverDeps, OutputConfig, OutputDriver } from './types.js';

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
      return createViewtronDriver(cfg, deps);
    case 'simulated':
      return createSimulatedDriver(cfg, deps);
  }
}
