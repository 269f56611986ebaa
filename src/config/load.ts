import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { configSchema, SECRET_KEYS, type Config } from './schema.js';

export interface ConfigError {
  path: string;
  message: string;
  line?: number;
}

export class ConfigInvalid extends Error {
  constructor(
    public readonly file: string | null,
    public readonly errors: ConfigError[],
  ) {
    super(`${file ?? 'config'}: ${errors.length} error(s)\n` + errors.map(formatError).join('\n'));
  }
}

export function formatError(e: ConfigError): string {
  return `  ${e.path || '(root)'}${e.line ? ` (line ${e.line})` : ''}: ${e.message}`;
}

export interface LoadedConfig {
  config: Config;
  /** the file used, or null for built-in defaults */
  file: string | null;
  /** how the file was chosen, for the start-up log line */
  origin: 'flag' | 'env' | 'etc' | 'cwd' | 'defaults';
  /** resolved secret values: the logger masks them */
  secrets: string[];
}

/** Search order of product.md §2. */
export function findConfigFile(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { file: string | null; origin: LoadedConfig['origin'] } {
  if (flag) return { file: resolve(cwd, flag), origin: 'flag' };
  if (env.CAMRELAY_CONFIG) return { file: resolve(cwd, env.CAMRELAY_CONFIG), origin: 'env' };
  if (existsSync('/etc/camrelay/config.yaml')) return { file: '/etc/camrelay/config.yaml', origin: 'etc' };
  const local = resolve(cwd, 'config.yaml');
  if (existsSync(local)) return { file: local, origin: 'cwd' };
  return { file: null, origin: 'defaults' };
}

export function loadConfig(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedConfig {
  const { file, origin } = findConfigFile(flag, env, cwd);
  if (!file) {
    const r = validateConfig({}, env, cwd);
    return { ...r, file: null, origin };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigInvalid(file, [{ path: '', message: `cannot read ${file}: ${(e as Error).message}` }]);
  }
  return { ...parseConfigText(text, file, env), file, origin };
}

export function parseConfigText(
  text: string,
  file: string | null,
  env: NodeJS.ProcessEnv = process.env,
): { config: Config; secrets: string[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigInvalid(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line })),
    );
  }
  const raw = (doc.toJS() ?? {}) as unknown;
  const lineOf = (path: (string | number)[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
      const pair = n > 0 ? findKeyNode(doc, path.slice(0, n)) : undefined;
      if (pair !== undefined) return lc.linePos(pair).line;
    }
    return undefined;
  };
  try {
    return validateConfig(raw, env, file ? dirname(file) : process.cwd(), lineOf);
  } catch (e) {
    if (e instanceof ConfigInvalid) throw new ConfigInvalid(file, e.errors);
    throw e;
  }
}

function findKeyNode(doc: ReturnType<typeof parseDocument>, path: (string | number)[]): number | undefined {
  const parent = doc.getIn(path.slice(0, -1), true) as { items?: { key?: { value?: unknown; range?: number[] } }[] } | undefined;
  const key = path[path.length - 1];
  const item = parent?.items?.find((p) => p.key?.value === key);
  return item?.key?.range?.[0];
}

/**
 * Resolves `<secret>_file` / `<secret>_env` keys, then validates with zod.
 * Throws ConfigInvalid naming every problem by path.
 */
export function validateConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env,
  baseDir = process.cwd(),
  lineOf: (path: (string | number)[]) => number | undefined = () => undefined,
): { config: Config; secrets: string[] } {
  const errors: ConfigError[] = [];
  const secrets: string[] = [];
  if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigInvalid(null, [{ path: '', message: 'the config must be a YAML mapping' }]);
  }
  const obj = structuredClone((raw ?? {}) as Record<string, unknown>);
  resolveSecrets(obj, [], env, baseDir, errors, secrets, lineOf);
  applyEnvOverrides(obj, env, secrets);
  const r = configSchema.safeParse(obj);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      errors.push({ path: formatPath(path), message: issue.message, line: lineOf(path) });
    }
  }
  if (errors.length || !r.success) throw new ConfigInvalid(null, errors);
  return { config: r.data, secrets };
}

export function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function resolveSecrets(
  node: unknown,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  baseDir: string,
  errors: ConfigError[],
  secrets: string[],
  lineOf: (path: (string | number)[]) => number | undefined,
): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => resolveSecrets(v, [...path, i], env, baseDir, errors, secrets, lineOf));
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const m = /^(.*)_(file|env)$/.exec(key);
    if (m && (SECRET_KEYS as readonly string[]).includes(m[1]!)) {
      const base = m[1]!;
      const where = [...path, key];
      const ref = o[key];
      delete o[key];
      if (typeof ref !== 'string') {
        errors.push({ path: formatPath(where), message: 'expected a string', line: lineOf(where) });
        continue;
      }
      let value: string | undefined;
      if (m[2] === 'file') {
        const f = isAbsolute(ref) ? ref : resolve(baseDir, ref);
        try {
          value = readFileSync(f, 'utf8').replace(/\r?\n$/, '');
        } catch (e) {
          errors.push({ path: formatPath(where), message: `cannot read secret file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, line: lineOf(where) });
          continue;
        }
      } else {
        value = env[ref];
        if (value === undefined) {
          errors.push({ path: formatPath(where), message: `environment variable ${ref} is not set`, line: lineOf(where) });
          continue;
        }
      }
      if (o[base] !== undefined) {
        errors.push({ path: formatPath(where), message: `give either ${base} or ${key}, not both`, line: lineOf(where) });
        continue;
      }
      o[base] = base === 'secrets' ? value.split(/[\s,]+/).filter(Boolean) : value;
    } else {
      resolveSecrets(o[key], [...path, key], env, baseDir, errors, secrets, lineOf);
    }
  }
  for (const k of SECRET_KEYS) {
    const v = o[k];
    if (typeof v === 'string') secrets.push(v);
    else if (Array.isArray(v)) v.forEach((s) => typeof s === 'string' && secrets.push(s));
  }
}

/** Well-known environment variables for the secrets a systemd credential/EnvironmentFile usually carries. */
function applyEnvOverrides(o: Record<string, unknown>, env: NodeJS.ProcessEnv, secrets: string[]): void {
  const set = (section: string, key: string, name: string) => {
    const v = env[name];
    if (v === undefined) return;
    const s = (o[section] ??= {}) as Record<string, unknown>;
    if (s && typeof s === 'object') s[key] = v;
    secrets.push(v);
  };
  set('admin', 'token', 'CAMRELAY_ADMIN_TOKEN');
  if (o.mqtt) set('mqtt', 'password', 'CAMRELAY_MQTT_PASSWORD');
}

/** A deep copy with every secret value replaced by "***" (check-config, /api/state, logs). */
export function maskConfig<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if ((SECRET_KEYS as readonly string[]).includes(k) && x !== undefined) out[k] = Array.isArray(x) ? x.map(() => '***') : '***';
      else out[k] = walk(x);
    }
    return out;
  };
  return walk(value) as T;
}
