import { closeSync, constants, fdatasync, fdatasyncSync, fstatSync, fsyncSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * durability=full without an fsync on the event loop. The writer connection
 * runs synchronous=NORMAL, so a commit writes its WAL frames but does not sync
 * them; the store then fdatasyncs the -wal file on libuv's thread pool and
 * resolves the append only when that returns. In WAL mode this is exactly what
 * synchronous=FULL adds over NORMAL (one WAL sync after each commit), moved off
 * the thread that answers traject posts and drives the relays. fsync works on
 * the file, not the descriptor, so our own read-only descriptor of the -wal
 * syncs the frames SQLite wrote through its own.
 *
 * Requests that arrive while a sync runs share the next one: group commit
 * across the fsync, as the commit thread did before it was removed.
 */
export class FileSync {
  private fd: number;
  private ino: number;
  private inflight: Waiter[] = [];
  private waiting: Waiter[] = [];
  private running = false;
  private closed = false;
  /** completed syncs (tests, diagnostics) */
  syncs = 0;

  constructor(private readonly walPath: string) {
    // (also used for the database file itself by the checkpointer: same need, same coalescing)
    this.fd = openWal(walPath);
    this.ino = fstatSync(this.fd).ino;
    syncDirectory(dirname(walPath));
  }

  /** Resolves once everything written to the file before the call is on disk. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`sync of ${this.walPath} closed`));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) this.start();
    });
  }

  /**
   * SQLite keeps the -wal (truncating it, never unlinking it) while a
   * connection is open; only an outside tool switching the journal mode could
   * replace it. Checked by maintenance: re-open on a new inode.
   */
  checkFile(): void {
    if (this.closed || this.running) return;
    let ino: number | null = null;
    try {
      ino = statSync(this.walPath).ino;
    } catch {
      ino = null;
    }
    if (ino === this.ino) return;
    closeSync(this.fd);
    this.fd = openWal(this.walPath);
    this.ino = fstatSync(this.fd).ino;
    syncDirectory(dirname(this.walPath));
  }

  /** For the synchronous EventStore.close(): syncs on the calling thread, settles every waiter, closes the file. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.inflight, ...this.waiting];
    this.waiting = [];
    let err: Error | null = null;
    try {
      fdatasyncSync(this.fd);
    } catch (e) {
      err = e as Error;
    }
    settle(all, err);
    // an fdatasync still running on the pool owns the descriptor: its callback closes it
    if (!this.running) closeSync(this.fd);
  }

  private start(): void {
    this.inflight = this.waiting;
    this.waiting = [];
    this.running = true;
    fdatasync(this.fd, (err) => {
      this.running = false;
      const done = this.inflight;
      this.inflight = [];
      if (this.closed) {
        closeSync(this.fd);
        return;
      }
      if (!err) this.syncs++;
      settle(done, err);
      if (this.waiting.length) this.start();
    });
  }
}

function settle(ws: Waiter[], err: Error | null): void {
  for (const w of ws) {
    if (err) w.reject(err);
    else w.resolve();
  }
}

/** Read-only is enough to fsync; O_CREAT only if SQLite has not made the -wal yet (an empty -wal is a valid one). */
function openWal(path: string): number {
  return openSync(path, constants.O_RDONLY | constants.O_CREAT, 0o640);
}

/** The -wal's directory entry must survive a power cut too. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
