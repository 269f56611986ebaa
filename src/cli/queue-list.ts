import { requireKnownSink, table, UnknownSink, withCliStore } from '../storage/cli-support.js';
import type { CamEvent } from '../core/event.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

interface Row {
  sink: string;
  seq: number;
  at: number;
  reason?: string;
  event: CamEvent;
}

const command: CliCommand = {
  name: 'queue list',
  summary: 'list waiting events (or dead letters) per sink',
  usage: `Usage: camrelay queue list [--sink S] [--dead] [--limit N] [--config FILE] [--json]

Lists the oldest events still waiting for a sink (all sinks without --sink), in
delivery order. With --dead, lists the sink's dead letters and why they failed.

Options:
  --sink S       one sink (e.g. "mqtt" or a webhook id)
  --dead         dead letters instead of waiting events
  --limit N      at most N per sink (default 20)
  --config FILE  the daemon's config
  --json         machine-readable output`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, {
      sink: { type: 'string' },
      dead: { type: 'boolean' },
      limit: { type: 'number' },
      config: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const limit = (flags.limit as number | undefined) ?? 20;
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit expects a positive whole number');
    return withCliStore(flags.config as string | undefined, io, (store) => {
      const sink = flags.sink as string | undefined;
      try {
        if (sink !== undefined) requireKnownSink(store, sink);
      } catch (e) {
        if (e instanceof UnknownSink) {
          io.stderr.write(`camrelay queue list: ${e.message}\n`);
          return 1;
        }
        throw e;
      }
      const sinks = sink !== undefined ? [sink] : store.sinks();
      const rows = sinks.flatMap((s): Row[] =>
        flags.dead
          ? store.listDeadLetters(s, limit).map((d) => ({ sink: s, seq: d.seq, at: d.at, reason: d.reason, event: d.event }))
          : store.pending(s, limit).map((p) => ({ sink: s, seq: p.seq, at: p.stored_at, event: p.event })),
      );
      if (flags.json) {
        io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return 0;
      }
      if (!rows.length) {
        io.stdout.write(flags.dead ? 'no dead letters\n' : 'nothing waiting\n');
        return 0;
      }
      const header = ['SINK', 'SEQ', flags.dead ? 'FAILED AT' : 'STORED AT', 'TYPE', 'CAMERA', 'ID'];
      if (flags.dead) header.push('REASON');
      io.stdout.write(
        table(
          header,
          rows.map((r) => {
            const row: (string | number)[] = [r.sink, r.seq, new Date(r.at).toISOString(), r.event.type, r.event.camera, r.event.id];
            if (flags.dead) row.push(r.reason ?? '');
            return row;
          }),
        ),
      );
      return 0;
    });
  },
};
export default command;
