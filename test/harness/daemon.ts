import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const REPO = resolve(import.meta.dirname, '..', '..');

// Folders this process created are removed when it exits (a restart test reuses one within the process).
const created = new Set<string>();
process.once('exit', () => {
  for (const d of created) rmSync(d, { recursive: true, force: true });
});
export const CLI = join(REPO, 'dist', 'cli.js');

export interface LogLine {
  level: string;
  msg: string;
  component?: string;
  [k: string]: unknown;
}

export interface DaemonHandle {
  child: ChildProcess;
  dir: string;
  dataDir: string;
  configFile: string;
  ingestUrl: string;
  adminUrl: string;
  ingestPort: number;
  adminPort: number;
  logs: LogLine[];
  stdout(): string;
  stderr(): string;
  /** resolves with the first log line matching pred (already seen lines included) */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM (or the given signal) and wait for exit */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnDaemonOptions {
  /** config object (merged over a test base: ingest/admin on 127.0.0.1:0, data in the temp dir, log level debug) */
  config?: Record<string, unknown>;
  /** reuse a folder (restart after a crash) */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** wrap the command: e.g. run inside a GPIO sandbox */
  spawnFn?: (cmd: string, args: string[], opts: SpawnOptions) => ChildProcess;
  readyTimeoutMs?: number;
}

/**
 * Spawns the built daemon (dist/cli.js run) with a temporary config and data
 * folder and waits until it logs that it is ready (with the ports it bound).
 */
export async function spawnDaemon(opts: SpawnDaemonOptions = {}): Promise<DaemonHandle> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it in pretest)`);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'camrelay-e2e-'));
  if (!opts.dir) created.add(dir);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const user = opts.config ?? {};
  const cfg: Record<string, unknown> = {
    ...user,
    ingest: { listen: '127.0.0.1:0', ...(user.ingest as object) },
    admin: { listen: '127.0.0.1:0', ...(user.admin as object) },
    storage: { data_dir: dataDir, ...(user.storage as object) },
    log: { level: 'debug', pretty: false, ...(user.log as object) },
  };
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(cfg));
  const env = { ...process.env, NOTIFY_SOCKET: undefined, ...opts.env } as NodeJS.ProcessEnv;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const spawnFn = opts.spawnFn ?? ((c, a, o) => spawn(c, a, o));
  const child = spawnFn(process.execPath, [CLI, 'run', '--config', configFile], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let out = '';
  let err = '';
  let partial = '';
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    const s = d.toString();
    out += s;
    partial += s;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try {
        const l = JSON.parse(line) as LogLine;
        logs.push(l);
        for (const w of [...waiters]) if (w.pred(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      } catch {
        /* not JSON: kept in stdout() */
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));

  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 15_000) =>
    new Promise<LogLine>((res, rej) => {
      const hit = logs.find(pred);
      if (hit) return res(hit);
      const w = { pred, resolve: (l: LogLine) => { clearTimeout(t); res(l); } };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        rej(new Error(`timed out waiting for a log line; stderr:\n${err}\nlast logs:\n${out.split('\n').slice(-15).join('\n')}`));
      }, timeoutMs);
      waiters.push(w);
    });

  const ready = await Promise.race([
    waitForLog((l) => l.msg === 'camrelay ready', opts.readyTimeoutMs ?? 20_000),
    exited.then((e) => {
      throw new Error(`daemon exited before ready (code ${e.code}, signal ${e.signal})\nstderr:\n${err}\nstdout:\n${out}`);
    }),
  ]);
  const ingestPort = (ready.ingest as { port: number }).port;
  const adminPort = (ready.admin as { port: number }).port;
  return {
    child,
    dir,
    dataDir,
    configFile,
    ingestPort,
    adminPort,
    ingestUrl: `http://127.0.0.1:${ingestPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    logs,
    stdout: () => out,
    stderr: () => err,
    waitForLog,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}
