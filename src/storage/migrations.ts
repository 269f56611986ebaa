import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, versioned by `PRAGMA user_version`. Append new steps at the
 * end; never edit a released one (a db in the field has already run it).
 */
export const MIGRATIONS: readonly string[] = [
  // v1: events written once; per-sink delivery rows so one dead sink never holds up another.
  `
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    camera TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX events_time ON events(time_ms);
  CREATE INDEX events_stored_at ON events(stored_at);

  CREATE TABLE sinks (
    name TEXT PRIMARY KEY,
    registered_at INTEGER NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    dropped INTEGER NOT NULL DEFAULT 0
  );

  -- one row per (sink, undelivered event); deleted on ack. dead_at set = dead letter.
  CREATE TABLE deliveries (
    sink TEXT NOT NULL,
    seq INTEGER NOT NULL,
    dead_at INTEGER,
    dead_reason TEXT,
    PRIMARY KEY (sink, seq)
  ) WITHOUT ROWID;
  CREATE INDEX deliveries_seq ON deliveries(seq);
  CREATE INDEX deliveries_pending ON deliveries(sink, seq) WHERE dead_at IS NULL;

  CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    head BLOB NOT NULL
  );

  -- small key/value facts; also the target of the writability probe in maintain()
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database was written by a newer camrelay: refusing to start beats silently corrupting it. */
export class DatabaseTooNew extends Error {
  override name = 'DatabaseTooNew';
  constructor(
    public readonly file: string,
    public readonly found: number,
    public readonly supported: number,
  ) {
    super(
      `database ${file} has schema version ${found}, but this camrelay only knows up to version ${supported}. ` +
        `It was written by a newer camrelay: upgrade camrelay, or move the file aside to start with an empty buffer.`,
    );
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every missing migration, each in its own transaction together with its version bump. */
export function migrate(db: Database, file: string): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) throw new DatabaseTooNew(file, from, SCHEMA_VERSION);
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: SCHEMA_VERSION };
}
