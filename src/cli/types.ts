/** What a CLI command gets: its own argv (after the command words) and the process I/O, injected for tests. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  /** e.g. "queue stats" */
  name: string;
  summary: string;
  /** full --help text */
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A usage error: printed with a hint to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  [flag: string]: { type: 'string' | 'boolean' | 'number'; short?: string; multiple?: boolean };
}

/**
 * Strict flag parsing: unknown options are a UsageError (exit 2), never ignored.
 * Returns the parsed flags and the positionals.
 */
export function parseFlags(
  argv: string[],
  spec: FlagSpec,
): { flags: Record<string, string | boolean | number | string[] | undefined>; positionals: string[] } {
  const flags: Record<string, string | boolean | number | string[] | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      let name: string;
      let inline: string | undefined;
      if (a.startsWith('--')) {
        const eq = a.indexOf('=');
        name = eq > 0 ? a.slice(2, eq) : a.slice(2);
        inline = eq > 0 ? a.slice(eq + 1) : undefined;
      } else {
        const k = byShort.get(a.slice(1));
        if (!k) throw new UsageError(`unknown option ${a}`);
        name = k;
      }
      const s = spec[name];
      if (!s) throw new UsageError(`unknown option --${name}`);
      if (s.type === 'boolean') {
        if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
        flags[name] = true;
        continue;
      }
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      let val: string | number = v;
      if (s.type === 'number') {
        val = Number(v);
        if (!Number.isFinite(val)) throw new UsageError(`--${name} expects a number, got "${v}"`);
      }
      if (s.multiple) flags[name] = [...((flags[name] as string[]) ?? []), String(val)];
      else flags[name] = val;
    } else positionals.push(a);
  }
  return { flags, positionals };
}
