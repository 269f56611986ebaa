import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/core/logger.js';
import { createSinks } from '../../src/sinks/index.js';
import { WebhookSink } from '../../src/sinks/webhook.js';
import { webhookSchema } from '../../src/config/schema.js';
import { startMosquitto } from '../harness/mosquitto.js';
import { startReceiver } from '../harness/http-receiver.js';
import { makePki, type TestPki } from './certs.js';
import { makeEvent, sleep, until } from './fixtures.js';
import { makeSink, mqttCfg, observer } from './mqtt-helpers.js';
import { openTestStore } from './store.js';

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.cleanup());

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
function later<T extends { close(): unknown } | { stop(): unknown }>(x: T): T {
  cleanups.push(() => ('close' in x ? x.close() : x.stop()));
  return x;
}
function store(sinks: string[], site = 'test') {
  return later(openTestStore(site, sinks)).store;
}

describe('MQTT security: TLS, client certificates, credentials, ACL rejections', () => {
  it('connects over TLS with a custom CA and a client certificate, and delivers', async () => {
    const b = later(
      await startMosquitto({ tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey, requireCertificate: true } }),
    );
    const st = store(['mqtt']);
    const tlsOpts = { ca: pki.read(pki.ca), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) };
    const obs = await observer(b.url, ['camrelay/test/events/#'], tlsOpts);
    cleanups.push(() => obs.close());
    const sink = later(makeSink(mqttCfg(b.url, { ca_file: pki.ca, cert_file: pki.clientCert, key_file: pki.clientKey }), st));
    const [e] = await st.append([makeEvent()]);
    await sink.start();
    await until(() => obs.msgs.length === 1, 10_000, 'event over TLS');
    expect(obs.msgs[0]!.payload).toBe(e!.body);
  });

  it('refuses a broker whose certificate is not signed by the configured CA', async () => {
    const b = later(await startMosquitto({ tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey } }));
    const st = store(['mqtt']);
    const sink = later(makeSink(mqttCfg(b.url, { ca_file: pki.otherCa }), st));
    await sink.start();
    await until(() => sink.status().last_error !== null, 5000, 'tls error');
    await sleep(300);
    expect(sink.status().connected).toBe(false);
    expect(String(sink.status().last_error)).toMatch(/certificate|self.signed|issuer/i);
  });

  it('username/password: right credentials connect, wrong ones do not', async () => {
    const b = later(await startMosquitto({ users: { relay: 'Right-Pass-1' } }));
    const st = store(['mqtt']);
    const bad = later(makeSink(mqttCfg(b.url, { username: 'relay', password: 'wrong', client_id: 'bad' }), st));
    await bad.start();
    await until(() => bad.status().last_error !== null, 5000, 'auth error');
    await sleep(200);
    expect(bad.status().connected).toBe(false);
    expect(String(bad.status().last_error)).toMatch(/not authori[sz]ed|bad user/i);
    const good = later(makeSink(mqttCfg(b.url, { username: 'relay', password: 'Right-Pass-1', client_id: 'good' }), st));
    await good.start();
    await until(() => good.status().connected, 5000, 'connected with credentials');
  });

  it('MQTT 5: an event the broker refuses (ACL deny: PUBACK 0x87, or mosquitto 2.0.11 dropping the connection) is dead-lettered, the others flow', async () => {
    const acl = [
      'topic readwrite camrelay/test/availability',
      'topic readwrite camrelay/test/buffer',
      'topic readwrite camrelay/test/events/cam1/#',
      'topic read camrelay/test/#',
      'topic readwrite homeassistant/#',
    ].join('\n');
    const b = later(await startMosquitto({ acl }));
    const st = store(['mqtt']);
    const obs = await observer(b.url, ['camrelay/test/events/#']);
    cleanups.push(() => obs.close());
    const sink = later(makeSink(mqttCfg(b.url, { protocol_version: 5 }), st));
    const stored = await st.append([makeEvent({ camera: 'cam1' }), makeEvent({ camera: 'cam2' }), makeEvent({ camera: 'cam1' })]);
    await sink.start();
    await until(() => st.sinkStats('mqtt').depth === 0, 5_000, 'queue settled').catch((e) => {
      throw new Error(`${e.message} ${JSON.stringify(sink.status())} ${JSON.stringify(st.sinkStats('mqtt'))} got ${obs.msgs.length}`);
    });
    await sleep(200);
    // at least once: a PUBACK lost with the connection means the innocent event may arrive twice (same id)
    const distinct = [...new Set(obs.msgs.map((m) => m.payload))];
    expect(distinct).toEqual([stored[0]!.body, stored[2]!.body]);
    const dead = st.listDeadLetters('mqtt');
    expect(dead.map((d) => d.seq)).toEqual([stored[1]!.seq]);
    expect(dead[0]!.reason).toMatch(/not authori[sz]ed|0x87|poison/i);
    expect(st.sinkStats('mqtt').delivered).toBe(2);
  });

  it('watchdog recreates the client when it stopped trying (fault injected: reconnect timer dropped)', async () => {
    const b = later(await startMosquitto());
    await b.stop();
    const st = store(['mqtt']);
    const sink = later(makeSink(mqttCfg(b.url), st));
    await sink.start();
    await until(() => sink.status().last_error !== null, 5000, 'first failure');
    await sleep(50);
    // simulate a lost timer: nothing would ever reconnect without the watchdog
    const priv = sink as unknown as { reconnectTimer: NodeJS.Timeout | null; connecting: boolean };
    await until(() => priv.reconnectTimer !== null, 5000, 'timer armed');
    clearTimeout(priv.reconnectTimer!);
    priv.reconnectTimer = null;
    await b.start();
    await until(() => sink.status().connected, 10_000, 'watchdog reconnect');
  });

  it('stop() waits for events in flight to be acked before closing', async () => {
    const b = later(await startMosquitto());
    const st = store(['mqtt']);
    const sink = makeSink(mqttCfg(b.url, { max_inflight: 100 }), st);
    await sink.start();
    await until(() => sink.status().connected, 5000, 'connected');
    await st.append(Array.from({ length: 300 }, () => makeEvent()));
    sink.notify();
    // catch the window while it is open (acks on localhost come back within milliseconds)
    for (let i = 0; i < 10_000 && sink.status().inflight === 0; i++) await new Promise((r) => setImmediate(r));
    expect(sink.status().inflight).toBeGreaterThan(0);
    await sink.stop();
    // whatever was handed to the broker was acked in the store; nothing in flight was abandoned
    expect(sink.status().inflight).toBe(0);
    expect(st.sinkStats('mqtt').delivered).toBe(sink.status().delivered);
    expect(st.sinkStats('mqtt').delivered + st.sinkStats('mqtt').depth).toBe(300);
  });
});

describe('webhook TLS', () => {
  it('verifies the endpoint certificate: ca_file makes a private CA work, without it the request fails', async () => {
    const rx = later(await startReceiver(undefined, { tls: { key: pki.read(pki.serverKey), cert: pki.read(pki.serverCert) } }));
    const st = store(['webhook:a', 'webhook:b']);
    const mk = (id: string, extra: Record<string, unknown>) =>
      later(
        new WebhookSink(webhookSchema.parse({ id, url: `${rx.url}/${id}`, retry_schedule_s: [0, 0.1], timeout_ms: 2000, ...extra }), {
          store: st,
          logger: silentLogger(),
          clock: { now: () => Date.now() },
          site: 'test',
          imagesDir: '/nonexistent',
        }),
      );
    const a = mk('a', { ca_file: pki.ca });
    const bSink = mk('b', {});
    await st.append([makeEvent()]);
    await a.start();
    await bSink.start();
    await rx.waitFor(1);
    await until(() => st.sinkStats('webhook:a').depth === 0, 5000, 'a delivered');
    await until(() => bSink.status().last_error !== null, 5000, 'b failed');
    expect(rx.requests.map((r) => r.path)).toEqual(['/a']);
    expect(String(bSink.status().last_error)).toMatch(/certificate|self.signed|issuer/i);
    expect(st.sinkStats('webhook:b').depth).toBe(1);
  });
});

describe('secrets stay out of the logs', () => {
  it('MQTT password, webhook secrets and URL credentials never appear in log lines', async () => {
    const { Writable } = await import('node:stream');
    const { pino } = await import('pino');
    let logs = '';
    const logger = pino({ level: 'trace' }, new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }));
    const b = later(await startMosquitto({ users: { relay: 'Sup3r-Secret-Pw' } }));
    const rx = later(await startReceiver(() => ({ status: 500 })));
    const st = store(['mqtt', 'webhook:w']);
    const secret = 'whsec_c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdA==';
    const { MqttSink } = await import('../../src/sinks/mqtt.js');
    const m = later(
      new MqttSink(mqttCfg(b.url.replace('mqtt://', 'mqtt://relay:Sup3r-Secret-Pw@'), { username: 'relay', password: 'wrong-Sup3r-Secret' }), {
        store: st,
        logger,
        clock: { now: () => Date.now() },
        site: 'test',
        inventory: () => ({ cameras: [], zones: [], outputs: [] }),
        onCommand: () => {},
        backoff: { minMs: 50, maxMs: 100 },
      }),
    );
    const w = later(
      new WebhookSink(
        webhookSchema.parse({ id: 'w', url: rx.url.replace('http://', 'http://user:Url-Pass-9@'), secret, retry_schedule_s: [0, 0.05], headers: { authorization: 'Bearer Header-Token-7' } }),
        { store: st, logger, clock: { now: () => Date.now() }, site: 'test', imagesDir: '/x' },
      ),
    );
    await st.append([makeEvent()]);
    await m.start();
    await w.start();
    await rx.waitFor(3);
    // credentials in the URL win over the options in mqtt.js: it connects and logs its (redacted) URL
    await until(() => m.status().connected || m.status().last_error !== null, 5000, 'mqtt connect attempt');
    expect(logs).toContain('***@127.0.0.1');
    await sleep(300);
    expect(logs.length).toBeGreaterThan(0);
    for (const s of ['Sup3r-Secret', 'c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdA', 'Url-Pass-9', 'Header-Token-7']) expect(logs).not.toContain(s);
  });
});

describe('createSinks', () => {
  it('builds the MQTT sink and one sink per webhook, registers their names, and fans events out', async () => {
    const b = later(await startMosquitto());
    const rx = later(await startReceiver());
    const st = store([], 'box1');
    const config = configSchema.parse({
      site: { id: 'box1' },
      mqtt: { url: b.url },
      webhooks: [
        { id: 'one', url: `${rx.url}/one` },
        { id: 'two', url: `${rx.url}/two`, filter: { types: ['alarm.lpr'] } },
      ],
    });
    const sinks = await createSinks(config, {
      store: st,
      logger: silentLogger(),
      clock: { now: () => Date.now() },
      imagesDir: '/nonexistent',
      inventory: () => ({ cameras: [], zones: [], outputs: [] }),
      onCommand: () => {},
    });
    cleanups.push(() => sinks.stop());
    expect(sinks.all.map((s) => s.name)).toEqual(['mqtt', 'webhook:one', 'webhook:two']);
    expect(st.sinks()).toEqual(expect.arrayContaining(['mqtt', 'webhook:one', 'webhook:two']));
    const obs = await observer(b.url, ['camrelay/box1/events/#']);
    cleanups.push(() => obs.close());
    await sinks.start();
    await st.append([makeEvent({ type: 'alarm.lpr' }), makeEvent({ type: 'alarm.motion' })]);
    sinks.notify();
    await rx.waitFor(3);
    await until(() => obs.msgs.length === 2, 5000, 'mqtt events');
    await until(() => sinks.status().every((s) => s.last_success_at !== null), 5000, 'statuses');
    expect(rx.requests.filter((r) => r.path === '/one')).toHaveLength(2);
    expect(rx.requests.filter((r) => r.path === '/two')).toHaveLength(1);
    await until(() => ['mqtt', 'webhook:one', 'webhook:two'].every((n) => st.sinkStats(n).depth === 0), 5000, 'all acked');
    // the filtered event is acked too (the store has no separate "skipped" state); the sink counts it apart
    expect(sinks.webhooks[1]!.status()).toMatchObject({ delivered: 1, filtered: 1 });
  });
});
