import type { DriverDeps, OutputConfig, OutputDriver } from './types.js';
import { safeOn } from './types.js';

/** Keeps the state and logs each change: the default driver, and for demos/tests. */
export function createSimulatedDriver(cfg: OutputConfig, deps: DriverDeps): OutputDriver {
  const log = deps.logger.child({ component: 'output', output: cfg.id, driver: 'simulated' });
  let state: boolean | null = null;
  const drive = (on: boolean, why: string) => {
    if (state !== on) log.info({ state: on ? 'on' : 'off', why }, `output ${cfg.id} ${on ? 'ON' : 'OFF'} (simulated)`);
    state = on;
  };
  return {
    id: cfg.id,
    kind: 'simulated',
    init: async () => drive(safeOn(cfg), 'init (safe state)'),
    set: async (on) => drive(on, 'set'),
    setSync: (on) => drive(on, 'set'),
    safe: async () => drive(safeOn(cfg), 'safe'),
    close: async () => drive(safeOn(cfg), 'close (safe state)'),
    available: () => ({ ok: true }),
    state: () => state,
    safeSync: () => drive(safeOn(cfg), 'safeSync'),
  };
}
