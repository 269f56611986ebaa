import { afterEach, describe, expect, it } from 'vitest';
import { deriveEventId } from '../../src/sources/index.js';
import { counterValue, startHarness, turingSignature, type Harness } from './helpers.js';
import { turingPeopleBase, videodbAlert } from './payloads.js';

const SECRET = 'turing-shared-secret-42';
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('storage states', () => {
  it('answers 503 with Retry-After when storage is unavailable, and stores nothing', async () => {
    h = await startHarness([{ id: 'vdb', kind: 'videodb' }]);
    h.store.close(); // a closed store rejects appends with StorageUnavailable
    const r = await h.post('/hooks/vdb', JSON.stringify(videodbAlert));
    expect(r.status).toBe(503);
    expect(h.ruled).toHaveLength(0);
    expect(h.committed).toHaveLength(0);
    expect(await counterValue(h.metrics, 'camrelay_hook_posts_total', { source: 'vdb', result: 'storage_unavailable' })).toBe(1);
  });

  it('turing: storage slower than 900 ms gets a 503 the platform retries; the late commit still reaches rules once and the retry is a duplicate', async () => {
    // group_commit_ms 1000 holds every append ~1 s: slower than Turing's answer budget.
    h = await startHarness([{ id: 'turing', kind: 'turing', secret: SECRET }], { storage: { group_commit_ms: 1000 } });
    const raw = JSON.stringify(turingPeopleBase);
    const headers = { 'x-turingvideo-signature': turingSignature(raw, SECRET) };
    const first = await h.post('/hooks/turing', raw, headers);
    expect(first.status).toBe(503);
    expect(first.json.error).toMatch(/retry/);
    const id = deriveEventId('turing', turingPeopleBase.event_id, 'base');
    const harness = h;
    await waitFor(() => harness.store.hasEvent(id));
    await waitFor(() => harness.ruled.length === 1);
    expect(h.committed.map((e) => e.id)).toEqual([id]);
    const retry = await h.post('/hooks/turing', raw, headers);
    expect(retry.status).toBe(200);
    expect(retry.json.status).toBe('duplicate');
    expect(h.ruled).toHaveLength(1);
  });
});
