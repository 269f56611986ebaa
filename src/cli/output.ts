import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createDriver, type OutputDriver } from '../outputs/index.js';
import type { CliIO } from './types.js';

/** Shared by `output test` and `output safe`: config, a stderr logger and one driver per output. */
export function loadForOutputs(configFlag: string | undefined, io: CliIO): { config: Config; logger: Logger } {
  const loaded = loadConfig(configFlag, io.env, io.cwd);
  const logger = createLogger({
    level: loaded.config.log.level === 'silent' ? 'silent' : 'warn',
    pretty: 'auto', // readable lines for an installer at a terminal, JSON under systemd
    secrets: loaded.secrets,
    destination: io.stderr,
  });
  return { config: loaded.config, logger };
}

export function driverFor(config: Config, id: string, logger: Logger): OutputDriver {
  const cfg = config.outputs.find((o) => o.id === id);
  if (!cfg) throw new Error(`no output "${id}" in the config (outputs: ${config.outputs.map((o) => o.id).join(', ') || 'none'})`);
  return createDriver(cfg, { logger, clock: systemClock });
}
