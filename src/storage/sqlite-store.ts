import type { Database as Db, Statement } from 'better-sqlite3';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { serializeEvent, type CamEvent } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { StorageConfig } from '../config/schema.js';
import {
  StorageUnavailable,
  type EventQuery,
  type EventStore,
  type QuarantineRecord,
  type SinkStats,
  type StorageHealth,
  type StoredEvent,
} from './types.js';
import { DatabaseTooNew, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { openAdminDb, openWriterDb } from './open-db.js';
import { enforceSize, expireBefore, releaseFreePages, usedBytes } from './bounds.js';
import { FileSync } from './file-sync.js';
import { Checkpointer } from './checkpoint.js';

export type StoreConfig = StorageConfig & { quarantine_max_rows?: number };

export interface StoreDeps {
  logger: Logger;
  clock: Clock;
  site: string;
}

export interface MaintainReport {
  /** events removed by max_event_age_days (delivered or not) */
  expired: number;
  /** fully delivered events removed by max_db_mb */
  evicted_delivered: number;
  /** undelivered deliveries dropped (age or size), per sink */
  dropped: Record<string, number>;
  checkpointed: boolean;
  /** the store was unopened or unwritable and is usable again */
  recovered: boolean;
}

export interface StoreCounters {
  /** group-commit transactions committed by append() */
  group_commits: number;
  /** events newly stored by append() */
  appended: number;
  /** events skipped by append() because their id was already stored */
  deduped: number;
}

/** Past this many queued events a group commits at once instead of waiting out group_commit_ms. */
export const GROUP_FLUSH_EVENTS = 256;
const QUARANTINE_HEAD_BYTES = 64 * 1024;
const BUSY_TIMEOUT_MS = 5000;
const MB = 1024 * 1024;

interface PendingAppend {
  events: CamEvent[];
  resolve: (v: StoredEvent[]) => void;
  reject: (e: unknown) => void;
}

interface EventRow {
  seq: number;
  event: string;
  body: string;
  stored_at: number;
}

function toStored(r: EventRow): StoredEvent {
  return { seq: r.seq, event: JSON.parse(r.event) as CamEvent, body: r.body, stored_at: r.stored_at };
}

function isSqliteError(e: unknown): e is Error & { code: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && ((e as unknown as { code: string }).code).startsWith('SQLITE_');
}

const EVENT_COLS = 'e.seq AS seq, e.event AS event, e.body AS body, e.stored_at AS stored_at';

/**
 * The event store on better-sqlite3: one writer connection, group commit,
 * per-sink delivery rows, quarantine, bounds. See src/storage/README.md.
 */
export class SqliteStore implements EventStore {
  readonly file: string;
  private db: Db | null = null;
  private writable = false;
  private lastError: string | null = null;
  private readonly log: Logger;
  private queue: PendingAppend[] = [];
  private queuedEvents = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly inflightIds = new Set<string>();
  private sinkCache: string[] = [];
  private readonly counters: StoreCounters = { group_commits: 0, appended: 0, deduped: 0 };
  private closed = false;
  private closing = false;
  /** writer mode: syncs the WAL off the event loop (before appends resolve under durability=full; before checkpoints always) */
  private walSync: FileSync | null = null;
  private checkpointer: Checkpointer | null = null;
  private syncAppends = false;
  private s!: ReturnType<typeof prepare>;
  private appendTx!: (batch: PendingAppend[], now: number) => StoredEvent[][];

  constructor(
    private readonly cfg: StoreConfig,
    private readonly deps: StoreDeps,
    private readonly mode: 'writer' | 'admin' = 'writer',
  ) {
    this.file = resolve(cfg.data_dir, cfg.database);
    this.log = deps.logger.child({ component: 'storage' });
  }

  /** Opens (or re-opens) the database. Throws only DatabaseTooNew; other failures leave the store unopened and unhealthy. */
  open(): boolean {
    try {
      if (this.mode === 'admin') {
        const db = openAdminDb(this.file, { durability: this.cfg.durability, busyTimeoutMs: BUSY_TIMEOUT_MS });
        const v = schemaVersion(db);
        if (v !== SCHEMA_VERSION) {
          db.close();
          if (v > SCHEMA_VERSION) throw new DatabaseTooNew(this.file, v, SCHEMA_VERSION);
          throw new Error(`database ${this.file} has schema version ${v}; start the daemon once to migrate it to ${SCHEMA_VERSION}`);
        }
        this.db = db;
      } else {
        const { db } = openWriterDb(this.file, {
          busyTimeoutMs: BUSY_TIMEOUT_MS,
          walLimitBytes: this.cfg.wal_checkpoint_mb * MB,
          cacheKiB: this.cfg.cache_mb * 1024,
          logger: this.log,
          now: this.deps.clock.now(),
        });
        this.db = db;
      }
    } catch (e) {
      if (e instanceof DatabaseTooNew || this.mode === 'admin') throw e;
      this.db = null;
      this.setUnwritable(e);
      this.log.error({ err: (e as Error).message, file: this.file }, 'cannot open the event database; events cannot be stored until it opens (retried by maintenance)');
      return false;
    }
    this.closeSyncers();
    this.s = prepare(this.db);
    this.appendTx = this.db.transaction((batch: PendingAppend[], now: number) => this.insertBatch(batch, now));
    this.sinkCache = this.s.sinkNames.all() as string[];
    this.writable = true;
    this.lastError = null;
    if (this.mode === 'writer') {
      try {
        this.walSync = new FileSync(this.file + '-wal');
        this.checkpointer = new Checkpointer(this.db, this.file, this.walSync, this.log, () => this.flush());
        this.syncAppends = this.cfg.durability === 'full';
      } catch (e) {
        this.closeSyncers();
        this.db.close();
        this.db = null;
        this.setUnwritable(e);
        this.log.error({ err: (e as Error).message, file: this.file }, 'cannot open the WAL for syncing; events cannot be stored until it opens (retried by maintenance)');
        return false;
      }
    }
    return true;
  }

  /** The guard connection first: the writer must be the last connection when it closes. */
  private closeSyncers(): void {
    this.checkpointer?.close();
    this.checkpointer = null;
    this.walSync?.closeSync();
    this.walSync = null;
    this.syncAppends = false;
  }

  // ---- append (group commit) ------------------------------------------------

  append(events: CamEvent[]): Promise<StoredEvent[]> {
    if (this.closed) return Promise.reject(new StorageUnavailable('storage is closed'));
    if (events.length === 0) return Promise.resolve([]);
    return new Promise<StoredEvent[]>((res, rej) => {
      this.queue.push({ events, resolve: res, reject: rej });
      this.queuedEvents += events.length;
      for (const e of events) this.inflightIds.add(e.id);
      if (this.queuedEvents >= GROUP_FLUSH_EVENTS) this.flush();
      else if (!this.timer) {
        const ms = this.cfg.group_commit_ms;
        this.timer = ms > 0 ? setTimeout(() => this.flush(), ms) : (setImmediate(() => this.flush()) as unknown as NodeJS.Timeout);
      }
    });
  }

  /**
   * Commits everything queued as one transaction, on this thread: inserting a
   * group is fast (page-cache writes); only the fsync is slow, and under
   * durability=full that runs on the thread pool (FileSync) while the next
   * group gathers.
   */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      clearImmediate(this.timer as unknown as NodeJS.Immediate);
      this.timer = null;
    }
    if (!this.queue.length) return;
    // held while a checkpoint runs (see checkpoint.ts); its end calls flush() again
    if (this.checkpointer?.busy && !this.closing) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedEvents = 0;
    if (!this.db) return this.failBatch(batch, new StorageUnavailable(this.lastError ?? 'storage is not open'));
    let results: StoredEvent[][];
    try {
      results = this.appendTx(batch, this.deps.clock.now());
    } catch (e) {
      return this.failBatch(batch, e);
    }
    this.counters.group_commits++;
    this.markWritable();
    // committed: a lookup by id now finds the row itself
    this.releaseIds(batch);
    this.checkpointer?.wrote(results.reduce((n, r) => n + r.length, 0));
    const settle = () => batch.forEach((p, i) => p.resolve(results[i]!));
    if (!this.syncAppends || !this.walSync) return settle();
    this.walSync.sync().then(settle, (e: Error) => {
      // The rows are in the WAL but may not survive a power cut: the camera is told 503 and retries; the retry finds the id stored and is answered then.
      this.setUnwritable(Object.assign(new Error(`fdatasync of the WAL failed: ${e.message}`), { code: (e as { code?: string }).code ?? 'EIO' }));
      const err = new StorageUnavailable(`WAL sync failed: ${e.message}`, { cause: e });
      for (const p of batch) p.reject(err);
    });
  }

  private failBatch(batch: PendingAppend[], e: unknown): void {
    const err = this.toUnavailable(e);
    this.releaseIds(batch);
    for (const p of batch) p.reject(err);
  }

  private releaseIds(batch: PendingAppend[]): void {
    for (const p of batch) for (const ev of p.events) this.inflightIds.delete(ev.id);
  }

  private insertBatch(batch: PendingAppend[], now: number): StoredEvent[][] {
    const sinks = this.sinkCache;
    return batch.map((p) => {
      const out: StoredEvent[] = [];
      for (const ev of p.events) {
        const body = serializeEvent(ev, this.deps.site);
        const t = Date.parse(ev.time);
        const r = this.s.insertEvent.run(ev.id, ev.type, ev.camera, Number.isFinite(t) ? t : now, now, JSON.stringify(ev), body);
        if (r.changes === 0) {
          this.counters.deduped++;
          continue;
        }
        const seq = Number(r.lastInsertRowid);
        for (const sink of sinks) this.s.insertDelivery.run(sink, seq);
        this.counters.appended++;
        out.push({ seq, event: ev, body, stored_at: now });
      }
      return out;
    });
  }

  // ---- reads ----------------------------------------------------------------

  hasEvent(id: string): boolean {
    if (this.inflightIds.has(id)) return true;
    if (!this.db) return false;
    return this.s.hasEvent.get(id) !== undefined;
  }

  /** Newest first (seq descending); `before` pages further back. */
  query(q: EventQuery): StoredEvent[] {
    if (!this.db) return [];
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.since !== undefined) (where.push('time_ms >= ?'), args.push(q.since));
    if (q.until !== undefined) (where.push('time_ms <= ?'), args.push(q.until));
    if (q.camera !== undefined) (where.push('camera = ?'), args.push(q.camera));
    if (q.type !== undefined) (where.push('type = ?'), args.push(q.type));
    if (q.before !== undefined) (where.push('seq < ?'), args.push(q.before));
    const limit = Math.max(1, Math.min(q.limit ?? 100, 10_000));
    const sql = `SELECT ${EVENT_COLS} FROM events e ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, limit) as EventRow[]).map(toStored);
  }

  // ---- quarantine -----------------------------------------------------------

  quarantine(rec: { reason: string; source: string; kind: string; body: Buffer }): void {
    if (!this.db) return;
    try {
      const r = this.s.insertQuarantine.run(
        this.deps.clock.now(),
        rec.reason,
        rec.source,
        rec.kind,
        rec.body.length,
        rec.body.subarray(0, QUARANTINE_HEAD_BYTES),
      );
      const max = this.cfg.quarantine_max_rows ?? 1000;
      this.s.trimQuarantine.run(Number(r.lastInsertRowid) - max);
    } catch (e) {
      // Best effort: a full disk must not turn bad input into a crash.
      this.toUnavailable(e);
      this.log.warn({ err: (e as Error).message, reason: rec.reason, source: rec.source }, 'could not store a quarantine record');
    }
  }

  /** Newest first. */
  listQuarantine(limit = 100): QuarantineRecord[] {
    if (!this.db) return [];
    return this.s.listQuarantine.all(limit) as QuarantineRecord[];
  }

  quarantineCount(): number {
    if (!this.db) return 0;
    return this.s.countQuarantine.get() as number;
  }

  // ---- sinks ----------------------------------------------------------------

  registerSink(sink: string): void {
    this.write(() => this.s.insertSink.run(sink, this.deps.clock.now()));
    if (!this.sinkCache.includes(sink)) this.sinkCache = [...this.sinkCache, sink].sort();
  }

  /** Forgets a sink no longer configured, with its queue, so its backlog stops pinning events. Returns rows removed. */
  unregisterSink(sink: string): number {
    const n = this.write(() =>
      this.db!.transaction(() => {
        const r = this.s.purgeSink.run(sink);
        this.s.deleteSink.run(sink);
        return r.changes;
      })(),
    );
    this.sinkCache = this.sinkCache.filter((s) => s !== sink);
    return n;
  }

  pending(sink: string, limit: number, afterSeq = 0): StoredEvent[] {
    if (!this.db) return [];
    return (this.s.pending.all(sink, afterSeq, limit) as EventRow[]).map(toStored);
  }

  ack(sink: string, seqs: number[]): void {
    if (!seqs.length) return;
    this.write(() =>
      this.db!.transaction(() => {
        let n = 0;
        for (const seq of seqs) n += this.s.ack.run(sink, seq).changes;
        if (n) this.s.bumpDelivered.run(n, sink);
      })(),
    );
  }

  deadLetter(sink: string, seq: number, reason: string): void {
    this.write(() => this.s.deadLetter.run(this.deps.clock.now(), reason, sink, seq));
  }

  listDeadLetters(sink: string, limit = 100): { seq: number; reason: string; at: number; event: CamEvent }[] {
    if (!this.db) return [];
    const rows = this.s.listDead.all(sink, limit) as { seq: number; reason: string; at: number; event: string }[];
    return rows.map((r) => ({ seq: r.seq, reason: r.reason, at: r.at, event: JSON.parse(r.event) as CamEvent }));
  }

  replayDeadLetters(sink: string): number {
    return this.write(() => this.s.replay.run(sink).changes);
  }

  /** Removes queued and dead deliveries (of one sink, or all). Events stay for history; purged rows are not counted as dropped. */
  purge(sink: string | null): number {
    return this.write(() => (sink === null ? this.s.purgeAll.run() : this.s.purgeSink.run(sink)).changes);
  }

  /** oldest_undelivered_ms is the stored_at (ms epoch) of the oldest queued event, not an age. */
  sinkStats(sink: string): SinkStats {
    const empty: SinkStats = { sink, depth: 0, oldest_undelivered_ms: null, dead_letters: 0, delivered: 0, dropped: 0 };
    if (!this.db) return empty;
    const counts = this.s.sinkCounts.get(sink) as { depth: number; dead: number };
    const oldest = this.s.oldestPending.get(sink) as number | null | undefined;
    const totals = this.s.sinkTotals.get(sink) as { delivered: number; dropped: number } | undefined;
    return {
      sink,
      depth: counts.depth,
      oldest_undelivered_ms: oldest ?? null,
      dead_letters: counts.dead,
      delivered: totals?.delivered ?? 0,
      dropped: totals?.dropped ?? 0,
    };
  }

  sinks(): string[] {
    if (!this.db) return [...this.sinkCache];
    return this.s.sinkNames.all() as string[];
  }

  // ---- health, maintenance --------------------------------------------------

  health(): StorageHealth {
    return {
      open: this.db !== null,
      writable: this.db !== null && this.writable,
      last_error: this.lastError,
      db_bytes: fileSize(this.file),
      wal_bytes: fileSize(this.file + '-wal'),
    };
  }

  counts(): StoreCounters {
    return { ...this.counters };
  }

  /** The connection's effective settings (diagnostics, tests); wal_sync: the WAL is synced after each group commit (durability=full). */
  connectionInfo(): { journal_mode: string; synchronous: number; auto_vacuum: number; user_version: number; cache_size: number; wal_sync: boolean } | null {
    if (!this.db) return null;
    const g = (n: string) => this.db!.pragma(n, { simple: true });
    return {
      journal_mode: g('journal_mode') as string,
      synchronous: g('synchronous') as number,
      auto_vacuum: g('auto_vacuum') as number,
      user_version: g('user_version') as number,
      cache_size: g('cache_size') as number,
      wal_sync: this.syncAppends,
    };
  }

  /**
   * Periodic upkeep, cheap when nothing is due: age and size bounds, WAL
   * checkpoint past wal_checkpoint_mb, re-open / writability probe after a
   * failure. The daemon calls it every few seconds.
   */
  maintain(now: number): MaintainReport {
    const report: MaintainReport = { expired: 0, evicted_delivered: 0, dropped: {}, checkpointed: false, recovered: false };
    if (this.closed) return report;
    if (!this.db) {
      if (!this.open()) return report;
      this.log.info({ file: this.file }, 'event database opened after an earlier failure');
      report.recovered = true;
    }
    if (!this.writable) {
      try {
        this.s.probe.run(String(now));
        this.markWritable();
        report.recovered = true;
      } catch (e) {
        this.toUnavailable(e);
        return report;
      }
    }
    const db = this.db!;
    try {
      this.walSync?.checkFile();
      const cutoff = now - this.cfg.max_event_age_days * 86_400_000;
      const oldest = this.s.oldestStored.get() as number | null;
      if (oldest !== null && oldest < cutoff) {
        const r = expireBefore(db, cutoff);
        report.expired = r.events;
        addInto(report.dropped, r.perSink);
      }
      const max = this.cfg.max_db_mb * MB;
      if (usedBytes(db) > max) {
        const r = enforceSize(db, max, max * 0.9);
        report.evicted_delivered = r.evictedDelivered;
        addInto(report.dropped, r.dropped.perSink);
      }
      if (report.expired || report.evicted_delivered) releaseFreePages(db);
      if (fileSize(this.file + '-wal') > this.cfg.wal_checkpoint_mb * MB && !this.checkpointer?.busy) {
        const r = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
        report.checkpointed = r[0]?.busy === 0;
        if (!report.checkpointed) this.log.warn({ wal_bytes: fileSize(this.file + '-wal') }, 'WAL checkpoint blocked by a reader; retrying next round');
      }
    } catch (e) {
      this.toUnavailable(e);
      this.log.error({ err: (e as Error).message }, 'storage maintenance failed');
    }
    if (report.expired) this.log.info({ expired: report.expired }, 'removed events older than max_event_age_days');
    if (report.evicted_delivered) this.log.warn({ evicted: report.evicted_delivered, max_db_mb: this.cfg.max_db_mb }, 'database over max_db_mb: removed the oldest delivered events');
    const dropped = Object.values(report.dropped).reduce((a, b) => a + b, 0);
    if (dropped) this.log.error({ dropped: report.dropped }, 'storage bounds reached: dropped UNDELIVERED events (counted per sink)');
    return report;
  }

  close(): void {
    if (this.closed) return;
    this.closing = true;
    this.flush();
    this.closed = true;
    // syncs on this thread what the pool has not synced yet: close() stays synchronous, and settles every append
    this.closeSyncers();
    try {
      this.db?.close();
    } finally {
      this.db = null;
    }
  }

  // ---- internals ------------------------------------------------------------

  /**
   * Bookkeeping writes (ack, dead letter, replay, purge, sinks) are not
   * synced on their own: losing one to a power cut only means a duplicate
   * delivery (at-least-once), and the next append's WAL sync makes them
   * durable anyway. One connection writes, so they never wait for a lock
   * (only a CLI command's short transaction, through busy_timeout).
   */
  private write<T>(fn: () => T): T {
    if (!this.db) throw new StorageUnavailable(this.lastError ?? 'storage is not open');
    try {
      const r = fn();
      this.markWritable();
      this.checkpointer?.wrote(1);
      return r;
    } catch (e) {
      throw this.toUnavailable(e);
    }
  }

  private markWritable(): void {
    if (!this.writable) this.log.info({ file: this.file }, 'event database writable again');
    this.writable = true;
    this.lastError = null;
  }

  private setUnwritable(e: unknown): void {
    const msg = `${(e as { code?: string }).code ?? 'ERROR'}: ${(e as Error).message}`;
    if (this.writable || this.lastError !== msg) this.log.error({ err: msg, file: this.file }, 'event database not writable');
    this.writable = false;
    this.lastError = msg;
  }

  /** SQLite failures become StorageUnavailable and mark the store unwritable; anything else is a bug and passes through. */
  private toUnavailable(e: unknown): unknown {
    if (e instanceof StorageUnavailable) return e;
    if (!isSqliteError(e)) return e;
    this.setUnwritable(e);
    return new StorageUnavailable(`${e.code}: ${e.message}`, { cause: e });
  }
}

function addInto(into: Record<string, number>, add: Record<string, number>): void {
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
}

function fileSize(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

function prepare(db: Db) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insertEvent: p(
      'INSERT INTO events (id, type, camera, time_ms, stored_at, event, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING',
    ),
    insertDelivery: p('INSERT OR IGNORE INTO deliveries (sink, seq) VALUES (?, ?)'),
    hasEvent: p('SELECT 1 FROM events WHERE id = ?').pluck(),
    insertQuarantine: p('INSERT INTO quarantine (at, reason, source, kind, bytes, head) VALUES (?, ?, ?, ?, ?, ?)'),
    trimQuarantine: p('DELETE FROM quarantine WHERE id <= ?'),
    listQuarantine: p('SELECT id, at, reason, source, kind, bytes, head FROM quarantine ORDER BY id DESC LIMIT ?'),
    countQuarantine: p('SELECT count(*) FROM quarantine').pluck(),
    insertSink: p('INSERT OR IGNORE INTO sinks (name, registered_at) VALUES (?, ?)'),
    deleteSink: p('DELETE FROM sinks WHERE name = ?'),
    sinkNames: p('SELECT name FROM sinks ORDER BY name').pluck(),
    pending: p(
      `SELECT ${EVENT_COLS} FROM deliveries d JOIN events e ON e.seq = d.seq
       WHERE d.sink = ? AND d.dead_at IS NULL AND d.seq > ? ORDER BY d.seq LIMIT ?`,
    ),
    ack: p('DELETE FROM deliveries WHERE sink = ? AND seq = ?'),
    bumpDelivered: p('UPDATE sinks SET delivered = delivered + ? WHERE name = ?'),
    deadLetter: p('UPDATE deliveries SET dead_at = ?, dead_reason = ? WHERE sink = ? AND seq = ?'),
    listDead: p(
      `SELECT d.seq AS seq, d.dead_reason AS reason, d.dead_at AS at, e.event AS event FROM deliveries d JOIN events e ON e.seq = d.seq
       WHERE d.sink = ? AND d.dead_at IS NOT NULL ORDER BY d.seq LIMIT ?`,
    ),
    replay: p('UPDATE deliveries SET dead_at = NULL, dead_reason = NULL WHERE sink = ? AND dead_at IS NOT NULL'),
    purgeSink: p('DELETE FROM deliveries WHERE sink = ?'),
    purgeAll: p('DELETE FROM deliveries'),
    sinkCounts: p(
      `SELECT count(*) FILTER (WHERE dead_at IS NULL) AS depth, count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead
       FROM deliveries WHERE sink = ?`,
    ),
    oldestPending: p(
      `SELECT e.stored_at FROM deliveries d JOIN events e ON e.seq = d.seq
       WHERE d.sink = ? AND d.dead_at IS NULL ORDER BY d.seq LIMIT 1`,
    ).pluck(),
    sinkTotals: p('SELECT delivered, dropped FROM sinks WHERE name = ?'),
    oldestStored: p('SELECT min(stored_at) FROM events').pluck(),
    probe: p("INSERT INTO meta (key, value) VALUES ('probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
  };
}

/**
 * The daemon's store: opens (migrating, checking, repairing) the database in
 * `<data_dir>/<database>`. Throws DatabaseTooNew; any other open failure
 * leaves a store whose health() says why and whose maintain() retries.
 */
export function openStore(cfg: StoreConfig, deps: StoreDeps): SqliteStore {
  const store = new SqliteStore(cfg, deps, 'writer');
  store.open();
  return store;
}

/** A second connection for the CLI (the daemon may be running). Throws when the database is missing or of another schema version. */
export function openStoreForAdmin(cfg: StoreConfig, deps: StoreDeps): SqliteStore {
  const store = new SqliteStore(cfg, deps, 'admin');
  store.open();
  return store;
}
