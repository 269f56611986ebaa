import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import type { SqliteStore } from '../../src/storage/sqlite-store.js';
import { ev, newStore, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let store: SqliteStore;
let clock: ManualClock;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => {
  store?.close();
  t.cleanup();
});

const PAD = 2000; // each event stores ~4 KB (event JSON + CloudEvent body)

describe('max_db_mb', () => {
  it('evicts fully delivered events first and leaves undelivered ones alone when that is enough', async () => {
    ({ store, clock } = newStore(t.dir, { max_db_mb: 1 }));
    store.registerSink('mqtt');
    store.registerSink('hook');
    const s = await store.append(Array.from({ length: 400 }, () => ev({}, PAD)));
    const delivered = s.slice(0, 300).map((x) => x.seq);
    store.ack('mqtt', delivered);
    store.ack('hook', delivered);
    // delivered to one sink only: still undelivered
    store.ack('mqtt', s.slice(300, 310).map((x) => x.seq));

    const r = store.maintain(clock.now());
    expect(r.evicted_delivered).toBeGreaterThan(0);
    expect(r.dropped).toEqual({});
    expect(store.pending('hook', 1000).length).toBe(100);
    expect(store.pending('mqtt', 1000).length).toBe(90);
    expect(store.sinkStats('hook').dropped).toBe(0);
    // oldest delivered went first
    const left = store.query({ limit: 1000 }).map((x) => x.seq);
    expect(left).not.toContain(s[0]!.seq);
    expect(Math.min(...left)).toBeGreaterThan(s[0]!.seq);
  });

  it('then drops the oldest undelivered events, counted per sink', async () => {
    ({ store, clock } = newStore(t.dir, { max_db_mb: 1 }));
    store.registerSink('mqtt');
    store.registerSink('hook');
    const s = await store.append(Array.from({ length: 400 }, () => ev({}, PAD)));
    store.ack('mqtt', s.slice(0, 20).map((x) => x.seq));
    store.deadLetter('hook', s[1]!.seq, 'gone');

    const r = store.maintain(clock.now());
    const hookDropped = r.dropped.hook ?? 0;
    expect(hookDropped).toBeGreaterThan(0);
    expect(r.dropped.mqtt).toBe(hookDropped - 20);
    expect(store.sinkStats('hook').dropped).toBe(hookDropped);
    expect(store.sinkStats('mqtt').dropped).toBe(hookDropped - 20);
    const pend = store.pending('hook', 1000);
    expect(pend.length).toBe(400 - hookDropped);
    // the oldest went; what is left is the newest, still in order
    expect(pend[0]!.seq).toBe(s[hookDropped]!.seq);
    expect(pend.at(-1)!.seq).toBe(s[399]!.seq);
    expect(store.listDeadLetters('hook')).toEqual([]);
    // a second run has nothing to do
    expect(store.maintain(clock.now())).toMatchObject({ evicted_delivered: 0, dropped: {}, expired: 0 });
  });

  it('is cheap when under the bound: nothing removed', async () => {
    ({ store, clock } = newStore(t.dir, { max_db_mb: 10 }));
    store.registerSink('mqtt');
    await store.append(Array.from({ length: 50 }, () => ev({}, PAD)));
    expect(store.maintain(clock.now())).toEqual({ expired: 0, evicted_delivered: 0, dropped: {}, checkpointed: false, recovered: false });
    expect(store.sinkStats('mqtt').depth).toBe(50);
  });
});

describe('max_event_age_days', () => {
  it('removes events stored before the cutoff and counts undelivered ones as dropped', async () => {
    ({ store, clock } = newStore(t.dir, { max_event_age_days: 1 }));
    store.registerSink('mqtt');
    const old = await store.append([ev(), ev(), ev()]);
    store.ack('mqtt', [old[0]!.seq]);
    const t0 = clock.now();
    expect(store.maintain(t0 + 86_400_000)).toMatchObject({ expired: 0 });
    clock.advance(2 * 86_400_000);
    const fresh = await store.append([ev()]);
    const r = store.maintain(clock.now());
    expect(r.expired).toBe(3);
    expect(r.dropped).toEqual({ mqtt: 2 });
    expect(store.sinkStats('mqtt')).toMatchObject({ depth: 1, dropped: 2, delivered: 1 });
    expect(store.query({}).map((x) => x.seq)).toEqual([fresh[0]!.seq]);
  });
});

describe('WAL checkpoint', () => {
  it('truncates the WAL once it passes wal_checkpoint_mb', async () => {
    ({ store, clock } = newStore(t.dir, { wal_checkpoint_mb: 1 }));
    await store.append(Array.from({ length: 250 }, () => ev({}, 4000)));
    expect(store.health().wal_bytes).toBeGreaterThan(1024 * 1024);
    const r = store.maintain(clock.now());
    expect(r.checkpointed).toBe(true);
    expect(store.health().wal_bytes).toBe(0);
  });
});
