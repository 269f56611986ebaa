import { withCliStore, formatAge, table } from '../storage/cli-support.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const command: CliCommand = {
  name: 'queue stats',
  summary: 'per sink: queue depth, oldest undelivered age, dead letters, delivered, dropped',
  usage: `Usage: camrelay queue stats [--config FILE] [--json]

Reads the event buffer (SQLite, in storage.data_dir) and prints, per sink: events
waiting, age of the oldest waiting event, dead letters, delivered and dropped counts.
Safe while the daemon runs.

Options:
  --config FILE  the daemon's config (default: the same search as \`camrelay run\`)
  --json         machine-readable output`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { config: { type: 'string' }, json: { type: 'boolean' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return withCliStore(flags.config as string | undefined, io, (store) => {
      const now = Date.now();
      const stats = store.sinks().map((s) => store.sinkStats(s));
      if (flags.json) {
        io.stdout.write(JSON.stringify({ sinks: stats, events: store.query({ limit: 1 })[0]?.seq ?? 0 }, null, 2) + '\n');
        return 0;
      }
      if (!stats.length) {
        io.stdout.write('no sinks registered yet (the daemon registers its sinks when it starts)\n');
        return 0;
      }
      io.stdout.write(
        table(
          ['SINK', 'DEPTH', 'OLDEST', 'DEAD', 'DELIVERED', 'DROPPED'],
          stats.map((s) => [
            s.sink,
            s.depth,
            s.oldest_undelivered_ms === null ? '-' : formatAge(now - s.oldest_undelivered_ms),
            s.dead_letters,
            s.delivered,
            s.dropped,
          ]),
        ),
      );
      return 0;
    });
  },
};
export default command;
