import Database from 'better-sqlite3';
import { existsSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { pino } from 'pino';
import { DatabaseTooNew, SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { openStore } from '../../src/storage/sqlite-store.js';
import { ev, newStore, storeConfig, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

function capturingLogger() {
  const lines: string[] = [];
  const dest = new PassThrough();
  dest.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  const logger = pino({ level: 'info' }, dest);
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('migrations', () => {
  it('a fresh database gets the current schema, WAL, incremental auto_vacuum; full syncs the WAL itself, normal does not', () => {
    const { store } = newStore(t.dir);
    // synchronous=NORMAL on the writer under both durabilities: under full the store fdatasyncs the WAL after each group (fsync.test.ts proves it)
    // cache_size in KiB (negative): 2 MB by default, not better-sqlite3's 16 MB build default
    expect(store.connectionInfo()).toEqual({ journal_mode: 'wal', synchronous: 1, auto_vacuum: 2, user_version: SCHEMA_VERSION, cache_size: -2048, wal_sync: true });
    store.close();
    const normal = newStore(t.dir, { durability: 'normal', cache_mb: 8 }).store;
    expect(normal.connectionInfo()).toMatchObject({ synchronous: 1, cache_size: -8192, wal_sync: false });
    normal.close();
  });

  it('reopening keeps the data and the version', async () => {
    const a = newStore(t.dir).store;
    const e = ev();
    await a.append([e]);
    a.close();
    const b = newStore(t.dir).store;
    expect(b.connectionInfo()?.user_version).toBe(SCHEMA_VERSION);
    expect(b.hasEvent(e.id)).toBe(true);
    b.close();
  });

  it('refuses a database written by a newer camrelay, with a clear message, and leaves it in place', () => {
    newStore(t.dir).store.close();
    const file = join(t.dir, 'camrelay.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    const open = () => newStore(t.dir);
    expect(open).toThrow(DatabaseTooNew);
    expect(open).toThrow(/newer camrelay/);
    expect(readdirSync(t.dir).filter((f) => f.includes('corrupt'))).toEqual([]);
  });
});

describe('corrupt database', () => {
  function openWithLog() {
    const cap = capturingLogger();
    const store = openStore(storeConfig(t.dir), { logger: cap.logger, clock: new ManualClock(Date.UTC(2026, 1, 2, 3, 4, 5)), site: 's' });
    return { store, logs: cap.lines };
  }

  it('a file of garbage bytes is moved aside with -wal/-shm and a fresh db is created', async () => {
    const file = join(t.dir, 'camrelay.db');
    const garbage = Buffer.alloc(20_000, 0);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;
    writeFileSync(file, garbage);
    writeFileSync(file + '-wal', 'not a wal');
    const { store, logs } = openWithLog();
    expect(store.health()).toMatchObject({ open: true, writable: true });
    expect((await store.append([ev()])).length).toBe(1);
    store.close();
    const stamp = '2026-02-02T03-04-05-000Z';
    expect(readFileSync(join(t.dir, `camrelay.db.corrupt-${stamp}`))).toEqual(garbage);
    expect(readFileSync(join(t.dir, `camrelay.db.corrupt-${stamp}-wal`), 'utf8')).toBe('not a wal');
    const err = logs().find((l) => l.level === 50);
    expect(String(err?.msg)).toMatch(/DATABASE CORRUPT/);
  });

  it('a corrupted page found by quick_check is moved aside', async () => {
    const { store: s } = newStore(t.dir);
    s.registerSink('a');
    await s.append(Array.from({ length: 300 }, () => ev({}, 500)));
    s.close();
    const file = join(t.dir, 'camrelay.db');
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(20 * 4096);
    // Overwrite pages 5..15 (b-tree pages of the tables/indexes) with a pattern.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 10, 0x5a), 0, 4096 * 10, 4096 * 5);
    closeSync(fd);
    const { store, logs } = openWithLog();
    expect(store.health().open).toBe(true);
    expect(store.pending('a', 10)).toEqual([]);
    store.close();
    expect(readdirSync(t.dir).some((f) => f.startsWith('camrelay.db.corrupt-'))).toBe(true);
    expect(logs().some((l) => l.level === 50 && /CORRUPT/.test(String(l.msg)))).toBe(true);
  });

  it('a truncated database is moved aside', async () => {
    const { store: s } = newStore(t.dir);
    await s.append(Array.from({ length: 300 }, () => ev({}, 500)));
    s.close();
    const file = join(t.dir, 'camrelay.db');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const { store } = openWithLog();
    expect(store.query({}).length).toBe(0);
    store.close();
    expect(readdirSync(t.dir).some((f) => f.startsWith('camrelay.db.corrupt-'))).toBe(true);
    expect(existsSync(file)).toBe(true);
  });
});
