import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

/**
 * Proof that durability=full really fsyncs the WAL before append() resolves.
 * better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, so WAL mode
 * alone would mean NORMAL; the store must set synchronous after journal_mode.
 * A tiny script (the real store, bundled with esbuild) runs under strace.
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const SCRIPT = `
import { writeSync } from 'node:fs';
import { openStore } from './src/storage/sqlite-store.ts';
import { storageSchema } from './src/config/schema.ts';
import { ManualClock } from './src/core/clock.ts';
const [dir, durability] = process.argv.slice(2);
const noop = () => {};
const logger = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => logger };
async function main() {
  const cfg = { ...storageSchema.parse({ data_dir: dir }), durability };
  const store = openStore(cfg, { logger, clock: new ManualClock(), site: 's' });
  store.registerSink('x');
  // an ack first: bookkeeping commits relax synchronous, which must not leak into append
  const [e0] = await store.append([{ id: 'e0', type: 'alarm.intrusion', camera: 'c', time: '2026-01-15T12:00:00Z', data: { camera: 'c', received_at: '2026-01-15T12:00:00Z' } }]);
  store.ack('x', [e0.seq]);
  writeSync(1, 'MARK:APPEND_START\\n');
  const r = await store.append([{ id: 'e1', type: 'alarm.intrusion', camera: 'c', time: '2026-01-15T12:00:00Z', data: { camera: 'c', received_at: '2026-01-15T12:00:00Z' } }]);
  writeSync(1, 'MARK:APPEND_DONE ' + r.length + '\\n');
  store.close();
}
main();
`;

let t: ReturnType<typeof tempDir>;
let bundle = '';
let straceError: string | null = null;

beforeAll(() => {
  t = tempDir('camrelay-fsync-');
  try {
    execFileSync('strace', ['-V'], { stdio: 'pipe' });
  } catch (e) {
    straceError = `strace is not available: ${(e as Error).message}`;
    if (process.env.CI === 'true') throw new Error(straceError);
    console.warn(`SKIPPING fsync proof: ${straceError}`);
  }
  bundle = join(t.dir, 'append-once.cjs');
  buildSync({
    stdin: { contents: SCRIPT, resolveDir: root, loader: 'ts', sourcefile: 'append-once.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
    outfile: bundle,
    logLevel: 'silent',
  });
});
afterAll(() => t.cleanup());

interface Trace {
  lines: string[];
  start: number;
  done: number;
}

function traceAppend(durability: 'full' | 'normal'): Trace {
  const data = join(t.dir, durability);
  const out = join(t.dir, `${durability}.strace`);
  const r = spawnSync('strace', ['-f', '-y', '-o', out, '-e', 'trace=fsync,fdatasync,write,pwrite64', process.execPath, bundle, data, durability], {
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain('MARK:APPEND_DONE 1');
  const lines = readFileSync(out, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.includes('MARK:APPEND_START'));
  const done = lines.findIndex((l) => l.includes('MARK:APPEND_DONE'));
  expect(start).toBeGreaterThan(-1);
  expect(done).toBeGreaterThan(start);
  return { lines, start, done };
}

// SQLite writes WAL frames with pwrite64; the markers use write(1, ...).
const isWalWrite = (l: string) => /\bp?write(64)?\(\d+<[^>]*camrelay\.db-wal>/.test(l);
const isWalSync = (l: string) => /\b(fsync|fdatasync)\(\d+<[^>]*camrelay\.db-wal>/.test(l);

describe('durability (strace)', () => {
  it('full: the commit is written to the -wal and fsynced before append() resolves', (ctx) => {
    if (straceError) return ctx.skip(straceError);
    const { lines, start, done } = traceAppend('full');
    const between = lines.slice(start, done);
    const lastWrite = between.findLastIndex(isWalWrite);
    expect(lastWrite, 'no write to the -wal during append').toBeGreaterThan(-1);
    const syncAfter = between.slice(lastWrite).some(isWalSync);
    expect(syncAfter, `no fsync/fdatasync of the -wal after the commit:\n${between.join('\n')}`).toBe(true);
  });

  it('normal: the commit is written to the -wal without an fsync (safe against a process crash only)', (ctx) => {
    if (straceError) return ctx.skip(straceError);
    const { lines, start, done } = traceAppend('normal');
    const between = lines.slice(start, done);
    expect(between.some(isWalWrite)).toBe(true);
    expect(between.filter(isWalSync)).toEqual([]);
  });
});
