import { requireKnownSink, UnknownSink, withCliStore } from '../storage/cli-support.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const command: CliCommand = {
  name: 'queue purge',
  summary: 'drop waiting events and dead letters (one sink or all); needs --yes',
  usage: `Usage: camrelay queue purge [--sink S] --yes [--config FILE]

Removes every waiting event and dead letter of sink S (of every sink without
--sink): they will NOT be delivered. The events stay in the history
(/api/events). Refuses to run without --yes.

Options:
  --sink S       only this sink
  --yes          confirm
  --config FILE  the daemon's config`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { sink: { type: 'string' }, yes: { type: 'boolean' }, config: { type: 'string' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const sink = flags.sink as string | undefined;
    if (!flags.yes) {
      throw new UsageError(
        `refusing to purge ${sink ? `the queue of "${sink}"` : 'the queues of ALL sinks'} without --yes (undelivered events would be lost)`,
      );
    }
    return withCliStore(flags.config as string | undefined, io, (store) => {
      try {
        if (sink !== undefined) requireKnownSink(store, sink);
      } catch (e) {
        if (e instanceof UnknownSink) {
          io.stderr.write(`camrelay queue purge: ${e.message}\n`);
          return 1;
        }
        throw e;
      }
      const n = store.purge(sink ?? null);
      io.stdout.write(`purged ${n} queued/dead entr${n === 1 ? 'y' : 'ies'} ${sink ? `for ${sink}` : 'for all sinks'}\n`);
      return 0;
    });
  },
};
export default command;
