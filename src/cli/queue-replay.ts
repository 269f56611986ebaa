import { requireKnownSink, UnknownSink, withCliStore } from '../storage/cli-support.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const command: CliCommand = {
  name: 'queue replay',
  summary: "re-queue a sink's dead letters",
  usage: `Usage: camrelay queue replay --sink S [--config FILE]

Puts every dead letter of sink S back into its queue, in their original order;
a running daemon picks them up on its next delivery round.

Options:
  --sink S       the sink (required)
  --config FILE  the daemon's config`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { sink: { type: 'string' }, config: { type: 'string' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const sink = flags.sink as string | undefined;
    if (!sink) throw new UsageError('--sink is required');
    return withCliStore(flags.config as string | undefined, io, (store) => {
      try {
        requireKnownSink(store, sink);
      } catch (e) {
        if (e instanceof UnknownSink) {
          io.stderr.write(`camrelay queue replay: ${e.message}\n`);
          return 1;
        }
        throw e;
      }
      const n = store.replayDeadLetters(sink);
      io.stdout.write(`re-queued ${n} dead letter${n === 1 ? '' : 's'} for ${sink}\n`);
      return 0;
    });
  },
};
export default command;
