import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookSchema } from '../../src/config/schema.js';
import type { CamEvent } from '../../src/core/event.js';
import { silentLogger } from '../../src/core/logger.js';
import { verifyStandardWebhook } from '../../src/sinks/signing.js';
import { WebhookSink } from '../../src/sinks/webhook.js';
import type { EventStore } from '../../src/storage/types.js';
import { freePort } from '../harness/mosquitto.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../harness/http-receiver.js';
import { makeEvent, sleep, until } from './fixtures.js';
import { openTestStore } from './store.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

function store(sinks: string[]) {
  const s = openTestStore('site1', sinks);
  cleanups.push(() => s.close());
  return s;
}
async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
}
function sink(st: EventStore, cfg: Record<string, unknown>, imagesDir = '/nonexistent') {
  const s = new WebhookSink(
    webhookSchema.parse({ id: 'hook', retry_schedule_s: [0, 0.05, 0.1], timeout_ms: 500, ...cfg }),
    { store: st, logger: silentLogger(), clock: { now: () => Date.now() }, site: 'site1', imagesDir },
  );
  cleanups.push(() => s.stop());
  return s;
}
const idOf = (r: ReceivedRequest) => (JSON.parse(r.body.toString()) as { id: string }).id;

/** An independent Standard Webhooks check, written from the spec (not using src/sinks/signing.ts). */
function independentVerify(secret: string, r: ReceivedRequest): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = String(r.headers['webhook-id']);
  const ts = String(r.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${r.body.toString('utf8')}`).digest('base64');
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

describe('webhook sink over real HTTP on 127.0.0.1 with the real SQLite store', () => {
  it('500, then 429 + Retry-After, then a hang past the timeout, then 200: every event arrives in order, signed', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    const script = [
      { status: 500 },
      { status: 429, headers: { 'retry-after': '1' } },
      { hang: true },
    ];
    rx.setBehaviour((_req, i) => script[i] ?? { status: 200 });
    const secret = newSecret();
    const s = sink(st, { url: `${rx.url}/hook`, secret, timeout_ms: 300 });
    const stored = await st.append([makeEvent(), makeEvent(), makeEvent()]);
    await s.start();
    await rx.waitFor(6, 10_000);
    await until(() => st.sinkStats('webhook:hook').depth === 0, 5000, 'all acked');
    await sleep(200);
    const reqs = rx.requests;
    const [a, b, c, d] = stored.map((x) => x.event.id);
    expect(reqs.map(idOf)).toEqual([a, a, a, a, b, c]);
    // the body is the stored event bytes, untouched
    expect(reqs[3]!.body.toString()).toBe(stored[0]!.body);
    expect(reqs[5]!.body.toString()).toBe(stored[2]!.body);
    expect(d).toBeUndefined();
    // Retry-After: 1 was honoured (the next attempt waited about a second, not the 50 ms schedule)
    expect(reqs[2]!.at - reqs[1]!.at).toBeGreaterThanOrEqual(900);
    for (const r of reqs) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toBe(idOf(r));
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(verifyStandardWebhook(secret, r.headers, r.body)).toBe(true);
      expect(independentVerify(secret, r)).toBe(true);
      // a tampered body or a wrong key must not verify
      expect(verifyStandardWebhook(secret, r.headers, Buffer.concat([r.body, Buffer.from(' ')]))).toBe(false);
      expect(verifyStandardWebhook(newSecret(), r.headers, r.body)).toBe(false);
    }
    expect(s.status()).toMatchObject({ delivered: 3, consecutive_failures: 0, disabled: false });
  });

  it('signs with every secret during rotation (space-separated v1 signatures)', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    const [oldS, newS] = [newSecret(), newSecret()];
    const s = sink(st, { url: rx.url, secrets: [oldS, newS] });
    await st.append([makeEvent()]);
    await s.start();
    const [r] = await rx.waitFor(1);
    expect(String(r!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(independentVerify(oldS, r!)).toBe(true);
    expect(independentVerify(newS, r!)).toBe(true);
    expect(verifyStandardWebhook(newS, r!.headers, r!.body)).toBe(true);
  });

  it('a 400 dead-letters exactly that event; the queue moves on', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    const stored = await st.append([makeEvent(), makeEvent(), makeEvent()]);
    const bad = stored[1]!;
    rx.setBehaviour((req) => (idOf(req) === bad.event.id ? { status: 400, body: 'nope' } : { status: 204 }));
    const s = sink(st, { url: rx.url, secret: newSecret() });
    await s.start();
    await rx.waitFor(3);
    await until(() => st.sinkStats('webhook:hook').depth === 0, 5000, 'queue empty');
    expect(rx.requests.map(idOf)).toEqual(stored.map((x) => x.event.id));
    const dead = st.listDeadLetters('webhook:hook');
    expect(dead.map((x) => x.seq)).toEqual([bad.seq]);
    expect(dead[0]!.reason).toContain('400');
    expect(st.sinkStats('webhook:hook').delivered).toBe(2);
  });

  it('410 Gone disables the endpoint: no more requests, events stay queued, status says so', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    rx.setBehaviour(() => ({ status: 410 }));
    const s = sink(st, { url: rx.url });
    await st.append([makeEvent(), makeEvent()]);
    await s.start();
    await rx.waitFor(1);
    await until(() => s.status().disabled === true, 5000, 'disabled');
    await st.append([makeEvent()]);
    s.notify();
    await sleep(300);
    expect(rx.requests).toHaveLength(1);
    expect(st.sinkStats('webhook:hook').depth).toBe(3);
    expect(st.sinkStats('webhook:hook').dead_letters).toBe(0);
    expect(String(s.status().last_error)).toContain('410');
  });

  it('does not follow redirects: a 302 is a failure and the event stays queued', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    rx.setBehaviour((req) => (req.path === '/moved' ? { status: 200 } : { status: 302, headers: { location: '/moved' } }));
    const s = sink(st, { url: `${rx.url}/hook`, retry_schedule_s: [0, 0.2] });
    await st.append([makeEvent()]);
    await s.start();
    await rx.waitFor(2);
    await sleep(100);
    expect(rx.requests.every((r) => r.path === '/hook')).toBe(true);
    expect(st.sinkStats('webhook:hook').depth).toBe(1);
    expect(String(s.status().last_error)).toContain('302');
  });

  it('filter: only matching types and cameras are sent, the rest are acked as filtered', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    const s = sink(st, { url: rx.url, filter: { types: ['alarm.lpr', 'camrelay.presence.*'], cameras: ['gate'] } });
    const stored = await st.append([
      makeEvent({ camera: 'gate', type: 'alarm.lpr' }),
      makeEvent({ camera: 'gate', type: 'alarm.intrusion' }),
      makeEvent({ camera: 'yard', type: 'alarm.lpr' }),
      makeEvent({ camera: 'gate', type: 'presence.on' }),
    ]);
    await s.start();
    await until(() => st.sinkStats('webhook:hook').depth === 0, 5000, 'queue empty');
    await sleep(100);
    expect(rx.requests.map(idOf)).toEqual([stored[0]!.event.id, stored[3]!.event.id]);
    expect(s.status()).toMatchObject({ delivered: 2, filtered: 2 });
    expect(st.sinkStats('webhook:hook').dead_letters).toBe(0);
  });

  it('two endpoints: one dead (connection refused), the other keeps delivering everything in order', async () => {
    const { store: st } = store(['webhook:good', 'webhook:dead']);
    const rx = await receiver();
    const deadPort = await freePort();
    const good = sink(st, { id: 'good', url: rx.url });
    const dead = sink(st, { id: 'dead', url: `http://127.0.0.1:${deadPort}/x` });
    await good.start();
    await dead.start();
    const stored: { event: CamEvent }[] = [];
    for (let i = 0; i < 5; i++) {
      stored.push(...(await st.append([makeEvent(), makeEvent()])));
      good.notify();
      dead.notify();
      await sleep(20);
    }
    await rx.waitFor(10);
    await until(() => st.sinkStats('webhook:good').depth === 0, 5000, 'good drained');
    expect(rx.requests.map(idOf)).toEqual(stored.map((x) => x.event.id));
    expect(st.sinkStats('webhook:dead').depth).toBe(10);
    expect(dead.status().consecutive_failures).toBeGreaterThan(0);
    expect(String(dead.status().last_error)).toMatch(/ECONNREFUSED|connect/i);
  });

  it('max_age_s cuts retries short: the event goes to dead letters', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    rx.setBehaviour(() => ({ status: 503 }));
    const s = sink(st, { url: rx.url, max_age_s: 1, retry_schedule_s: [0, 0.1, 60] });
    const [e] = await st.append([makeEvent()]);
    await s.start();
    await until(() => st.sinkStats('webhook:hook').dead_letters === 1, 5000, 'dead letter');
    const dead = st.listDeadLetters('webhook:hook');
    expect(dead[0]!.seq).toBe(e!.seq);
    expect(dead[0]!.reason).toMatch(/max_age/);
    // the 60 s schedule step was cut to the remaining age: only a few attempts were made
    expect(rx.requests.length).toBeGreaterThanOrEqual(2);
    expect(rx.requests.length).toBeLessThan(10);
  });

  it('batches up to batch_max events as a JSON array of the stored bytes; an open circuit probes with one event', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    rx.setBehaviour((_r, i) => (i < 4 ? { status: 500 } : { status: 200 }));
    const secret = newSecret();
    const s = sink(st, { url: rx.url, secret, batch_max: 5, circuit_failures: 2, retry_schedule_s: [0, 0.05] });
    const stored = await st.append(Array.from({ length: 6 }, () => makeEvent()));
    await s.start();
    await until(() => st.sinkStats('webhook:hook').depth === 0, 10_000, 'drained');
    const sizes = rx.requests.map((r) => (JSON.parse(r.body.toString()) as unknown[]).length);
    // 2 failed batches of 5, circuit open: probes of 1 (2 fail, 1 succeeds), closed again: 5 remaining
    expect(sizes).toEqual([5, 5, 1, 1, 1, 5]);
    const last = rx.requests[rx.requests.length - 1]!;
    expect(last.body.toString()).toBe(`[${stored.slice(1).map((x) => x.body).join(',')}]`);
    expect(independentVerify(secret, last)).toBe(true);
    expect(s.status().circuit).toBe('closed');
  });

  it('a refused batch (4xx) is retried one by one so only the bad event is dead-lettered', async () => {
    const { store: st } = store(['webhook:hook']);
    const rx = await receiver();
    const stored = await st.append(Array.from({ length: 5 }, () => makeEvent()));
    const bad = stored[1]!;
    rx.setBehaviour((req) => (req.body.toString().includes(bad.event.id) ? { status: 422 } : { status: 200 }));
    const s = sink(st, { url: rx.url, batch_max: 3 });
    await s.start();
    await until(() => st.sinkStats('webhook:hook').depth === 0, 5000, 'drained');
    const bodies = rx.requests.map((r) => (JSON.parse(r.body.toString()) as { id: string }[]).map((e) => e.id));
    const ids = stored.map((x) => x.event.id);
    expect(bodies).toEqual([[ids[0], ids[1], ids[2]], [ids[0]], [ids[1]], [ids[2]], [ids[3], ids[4]]]);
    expect(st.listDeadLetters('webhook:hook').map((d) => d.seq)).toEqual([bad.seq]);
    expect(st.sinkStats('webhook:hook').delivered).toBe(4);
  });

  it('images: base64 embeds the referenced files from the images folder', async () => {
    const { store: st, dir } = store(['webhook:hook']);
    const imagesDir = join(dir, 'images');
    mkdirSync(join(imagesDir, '2026'), { recursive: true });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    writeFileSync(join(imagesDir, '2026', 'a.jpg'), jpeg);
    const rx = await receiver();
    const s = sink(st, { url: rx.url, images: 'base64' }, imagesDir);
    await st.append([
      makeEvent({
        data: {
          camera: 'cam1',
          received_at: '2026-01-15T12:00:00.000Z',
          images: [
            { kind: 'overview', file: '2026/a.jpg', bytes: jpeg.length, valid: true },
            { kind: 'target', file: '../../etc/passwd', valid: true },
          ],
        },
      }),
    ]);
    await s.start();
    const [r] = await rx.waitFor(1);
    const body = JSON.parse(r!.body.toString()) as { data: { images: { base64?: string; base64_error?: string }[] } };
    expect(Buffer.from(body.data.images[0]!.base64!, 'base64')).toEqual(jpeg);
    expect(body.data.images[1]!.base64).toBeUndefined();
    expect(body.data.images[1]!.base64_error).toMatch(/outside/);
  });
});
