import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../core/logger.js';
import { DatabaseTooNew, migrate } from './migrations.js';

export type Durability = 'full' | 'normal';

export interface OpenDbOptions {
  busyTimeoutMs: number;
  /** WAL bytes kept on disk after a checkpoint (journal_size_limit) */
  walLimitBytes: number;
  /** page cache of the writer connection (storage.cache_mb) */
  cacheKiB: number;
  logger: Logger;
  /** ms epoch, names the moved-aside files */
  now: number;
}

export class CorruptDatabase extends Error {
  override name = 'CorruptDatabase';
}

const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

export function isCorruption(e: unknown): boolean {
  if (e instanceof CorruptDatabase) return true;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (CORRUPT_CODES.has(code) || code.startsWith('SQLITE_CORRUPT'));
}

/**
 * The writer connection's pragmas. ORDER MATTERS: better-sqlite3 is built with
 * SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, so switching to WAL silently drops to
 * synchronous=NORMAL while the pragma still reads FULL; synchronous must be set
 * explicitly after journal_mode, on every connection. The writer runs NORMAL
 * under both durabilities: for `full` the store syncs the WAL itself after each
 * group commit, off the event loop (file-sync.ts), which is what FULL would do on
 * it. Checkpoints are run by checkpoint.ts, which turns the automatic ones off.
 */
export function applyPragmas(db: Db, walLimitBytes: number, cacheKiB: number): void {
  if ((db.pragma('page_count', { simple: true }) as number) === 0) {
    // Only possible before the first table exists: lets maintain() give freed pages back to the filesystem.
    db.pragma('auto_vacuum = INCREMENTAL');
  }
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new Error(`could not switch ${db.name} to WAL mode (got ${String(mode)})`);
  db.pragma('synchronous = NORMAL');
  db.pragma(`journal_size_limit = ${Math.floor(walLimitBytes)}`);
  db.pragma('temp_store = MEMORY');
  db.pragma(`cache_size = ${-Math.max(256, Math.floor(cacheKiB))}`); // negative: KiB, not pages
  // Delivery rows reference events by seq without FK: eviction deletes both explicitly.
  db.pragma('foreign_keys = OFF');
}

/** The database and its -wal/-shm companions are renamed together so SQLite never pairs a stale WAL with a fresh db. */
export function moveAside(file: string, now: number): string[] {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const moved: string[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    const src = file + suffix;
    if (!existsSync(src)) continue;
    const dst = `${file}.corrupt-${stamp}${suffix}`;
    renameSync(src, dst);
    moved.push(dst);
  }
  return moved;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Integrity check before the writer connection exists: a header check, then
 * quick_check on a read-only connection, so a corrupt file's -wal is neither
 * checkpointed into it nor deleted (it goes aside with the db for forensics).
 */
function checkIntegrity(file: string, busyTimeoutMs: number): void {
  if (!existsSync(file) || statSync(file).size === 0) return;
  const head = Buffer.alloc(MAGIC.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(MAGIC)) throw new CorruptDatabase('not an SQLite database (bad header)');
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  try {
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const bad = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (bad.length) throw new CorruptDatabase(`quick_check: ${bad.slice(0, 5).join('; ')}`);
  } finally {
    db.close();
  }
}

function openChecked(file: string, o: OpenDbOptions): Db {
  checkIntegrity(file, o.busyTimeoutMs);
  const db = new Database(file, { timeout: o.busyTimeoutMs });
  try {
    applyPragmas(db, o.walLimitBytes, o.cacheKiB);
    migrate(db, file);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Opens the one writer connection: pragmas, quick_check, migrations. A corrupt
 * file is moved aside (loudly) and a fresh database created instead of a crash
 * loop; a database from a newer camrelay is refused (DatabaseTooNew).
 */
export function openWriterDb(file: string, o: OpenDbOptions): { db: Db; movedAside: string[] } {
  mkdirSync(dirname(file), { recursive: true });
  try {
    return { db: openChecked(file, o), movedAside: [] };
  } catch (e) {
    if (e instanceof DatabaseTooNew || !isCorruption(e)) throw e;
    const moved = moveAside(file, o.now);
    o.logger.error(
      { err: (e as Error).message, file, moved_to: moved },
      'DATABASE CORRUPT: moved it aside and started a fresh, empty database. Undelivered events in the old file are NOT being forwarded; keep the moved files for forensics.',
    );
    return { db: openChecked(file, o), movedAside: moved };
  }
}

/**
 * A second connection for the CLI while the daemon may be running: no
 * quick_check, no repair, no migration (the daemon owns those).
 */
export function openAdminDb(file: string, o: { durability: Durability; busyTimeoutMs: number }): Db {
  if (!existsSync(file)) throw new Error(`no database at ${file} (has the daemon run with this config?)`);
  const db = new Database(file, { timeout: o.busyTimeoutMs, fileMustExist: true });
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not switch ${file} to WAL mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${o.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = OFF');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
