import Database from 'better-sqlite3';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpointer } from '../../src/storage/checkpoint.js';
import { ev, newStore, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

/** WAL header: checkpoint sequence number, big-endian u32 at offset 12 (sqlite.org/fileformat2.html#walformat); +1 at every WAL restart. */
function walRestarts(walFile: string): number {
  const b = Buffer.alloc(16);
  const fd = openSync(walFile, 'r');
  try {
    readSync(fd, b, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return b.readUInt32BE(12);
}

describe('the SQLite behaviour the checkpointer relies on (real SQLite, no camrelay code)', () => {
  it('a reader holding a snapshot keeps a fully checkpointed WAL from being restarted (overwritten); once it ends, the next write restarts it', () => {
    const file = join(t.dir, 'x.db');
    const w = new Database(file);
    w.pragma('journal_mode = WAL');
    w.pragma('wal_autocheckpoint = 0');
    w.exec('CREATE TABLE t (v TEXT)');
    for (let i = 0; i < 50; i++) w.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(200));
    const guard = new Database(file, { readonly: true });
    guard.exec('BEGIN');
    guard.prepare('SELECT count(*) FROM t').get();
    const [r] = w.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    expect(r!.checkpointed).toBe(r!.log); // everything up to the guard's snapshot (= all) copied
    const before = walRestarts(file + '-wal');
    w.prepare('INSERT INTO t VALUES (?)').run('while guarded');
    expect(walRestarts(file + '-wal')).toBe(before); // appended after, the copied frames kept
    guard.exec('COMMIT');
    w.pragma('wal_checkpoint(PASSIVE)');
    w.prepare('INSERT INTO t VALUES (?)').run('after');
    expect(walRestarts(file + '-wal')).toBe(before + 1);
    guard.close();
    w.close();
  });
});

describe('Checkpointer (real store)', () => {
  it('copies the WAL into the database file off the event loop, and the WAL restarts afterwards instead of growing', async () => {
    const { store } = newStore(t.dir, { group_commit_ms: 0 });
    store.registerSink('s');
    const cp = (store as unknown as { checkpointer: Checkpointer }).checkpointer;
    const wal = join(t.dir, 'camrelay.db-wal');
    const restarts = walRestarts(wal);
    for (let g = 0; g < 20; g++) {
      const stored = (await Promise.all(Array.from({ length: 30 }, () => store.append([ev({}, 300)])))).flat();
      store.ack('s', stored.map((s) => s.seq));
      // let the cycle's two syncs finish between bursts, as quiet moments do at a site
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(cp.cycles).toBeGreaterThanOrEqual(2);
    expect(walRestarts(wal)).toBeGreaterThan(restarts);
    store.close();
    const again = newStore(t.dir).store;
    expect(again.sinkStats('s')).toMatchObject({ depth: 0, delivered: 600 });
    again.close();
  });

  it('close() during a cycle leaves a consistent database with every acknowledged append', async () => {
    const { store } = newStore(t.dir, { group_commit_ms: 0 });
    const cp = (store as unknown as { checkpointer: Checkpointer }).checkpointer;
    const ids = (await Promise.all(Array.from({ length: 300 }, () => store.append([ev({}, 300)])))).flat().map((s) => s.event.id);
    const running = cp.cycle();
    store.close();
    await running;
    const again = newStore(t.dir).store;
    expect(ids.every((id) => again.hasEvent(id))).toBe(true);
    expect(again.health()).toMatchObject({ open: true, writable: true });
    again.close();
  });
});
