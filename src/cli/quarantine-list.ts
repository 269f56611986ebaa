import { preview, table, withCliStore } from '../storage/cli-support.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const command: CliCommand = {
  name: 'quarantine list',
  summary: 'show refused or unparseable posts kept for review',
  usage: `Usage: camrelay quarantine list [--limit N] [--json] [--config FILE]

Newest first: when, why, from which address, what kind, how many bytes, and the
start of the body (--json gives the first 64 KiB as base64 in "head").

Options:
  --limit N      at most N records (default 20)
  --json         machine-readable output
  --config FILE  the daemon's config`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { limit: { type: 'number' }, json: { type: 'boolean' }, config: { type: 'string' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const limit = (flags.limit as number | undefined) ?? 20;
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit expects a positive whole number');
    return withCliStore(flags.config as string | undefined, io, (store) => {
      const recs = store.listQuarantine(limit);
      if (flags.json) {
        io.stdout.write(
          JSON.stringify(
            recs.map((r) => ({ ...r, at: new Date(r.at).toISOString(), head: r.head.toString('base64') })),
            null,
            2,
          ) + '\n',
        );
        return 0;
      }
      if (!recs.length) {
        io.stdout.write('quarantine is empty\n');
        return 0;
      }
      io.stdout.write(
        table(
          ['ID', 'AT', 'REASON', 'SOURCE', 'KIND', 'BYTES', 'HEAD'],
          recs.map((r) => [r.id, new Date(r.at).toISOString(), r.reason, r.source, r.kind, r.bytes, preview(r.head, 60)]),
        ),
      );
      io.stdout.write(`${store.quarantineCount()} record(s) in total\n`);
      return 0;
    });
  },
};
export default command;
