import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export interface LogOptions {
  level: LevelWithSilent;
  pretty?: boolean | 'auto';
  /** extra strings that must never appear in a log line (resolved secret values) */
  secrets?: string[];
  destination?: NodeJS.WritableStream;
}

// Keys whose values are secrets wherever they appear in a logged object.
const REDACT_PATHS = [
  'password',
  'token',
  'secret',
  'secrets',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.secrets',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.*.password',
  '*.*.token',
  '*.*.secret',
];

/**
 * Builds the root logger. Components take `logger.child({ component })`;
 * nothing imports a global logger.
 */
export function createLogger(opts: LogOptions): Logger {
  const dest = opts.destination ?? process.stdout;
  const wantPretty = opts.pretty === true || (opts.pretty !== false && (dest as { isTTY?: boolean }).isTTY === true);
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
  const stream = wantPretty
    ? loadPretty()({ destination: dest, colorize: (dest as { isTTY?: boolean }).isTTY === true, sync: true, ignore: 'pid,hostname' })
    : dest;
  return pino(
    {
      level: opts.level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: secrets.length
        ? {
            // Last line of defence: a secret value interpolated into a message string is masked too.
            logMethod(args, method) {
              const masked = args.map((a) => (typeof a === 'string' ? maskSecrets(a, secrets) : a));
              method.apply(this, masked as Parameters<typeof method>);
            },
          }
        : {}, // not undefined: pino then loses its default hooks and throws on the first log call
    },
    stream as pino.DestinationStream,
  );
}

/**
 * pino-pretty and its dependencies (~1.5 MB of RSS) are loaded only for a pretty log: the daemon under
 * systemd logs JSON. require() (it is CommonJS) keeps createLogger synchronous.
 */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}

export function maskSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
