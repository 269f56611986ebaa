import type { CamEvent } from '../core/event.js';

/**
 * The storage contract the ingest path, the sinks, the admin API and the CLI
 * program against. Implemented by storage/sqlite-store.ts (better-sqlite3).
 */

export interface StoredEvent {
  /** insertion order: delivery order per sink */
  seq: number;
  event: CamEvent;
  /** the CloudEvent JSON bytes, identical on every sink and retry */
  body: string;
  /** ms epoch when committed */
  stored_at: number;
}

export interface SinkStats {
  sink: string;
  depth: number;
  /** stored_at (ms epoch) of the oldest waiting event, null when none: age = now - this */
  oldest_undelivered_ms: number | null;
  dead_letters: number;
  delivered: number;
  dropped: number;
}

export interface QuarantineRecord {
  id: number;
  at: number;
  reason: string;
  source: string;
  kind: string;
  bytes: number;
  /** first 64 KiB of the body */
  head: Buffer;
}

export interface StorageHealth {
  open: boolean;
  writable: boolean;
  last_error: string | null;
  db_bytes: number;
  wal_bytes: number;
}

/** Thrown by append() when the event cannot be made durable (disk full, read-only, I/O error). */
export class StorageUnavailable extends Error {
  override name = 'StorageUnavailable';
}

export interface EventQuery {
  since?: number; // ms epoch, by event time
  until?: number;
  camera?: string;
  type?: string;
  limit?: number;
  /** paging: only events with seq < before */
  before?: number;
}

export interface EventStore {
  /**
   * Commits events (group commit: concurrent calls share one transaction).
   * Resolves only once durable per storage.durability. Events whose id is
   * already stored are skipped (dedupe) and not returned. Rejects with
   * StorageUnavailable when the disk is full or read-only.
   */
  append(events: CamEvent[]): Promise<StoredEvent[]>;
  hasEvent(id: string): boolean;
  query(q: EventQuery): StoredEvent[];

  quarantine(rec: { reason: string; source: string; kind: string; body: Buffer }): void;
  listQuarantine(limit?: number): QuarantineRecord[];
  quarantineCount(): number;

  /** Sinks register once at start; events appended afterwards are queued for them. */
  registerSink(sink: string): void;
  /** Oldest undelivered events for the sink, in seq order (dead letters excluded). */
  pending(sink: string, limit: number, afterSeq?: number): StoredEvent[];
  ack(sink: string, seqs: number[]): void;
  deadLetter(sink: string, seq: number, reason: string): void;
  listDeadLetters(sink: string, limit?: number): { seq: number; reason: string; at: number; event: CamEvent }[];
  replayDeadLetters(sink: string): number;
  purge(sink: string | null): number;
  sinkStats(sink: string): SinkStats;
  sinks(): string[];

  health(): StorageHealth;
  close(): void;
}
