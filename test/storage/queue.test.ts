import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeEvent } from '../../src/core/event.js';
import type { SqliteStore } from '../../src/storage/sqlite-store.js';
import { ev, newStore, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(() => {
  t = tempDir();
  store = newStore(t.dir).store;
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('append', () => {
  it('stores events in order with the CloudEvent body and skips ids already stored', async () => {
    store.registerSink('mqtt');
    const a = ev();
    const b = ev();
    const first = await store.append([a, b]);
    expect(first.map((s) => s.event.id)).toEqual([a.id, b.id]);
    expect(first[1]!.seq).toBeGreaterThan(first[0]!.seq);
    expect(first[0]!.body).toBe(serializeEvent(a, 'site1'));
    expect(JSON.parse(first[0]!.body).source).toBe('camrelay://site1/cam1');

    const c = ev();
    const second = await store.append([a, c, c]);
    expect(second.map((s) => s.event.id)).toEqual([c.id]);
    expect(store.hasEvent(a.id)).toBe(true);
    expect(store.hasEvent('nope')).toBe(false);
    expect(store.pending('mqtt', 10).map((s) => s.event.id)).toEqual([a.id, b.id, c.id]);
    expect(store.counts().deduped).toBe(2);
  });

  it('survives a reopen with the same contents', async () => {
    store.registerSink('mqtt');
    const a = ev();
    await store.append([a]);
    store.close();
    store = newStore(t.dir).store;
    expect(store.pending('mqtt', 10).map((s) => s.event)).toEqual([a]);
    expect((await store.append([a])).length).toBe(0);
  });

  it('many concurrent append() calls share few transactions (group commit)', async () => {
    store.close();
    store = newStore(t.dir, { group_commit_ms: 5 }).store;
    const before = store.counts().group_commits;
    const results = await Promise.all(Array.from({ length: 100 }, () => store.append([ev()])));
    expect(results.every((r) => r.length === 1)).toBe(true);
    const commits = store.counts().group_commits - before;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(3);
    const seqs = results.map((r) => r[0]!.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it('a large batch commits at once without waiting for the window', async () => {
    store.close();
    store = newStore(t.dir, { group_commit_ms: 1000 }).store;
    const p = store.append(Array.from({ length: 300 }, () => ev()));
    // flushed synchronously inside append(): the commit already happened
    expect(store.counts().group_commits).toBe(1);
    expect((await p).length).toBe(300);
  });

  it('concurrent appends of the same id in one group store it once; hasEvent sees ids still in the group window', async () => {
    store.close();
    store = newStore(t.dir, { group_commit_ms: 50 }).store;
    const a = ev();
    const p1 = store.append([a]);
    const p2 = store.append([{ ...a }]);
    expect(store.hasEvent(a.id)).toBe(true);
    const [r1, r2] = await Promise.all([p1, p2]);
    expect(r1.map((s) => s.event.id)).toEqual([a.id]);
    expect(r2).toEqual([]);
    expect(store.counts()).toMatchObject({ group_commits: 1, appended: 1, deduped: 1 });
  });

  it('close() commits what is queued; append after close rejects', async () => {
    store.close();
    store = newStore(t.dir, { group_commit_ms: 1000 }).store;
    const a = ev();
    const p = store.append([a]);
    store.close();
    expect((await p).length).toBe(1);
    await expect(store.append([ev()])).rejects.toThrow(/closed/);
    store = newStore(t.dir).store;
    expect(store.hasEvent(a.id)).toBe(true);
  });

  it('query filters by camera/type/time and pages newest first', async () => {
    const evs = [ev({ camera: 'a' }), ev({ camera: 'b', type: 'alarm.motion' }), ev({ camera: 'a' })];
    const stored = await store.append(evs);
    expect(store.query({ camera: 'a' }).map((s) => s.event.id)).toEqual([evs[2]!.id, evs[0]!.id]);
    expect(store.query({ type: 'alarm.motion' }).map((s) => s.event.id)).toEqual([evs[1]!.id]);
    expect(store.query({ limit: 1, before: stored[2]!.seq }).map((s) => s.event.id)).toEqual([evs[1]!.id]);
    expect(store.query({ since: Date.parse(evs[1]!.time) }).length).toBe(2);
  });
});

describe('per-sink queues', () => {
  it('ack on one sink does not affect another; dead letters leave the queue; replay re-queues them', async () => {
    store.registerSink('mqtt');
    store.registerSink('hook');
    const s = await store.append([ev(), ev(), ev()]);
    const [x, y, z] = s.map((e) => e.seq) as [number, number, number];
    store.ack('mqtt', [x, y, z]);
    expect(store.pending('mqtt', 10)).toEqual([]);
    expect(store.pending('hook', 10).map((e) => e.seq)).toEqual([x, y, z]);

    store.deadLetter('hook', x, '400 bad request');
    expect(store.pending('hook', 10).map((e) => e.seq)).toEqual([y, z]);
    expect(store.pending('hook', 10, y).map((e) => e.seq)).toEqual([z]);
    const dead = store.listDeadLetters('hook');
    expect(dead).toEqual([{ seq: x, reason: '400 bad request', at: expect.any(Number), event: s[0]!.event }]);

    const st = store.sinkStats('hook');
    expect(st).toMatchObject({ sink: 'hook', depth: 2, dead_letters: 1, delivered: 0, dropped: 0 });
    expect(st.oldest_undelivered_ms).toBe(s[1]!.stored_at);
    expect(store.sinkStats('mqtt')).toMatchObject({ depth: 0, delivered: 3, oldest_undelivered_ms: null });

    expect(store.replayDeadLetters('hook')).toBe(1);
    expect(store.pending('hook', 10).map((e) => e.seq)).toEqual([x, y, z]);
    expect(store.sinks()).toEqual(['hook', 'mqtt']);
  });

  it('events appended before a sink registered are not queued for it', async () => {
    await store.append([ev()]);
    store.registerSink('late');
    const [b] = await store.append([ev()]);
    expect(store.pending('late', 10).map((e) => e.seq)).toEqual([b!.seq]);
  });

  it('purge empties one sink or all', async () => {
    store.registerSink('mqtt');
    store.registerSink('hook');
    const s = await store.append([ev(), ev()]);
    store.deadLetter('hook', s[0]!.seq, 'x');
    expect(store.purge('hook')).toBe(2);
    expect(store.sinkStats('hook')).toMatchObject({ depth: 0, dead_letters: 0 });
    expect(store.sinkStats('mqtt').depth).toBe(2);
    expect(store.purge(null)).toBe(2);
    expect(store.sinkStats('mqtt').depth).toBe(0);
    expect(store.query({}).length).toBe(2);
  });

  it('unregisterSink removes a sink and its backlog', async () => {
    store.registerSink('old');
    await store.append([ev()]);
    expect(store.unregisterSink('old')).toBe(1);
    expect(store.sinks()).toEqual([]);
  });
});

describe('quarantine', () => {
  it('keeps reason, source, kind, byte count and the first 64 KiB; bounded to the newest rows', async () => {
    store.close();
    store = newStore(t.dir, { quarantine_max_rows: 3 }).store;
    const big = Buffer.alloc(100_000, 0x41);
    store.quarantine({ reason: 'too large', source: '10.0.0.5', kind: 'viewtron', body: big });
    for (let i = 0; i < 4; i++) store.quarantine({ reason: `r${i}`, source: '10.0.0.6', kind: 'xml', body: Buffer.from(`<x>${i}`) });
    expect(store.quarantineCount()).toBe(3);
    const list = store.listQuarantine();
    expect(list.map((r) => r.reason)).toEqual(['r3', 'r2', 'r1']);
    expect(list[0]!.head.toString()).toBe('<x>3');

    store.close();
    store = newStore(t.dir, { quarantine_max_rows: 10 }).store;
    store.quarantine({ reason: 'too large', source: '10.0.0.5', kind: 'viewtron', body: big });
    const [rec] = store.listQuarantine(1);
    expect(rec).toMatchObject({ reason: 'too large', source: '10.0.0.5', kind: 'viewtron', bytes: 100_000 });
    expect(rec!.head.length).toBe(64 * 1024);
  });
});
