import { systemClock } from '../core/clock.js';
import { createDriver } from '../outputs/index.js';
import { loadForOutputs } from './output.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const usage = `Usage: camrelay output safe [--config FILE]

Drives every configured output to its safe state (safe_state, default off) and leaves it there.
Works without the daemon: systemd's ExecStopPost runs it after any exit. Each output is reported;
one failing output does not stop the others. Exit 1 when any output failed.
`;

const command: CliCommand = {
  name: 'output safe',
  summary: 'drive every output to its safe state',
  usage,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { config: { type: 'string', short: 'c' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const { config, logger } = loadForOutputs(flags.config as string | undefined, io);
    if (config.outputs.length === 0) {
      io.stdout.write('no outputs configured\n');
      return 0;
    }
    // In parallel: a camera that does not answer must not delay the relays.
    const results = await Promise.all(
      config.outputs.map(async (cfg) => {
        try {
          const d = createDriver(cfg, { logger, clock: systemClock });
          await d.init(); // init drives the safe state first
          const a = d.available();
          if (!a.ok) return { id: cfg.id, error: a.error ?? 'unavailable' };
          if (d.state() !== (cfg.safe_state === 'on')) await d.safe();
          await d.close();
          return { id: cfg.id };
        } catch (e) {
          return { id: cfg.id, error: (e as Error).message };
        }
      }),
    );
    for (const [i, r] of results.entries()) {
      const cfg = config.outputs[i]!;
      io.stdout.write(
        r.error ? `${r.id}: FAILED: ${r.error}\n` : `${r.id}: ${cfg.safe_state} (safe state, driver ${cfg.driver})\n`,
      );
    }
    return results.some((r) => r.error) ? 1 : 0;
  },
};
export default command;
