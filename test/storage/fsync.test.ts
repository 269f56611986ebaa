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
const [dir, durability, mode] = process.argv.slice(2);
const noop = () => {};
const logger = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => logger };
async function burst(store) {
  writeSync(1, 'MARK:BURST_START\\n');
  // enough writes for several checkpoints; acks interleave as a sink's would
  for (let g = 0; g < 40; g++) {
    const evs = Array.from({ length: 50 }, (_, i) => ({ id: 'b' + g + '-' + i, type: 'alarm.intrusion', camera: 'c', time: '2026-01-15T12:00:00Z', data: { camera: 'c', received_at: '2026-01-15T12:00:00Z', pad: 'x'.repeat(500) } }));
    const stored = (await Promise.all(evs.map((e) => store.append([e])))).flat();
    store.ack('x', stored.slice(0, 25).map((s) => s.seq));
  }
  await new Promise((r) => setTimeout(r, 200));
  writeSync(1, 'MARK:BURST_DONE pid=' + process.pid + '\\n');
  store.close();
}
async function main() {
  const cfg = { ...storageSchema.parse({ data_dir: dir }), durability };
  const store = openStore(cfg, { logger, clock: new ManualClock(), site: 's' });
  store.registerSink('x');
  if (mode === 'burst') return burst(store);
  // an ack first: bookkeeping writes are not synced on their own, which must not leak into append
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

function traceBurst(durability: 'full' | 'normal'): { lines: string[]; pid: number } {
  const data = join(t.dir, `burst-${durability}`);
  const out = join(t.dir, `burst-${durability}.strace`);
  const r = spawnSync('strace', ['-f', '-y', '-o', out, '-e', 'trace=fsync,fdatasync,write,pwrite64', process.execPath, bundle, data, durability, 'burst'], {
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  const pid = Number(/MARK:BURST_DONE pid=(\d+)/.exec(r.stdout)?.[1]);
  expect(pid).toBeGreaterThan(0);
  const lines = readFileSync(out, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.includes('MARK:BURST_START'));
  const end = lines.findIndex((l) => l.includes('MARK:BURST_DONE'));
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  // opening (migrations) and close() sync on the calling thread by design: only the steady state counts
  return { lines: lines.slice(start, end), pid };
}

describe('durability (strace)', () => {
  for (const durability of ['full', 'normal'] as const) {
    it(`${durability}: under a burst of appends and acks, WAL frames and the database file are synced on the thread pool; the event loop syncs only a restarted WAL's 32-byte header`, (ctx) => {
      if (straceError) return ctx.skip(straceError);
      const { lines, pid } = traceBurst(durability);
      const syncs = lines.filter((l) => /\b(fsync|fdatasync)\(/.test(l));
      const main = lines.filter((l) => l.startsWith(`${pid} `));
      // SQLite's NORMAL syncs the new header before it overwrites old frames (what keeps a power cut from
      // replaying stale frames): the one sync left on the event loop, once per WAL restart, tiny.
      const bad = main.filter((l, i) => /\b(fsync|fdatasync)\(/.test(l) && !/pwrite64\(\d+<[^>]*camrelay\.db-wal>, .*, 32, 0\) = 32/.test(main[i - 1] ?? ''));
      expect(bad, main.join('\n')).toEqual([]);
      expect(syncs.filter((l) => !l.startsWith(`${pid} `)).length).toBeGreaterThan(main.filter((l) => /sync\(/.test(l)).length);
      // the checkpointer copied WAL frames into the database file and synced it
      expect(syncs.some((l) => /\bfdatasync\(\d+<[^>]*camrelay\.db>/.test(l)), syncs.join('\n')).toBe(true);
    });
  }


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
