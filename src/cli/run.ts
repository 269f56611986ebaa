import { ConfigInvalid, loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { buildDaemon } from '../daemon/wiring.js';
import { parseFlags, type CliCommand } from './types.js';

const command: CliCommand = {
  name: 'run',
  summary: 'run the daemon',
  usage: `Usage: camrelay run [--config FILE]

Runs the daemon. Without --config it reads $CAMRELAY_CONFIG, then
/etc/camrelay/config.yaml, then ./config.yaml; with none of them it runs on the
built-in defaults (ingest on 0.0.0.0:8080, admin on 127.0.0.1:8081, data in ./data,
no sinks, outputs simulated) and says so in its log.

SIGTERM or SIGINT stops it gracefully (stop accepting, finish in-flight posts, flush,
outputs to their safe state, close the database); a second signal forces exit.`,
  async run(argv, io) {
    const { flags } = parseFlags(argv, { config: { type: 'string', short: 'c' } });
    let loaded;
    try {
      loaded = loadConfig(flags.config as string | undefined, io.env, io.cwd);
    } catch (e) {
      if (e instanceof ConfigInvalid) {
        io.stderr.write(e.message + '\n');
        return 1;
      }
      throw e;
    }
    const logger = createLogger({
      level: loaded.config.log.level,
      pretty: loaded.config.log.pretty,
      secrets: loaded.secrets,
      destination: io.stdout,
    });
    const log = logger.child({ component: 'main' });
    log.info(
      { config: loaded.file, origin: loaded.origin },
      loaded.file ? `using config ${loaded.file} (found via ${loaded.origin})` : 'no config file found: running on built-in defaults',
    );

    // Uncaught errors: log and exit non-zero so systemd restarts us (Restart=on-failure).
    const fatal = (kind: string) => (err: unknown) => {
      log.fatal({ err }, `${kind}: exiting so the supervisor restarts camrelay`);
      logger.flush?.();
      process.exit(70);
    };
    process.on('uncaughtException', fatal('uncaught exception'));
    process.on('unhandledRejection', fatal('unhandled promise rejection'));

    const daemon = await buildDaemon(loaded, { logger, clock: systemClock, env: io.env });

    // Signal handlers go in before start: a SIGTERM during start-up still stops gracefully.
    let stopping = false;
    let startDone: Promise<unknown> = Promise.resolve();
    let resolveExit: (code: number) => void = () => undefined;
    const exit = new Promise<number>((r) => (resolveExit = r));
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal: sig }, 'second signal: forcing exit');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal: sig }, `${sig} received: stopping`);
      startDone
        .catch(() => undefined)
        .then(() => daemon.stop(sig))
        .then(
          () => {
            log.info('stopped cleanly');
            // Safety net: if a stray handle keeps the loop alive, exit anyway (unref: it never delays a clean exit).
            setTimeout(() => process.exit(0), 1500).unref();
            resolveExit(0);
          },
          (e: unknown) => {
            log.error({ err: e }, 'stop failed');
            resolveExit(1);
          },
        );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    startDone = daemon.start();
    try {
      await startDone;
    } catch (e) {
      log.fatal({ err: e }, `start-up failed: ${(e as Error).message}`);
      return 1;
    }
    return await exit;
  },
};
export default command;
