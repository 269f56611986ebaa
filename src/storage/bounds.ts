import type { Database as Db } from 'better-sqlite3';

/**
 * Eviction for the storage bounds. Fully delivered events (no delivery row
 * left for any sink) go first; undelivered ones are only dropped when that is
 * not enough, and every drop is counted per sink (sinks.dropped).
 */

const BATCH = 500;

/** Bytes of live pages: the file may be larger until freed pages are vacuumed. */
export function usedBytes(db: Db): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

export interface DropResult {
  events: number;
  /** undelivered deliveries removed, per sink */
  perSink: Record<string, number>;
}

/** Deletes the given events and their delivery rows; counts the undelivered ones as dropped per sink. */
function deleteEvents(db: Db, seqs: number[]): DropResult {
  const perSink: Record<string, number> = {};
  if (!seqs.length) return { events: 0, perSink };
  const list = JSON.stringify(seqs);
  const counts = db
    .prepare('SELECT sink, count(*) AS n FROM deliveries WHERE seq IN (SELECT value FROM json_each(?)) GROUP BY sink')
    .all(list) as { sink: string; n: number }[];
  const bump = db.prepare('UPDATE sinks SET dropped = dropped + ? WHERE name = ?');
  for (const c of counts) {
    perSink[c.sink] = c.n;
    bump.run(c.n, c.sink);
  }
  db.prepare('DELETE FROM deliveries WHERE seq IN (SELECT value FROM json_each(?))').run(list);
  const r = db.prepare('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))').run(list);
  return { events: r.changes, perSink };
}

function merge(into: DropResult, r: DropResult): void {
  into.events += r.events;
  for (const [k, v] of Object.entries(r.perSink)) into.perSink[k] = (into.perSink[k] ?? 0) + v;
}

const DELIVERED_OLDEST =
  'SELECT seq FROM events e WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = e.seq) ORDER BY seq LIMIT ?';

/** Removes events stored before `cutoff` (ms epoch). Batched so the writer is never blocked for long. */
export function expireBefore(db: Db, cutoff: number): DropResult {
  const total: DropResult = { events: 0, perSink: {} };
  const pick = db.prepare('SELECT seq FROM events WHERE stored_at < ? ORDER BY stored_at LIMIT ?').pluck();
  const step = db.transaction(() => {
    const seqs = pick.all(cutoff, BATCH) as number[];
    const r = deleteEvents(db, seqs);
    merge(total, r);
    return seqs.length;
  });
  while (step() === BATCH);
  return total;
}

/**
 * Brings the live size under `maxBytes` (down to `targetBytes` for hysteresis):
 * delivered events first, then the oldest undelivered ones.
 */
export function enforceSize(
  db: Db,
  maxBytes: number,
  targetBytes: number,
): { evictedDelivered: number; dropped: DropResult } {
  const dropped: DropResult = { events: 0, perSink: {} };
  let evictedDelivered = 0;
  if (usedBytes(db) <= maxBytes) return { evictedDelivered, dropped };
  const delivered = db.prepare(DELIVERED_OLDEST).pluck();
  const oldest = db.prepare('SELECT seq FROM events ORDER BY seq LIMIT ?').pluck();
  const count = db.prepare('SELECT count(*) FROM events').pluck();
  // Delete about as many events as the excess needs (by average size), not a
  // fixed batch: with big events a fixed batch would drop far more than needed.
  const batchFor = (used: number): number => {
    const n = count.get() as number;
    if (n === 0) return 0;
    const avg = Math.max(1, used / n);
    return Math.max(1, Math.min(BATCH, Math.ceil((used - targetBytes) / avg)));
  };
  const step = db.transaction((undelivered: boolean, limit: number) => {
    const seqs = (undelivered ? oldest : delivered).all(limit) as number[];
    const r = deleteEvents(db, seqs);
    if (undelivered) merge(dropped, r);
    else evictedDelivered += r.events;
    return seqs.length;
  });
  for (const undelivered of [false, true]) {
    for (let used = usedBytes(db); used > targetBytes; used = usedBytes(db)) {
      if (step(undelivered, batchFor(used)) === 0) break;
    }
  }
  return { evictedDelivered, dropped };
}

/** Gives free pages back to the filesystem (auto_vacuum=INCREMENTAL). */
export function releaseFreePages(db: Db): number {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (free > 0) db.pragma('incremental_vacuum');
  return free;
}
