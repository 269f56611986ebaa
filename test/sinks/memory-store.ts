import type { CamEvent } from '../../src/core/event.js';
import { serializeEvent } from '../../src/core/event.js';
import type { Clock } from '../../src/core/clock.js';
import type { EventStore, SinkStats, StoredEvent } from '../../src/storage/types.js';

/**
 * A tiny in-memory EventStore for sink unit tests, used only where a test name
 * says "(mock: in-memory store)". It implements the delivery half of the
 * contract (append/pending/ack/deadLetter/sinkStats); the rest throws.
 */
export class MemoryStore implements EventStore {
  private rows: StoredEvent[] = [];
  private seq = 0;
  private readonly sinkState = new Map<string, { acked: Set<number>; dead: Map<number, { reason: string; at: number }>; since: number }>();

  constructor(
    private readonly site = 'test',
    private readonly clock: Clock = { now: () => Date.now() },
  ) {}

  async append(events: CamEvent[]): Promise<StoredEvent[]> {
    return this.appendSync(events);
  }

  appendSync(events: CamEvent[]): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const e of events) {
      if (this.hasEvent(e.id)) continue;
      const row = { seq: ++this.seq, event: e, body: serializeEvent(e, this.site), stored_at: this.clock.now() };
      this.rows.push(row);
      out.push(row);
    }
    return out;
  }

  hasEvent(id: string): boolean {
    return this.rows.some((r) => r.event.id === id);
  }
  query(): StoredEvent[] {
    return this.rows.slice();
  }
  quarantine(): void {
    throw new Error('not in memory store');
  }
  listQuarantine(): never {
    throw new Error('not in memory store');
  }
  quarantineCount(): number {
    return 0;
  }
  registerSink(sink: string): void {
    if (!this.sinkState.has(sink)) this.sinkState.set(sink, { acked: new Set(), dead: new Map(), since: this.seq });
  }
  private st(sink: string) {
    const s = this.sinkState.get(sink);
    if (!s) throw new Error(`unknown sink ${sink}`);
    return s;
  }
  pending(sink: string, limit: number, afterSeq?: number): StoredEvent[] {
    const s = this.st(sink);
    return this.rows
      .filter((r) => r.seq > s.since && r.seq > (afterSeq ?? 0) && !s.acked.has(r.seq) && !s.dead.has(r.seq))
      .slice(0, limit);
  }
  ack(sink: string, seqs: number[]): void {
    const s = this.st(sink);
    for (const q of seqs) s.acked.add(q);
  }
  deadLetter(sink: string, seq: number, reason: string): void {
    this.st(sink).dead.set(seq, { reason, at: this.clock.now() });
  }
  listDeadLetters(sink: string) {
    const s = this.st(sink);
    return [...s.dead.entries()].map(([seq, d]) => ({ seq, reason: d.reason, at: d.at, event: this.rows.find((r) => r.seq === seq)!.event }));
  }
  replayDeadLetters(sink: string): number {
    const s = this.st(sink);
    const n = s.dead.size;
    s.dead.clear();
    return n;
  }
  purge(): number {
    return 0;
  }
  sinkStats(sink: string): SinkStats {
    const s = this.st(sink);
    const pend = this.pending(sink, Number.MAX_SAFE_INTEGER);
    return {
      sink,
      depth: pend.length,
      oldest_undelivered_ms: pend[0] ? this.clock.now() - pend[0].stored_at : null,
      dead_letters: s.dead.size,
      delivered: s.acked.size,
      dropped: 0,
    };
  }
  sinks(): string[] {
    return [...this.sinkState.keys()];
  }
  health() {
    return { open: true, writable: true, last_error: null, db_bytes: 0, wal_bytes: 0 };
  }
  close(): void {}
}
