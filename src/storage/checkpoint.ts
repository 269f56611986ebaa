import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { Logger } from '../core/logger.js';
import { FileSync } from './file-sync.js';

/** About 1000 WAL pages (SQLite's own auto-checkpoint point) at the ~4 pages an alarm event's group commit writes. */
export const CHECKPOINT_EVERY_WRITES = 256;
/** A quiet site still gets its few writes into the database file within this long. */
export const CHECKPOINT_IDLE_MS = 30_000;

/**
 * WAL checkpoints without an fsync on the event loop. SQLite's automatic
 * checkpoint (synchronous=NORMAL) syncs the WAL and then the database file
 * inside the commit that crosses 1000 pages: measured here ~1–7 ms each, three
 * times a second under alarm load; far worse on an SD card. So the writer has
 * wal_autocheckpoint=0 and this runs the same steps with the syncs on the
 * thread pool:
 *
 *   1. a second, read-only connection opens a read transaction (the guard);
 *   2. fdatasync(-wal): every frame the checkpoint may copy is durable;
 *   3. on the writer, with synchronous=OFF for that statement only,
 *      wal_checkpoint(PASSIVE) copies the frames up to the guard's snapshot
 *      into the database file (page-cache writes);
 *   4. fdatasync(database file);
 *   5. the guard ends.
 *
 * Why the guard: SQLite restarts the WAL from its beginning (overwriting the
 * copied frames) at the next write after a complete checkpoint unless a reader
 * still uses the WAL. Until step 4 the copied pages exist durably only in the
 * WAL, so the guard keeps them there. Writes go on meanwhile (appended after
 * the guard's snapshot). `maintain()`'s TRUNCATE past wal_checkpoint_mb stays
 * the backstop for a WAL that never gets a quiet moment to restart.
 */
export class Checkpointer {
  private readonly guard: Db;
  private readonly guardRead: Statement;
  private readonly dbSync: FileSync;
  private writes = 0;
  private lastAt = 0;
  private running = false;
  private closed = false;
  private followUp = false;
  /** completed cycles (tests, diagnostics) */
  cycles = 0;

  constructor(
    private readonly db: Db,
    file: string,
    private readonly walSync: FileSync,
    private readonly log: Logger,
    /** called when a cycle ends: the store commits the appends it held meanwhile */
    private readonly onIdle: () => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.db.pragma('wal_autocheckpoint = 0');
    this.guard = new Database(file, { readonly: true, fileMustExist: true });
    this.guardRead = this.guard.prepare('SELECT count(*) FROM meta');
    this.dbSync = new FileSync(file);
    this.lastAt = this.now();
  }

  /** Called after each commit with the rows it wrote; starts a cycle when due. */
  wrote(rows: number): void {
    this.writes += rows;
    if (this.running || this.closed) return;
    if (this.writes >= CHECKPOINT_EVERY_WRITES || (this.writes > 0 && this.now() - this.lastAt >= CHECKPOINT_IDLE_MS)) void this.cycle();
  }

  /** Runs one cycle now (tests; maintain() before its TRUNCATE). */
  async cycle(): Promise<boolean> {
    if (this.running || this.closed) return false;
    this.running = true;
    this.writes = 0;
    this.lastAt = this.now();
    try {
      this.guard.exec('BEGIN');
      this.guardRead.get();
      await this.walSync.sync();
      if (this.closed) return false;
      this.db.pragma('synchronous = OFF');
      try {
        this.db.pragma('wal_checkpoint(PASSIVE)');
      } finally {
        this.db.pragma('synchronous = NORMAL');
      }
      await this.dbSync.sync();
      this.cycles++;
      return true;
    } catch (e) {
      if (!this.closed) this.log.warn({ err: (e as Error).message }, 'WAL checkpoint failed; retried after the next writes');
      return false;
    } finally {
      if (this.guard.open && this.guard.inTransaction) this.guard.exec('COMMIT');
      this.running = false;
      // Writes during the cycle (bookkeeping; appends are held) went after the guard's snapshot, so
      // the WAL cannot restart yet: one more cycle right away usually finds a quiet moment.
      const again = !this.closed && this.writes > 0 && !this.followUp;
      this.followUp = again;
      if (again) setImmediate(() => void this.cycle());
      if (!this.closed) this.onIdle();
    }
  }

  get busy(): boolean {
    return this.running;
  }

  /** Before the writer closes (its close checkpoints with NORMAL's own syncs, as the last connection). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.guard.inTransaction) this.guard.exec('COMMIT');
    this.guard.close();
    this.dbSync.closeSync();
  }
}
