import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { startReceiver, type Receiver, type ReceiverResponse } from '../harness/http-receiver.js';
import { ipcAlarm } from '../builders/viewtron.js';
import { verifyStandardWebhook } from '../../src/sinks/signing.js';
import { KeepAliveConnection, runCli, sinkView, verifyWebhook } from './store-forward.helpers.js';

/**
 * One webhook endpoint through a storm: 500, then 429 + Retry-After: 1, then a hang past
 * timeout_ms, then 200 — and a 400 for one specific event. Real daemon, real HTTP.
 */
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const N = 10;
const POISON = 5; // the receiver refuses this event with 400
const TIMEOUT_MS = 400;

let rx: Receiver;
let d: DaemonHandle;
/** what the receiver answered, per request index */
const answered: number[] = [];
let accept = false;

const eventNo = (body: Buffer) => Number((JSON.parse(body.toString()) as { data: { event_id: string } }).data.event_id);

beforeAll(async () => {
  rx = await startReceiver((req, i): ReceiverResponse => {
    let r: ReceiverResponse;
    if (i === 0) r = { status: 500 };
    else if (i === 1) r = { status: 429, headers: { 'retry-after': '1' } };
    else if (i === 2) r = { hang: true };
    else if (eventNo(req.body) === POISON && !accept) r = { status: 400, body: 'we do not want this one' };
    else r = { status: 200 };
    answered[i] = r.hang ? 0 : (r.status ?? 200);
    return r;
  });
  d = await spawnDaemon({
    config: {
      cameras: [{ id: 'yard', mac: '58:5b:69:00:00:02' }],
      webhooks: [
        {
          id: 'hook',
          url: `${rx.url}/hook`,
          secret: SECRET,
          filter: { types: ['alarm.*'] },
          retry_schedule_s: [0, 0.2, 0.5],
          timeout_ms: TIMEOUT_MS,
          circuit_failures: 10,
        },
      ],
    },
  });
}, 60_000);

afterAll(async () => {
  await d?.stop('SIGKILL');
  await rx?.close();
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

describe('webhook storm (real daemon, real HTTP receiver)', () => {
  it('delivers every event in order through 500 / 429 Retry-After / timeout, signed per Standard Webhooks; a 400 dead-letters exactly that event', async () => {
    const c = new KeepAliveConnection(d.ingestPort);
    for (let n = 1; n <= N; n++) {
      const r = await c.post(ipcAlarm({ smartType: 'PEA', style: 'E2', mac: '58:5b:69:00:00:02', eventId: n, currentTimeUs: String(1774792701000000 + n * 1000) }));
      expect(r.status).toBe(200);
    }
    c.close();

    // N - 1 accepted + 1 refused + 3 failed attempts at the head
    await rx.waitFor(N + 3, 20_000);
    await expect.poll(async () => (await sinkView(d, 'webhook:hook')).depth, { timeout: 10_000 }).toBe(0);
    const reqs = rx.requests;
    expect(answered.slice(0, 3)).toEqual([500, 429, 0]);

    // the first three attempts were all the head event (ordered: nothing overtakes it)
    expect(reqs.slice(0, 4).map((r) => eventNo(r.body))).toEqual([1, 1, 1, 1]);
    // Retry-After: 1 was honoured (the schedule alone would have retried after ~0.5 s)
    expect(reqs[2]!.at - reqs[1]!.at).toBeGreaterThanOrEqual(950);
    // the hang was cut at timeout_ms, then retried on the schedule
    expect(reqs[3]!.at - reqs[2]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS);

    const accepted = reqs.filter((_, i) => answered[i] === 200);
    expect(accepted.map((r) => eventNo(r.body))).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(new Set(accepted.map((r) => r.headers['webhook-id'])).size).toBe(N - 1);
    expect(reqs.filter((_, i) => answered[i] === 400).map((r) => eventNo(r.body))).toEqual([POISON]);

    for (const r of reqs) {
      const body = r.body.toString();
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toBe((JSON.parse(body) as { id: string }).id);
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      // the receiver-side algorithm from docs/sinks.md, written from the spec
      expect(verifyWebhook(SECRET, r.headers, body)).toBe(true);
      // and the daemon's own verifier agrees
      expect(verifyStandardWebhook(SECRET, r.headers, body)).toBe(true);
      // a tampered body or a wrong key does not verify
      expect(verifyWebhook(SECRET, r.headers, body.replace('"camrelay.', '"camrelaY.'))).toBe(false);
      expect(verifyWebhook(`whsec_${randomBytes(24).toString('base64')}`, r.headers, body)).toBe(false);
    }
    // retries carry identical bytes and the same id (receivers dedupe on webhook-id)
    const head = reqs.slice(0, 4);
    expect(new Set(head.map((r) => r.body.toString())).size).toBe(1);
    expect(new Set(head.map((r) => r.headers['webhook-id'])).size).toBe(1);

    // exactly the refused event is a dead letter: admin API and CLI agree
    const view = await sinkView(d, 'webhook:hook');
    expect(view.dead_letters).toBe(1);
    const cli = await runCli(['queue', 'list', '--dead', '--json', '--config', d.configFile]);
    expect(cli.code, cli.stderr).toBe(0);
    const dead = JSON.parse(cli.stdout) as { sink: string; reason: string; event: { id: string; data: { event_id: string } } }[];
    expect(dead.map((x) => [x.sink, Number(x.event.data.event_id)])).toEqual([['webhook:hook', POISON]]);
    expect(dead[0]!.reason).toMatch(/400/);

    // the receiver is fixed; `camrelay queue replay` puts the dead letter back and the running daemon sends it
    accept = true;
    const replay = await runCli(['queue', 'replay', '--sink', 'webhook:hook', '--config', d.configFile]);
    expect(replay.code, replay.stderr).toBe(0);
    const seen = rx.requests.length;
    await rx.waitFor(seen + 1, 10_000);
    expect(eventNo(rx.requests[seen]!.body)).toBe(POISON);
    expect(answered[seen]).toBe(200);
    await expect.poll(async () => (await sinkView(d, 'webhook:hook')).dead_letters, { timeout: 5000 }).toBe(0);
  }, 60_000);
});

describe('410 Gone and independent endpoints (real daemon, two receivers)', () => {
  it('410 disables only that endpoint, its events stay queued and are delivered after a restart; the other endpoint gets everything meanwhile', async () => {
    let gone = true;
    const a = await startReceiver(() => (gone ? { status: 410 } : { status: 200 }));
    const b = await startReceiver(() => ({ status: 200 }));
    const config = {
      cameras: [{ id: 'yard', mac: '58:5b:69:00:00:02' }],
      webhooks: [
        { id: 'a', url: `${a.url}/a`, filter: { types: ['alarm.*'] }, retry_schedule_s: [0, 0.2] },
        { id: 'b', url: `${b.url}/b`, filter: { types: ['alarm.*'] }, retry_schedule_s: [0, 0.2] },
      ],
    };
    let d2 = await spawnDaemon({ config });
    try {
      const c = new KeepAliveConnection(d2.ingestPort);
      for (let n = 1; n <= 5; n++) {
        expect((await c.post(ipcAlarm({ smartType: 'PEA', style: 'E2', mac: '58:5b:69:00:00:02', eventId: n, currentTimeUs: String(1774792701000000 + n * 1000) }))).status).toBe(200);
      }
      c.close();
      await b.waitFor(5, 10_000);
      expect(b.requests.map((r) => eventNo(r.body))).toEqual([1, 2, 3, 4, 5]);
      await d2.waitForLog((l) => /410 Gone: endpoint disabled/.test(l.msg), 5000);
      await new Promise((r) => setTimeout(r, 800));
      expect(a.requests.length).toBe(1); // never called again
      const va = await sinkView(d2, 'webhook:a');
      expect(va.depth).toBe(5);
      expect(va.dead_letters).toBe(0);
      expect(va.last_error).toMatch(/410/);
      expect((await sinkView(d2, 'webhook:b')).depth).toBe(0);

      // the operator fixes the endpoint and restarts: the queued events go out, in order
      gone = false;
      await d2.stop('SIGTERM');
      d2 = await spawnDaemon({ config, dir: d2.dir });
      await a.waitFor(6, 10_000);
      expect(a.requests.slice(1).map((r) => eventNo(r.body))).toEqual([1, 2, 3, 4, 5]);
      await expect.poll(async () => (await sinkView(d2, 'webhook:a')).depth, { timeout: 5000 }).toBe(0);
      expect(b.requests.length).toBe(5); // nothing re-sent to the endpoint that had them
    } finally {
      await d2.stop('SIGKILL');
      await a.close();
      await b.close();
      rmSync(d2.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
