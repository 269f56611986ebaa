import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Client } from 'undici';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CamEvent } from '../../src/core/event.js';
import { validateConfig } from '../../src/config/load.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import { WebhookSink } from '../../src/sinks/webhook.js';
import { openStore } from '../../src/storage/sqlite-store.js';
import { startMosquitto } from '../../test/harness/mosquitto.js';
import { startReceiver } from '../../test/harness/http-receiver.js';
import { fmt, median, table } from './stats.js';

const N = Number(process.env.BENCH_DRAIN_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function event(i: number): CamEvent {
  const t = new Date(Date.UTC(2026, 10, 1) + i * 10).toISOString();
  return {
    id: `bench-${i.toString().padStart(8, '0')}`,
    type: 'alarm.intrusion',
    camera: `cam${i % 64}`,
    time: t,
    data: { camera: `cam${i % 64}`, received_at: t, rule: '1', targets: [{ id: String(i), class: 'person', box: { x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.6 } }] },
  };
}

async function filledStore(sink: string) {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-drain-'));
  const cfg = validateConfig({ storage: { data_dir: dir, durability: 'normal' } }).config;
  const store = openStore(cfg.storage, { logger: silentLogger(), clock: systemClock, site: 'bench' });
  store.registerSink(sink);
  for (let i = 0; i < N; i += 5000) await store.append(Array.from({ length: Math.min(5000, N - i) }, (_, j) => event(i + j)));
  return store;
}

async function waitDrained(store: ReturnType<typeof openStore>, sink: string, timeoutMs = 300_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  // As in the daemon (src/daemon/ticker.ts): maintenance every 5 s keeps the WAL checkpointed while acks pour in.
  const maintain = setInterval(() => store.maintain(Date.now()), 5000);
  try {
    while (store.sinkStats(sink).depth > 0) {
      if (Date.now() > end) throw new Error(`drain timed out with ${store.sinkStats(sink).depth} left`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    clearInterval(maintain);
  }
}

/** Bare mqtt.js publishing the same bodies at QoS 1 with the same in-flight window (no store). */
async function bareMqtt(url: string, bodies: string[], window: number): Promise<number> {
  const c = await mqtt.connectAsync(url, { clientId: `bench-bare-${process.pid}`, reconnectPeriod: 0 });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < bodies.length) {
        const i = next++;
        await c.publishAsync(`bench/bare/${i % 64}`, bodies[i]!, { qos: 1 });
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await c.endAsync();
  return s;
}

async function bareWebhook(url: string, bodies: string[]): Promise<number> {
  const u = new URL(url);
  const client = new Client(u.origin);
  const t0 = performance.now();
  for (const b of bodies) {
    const r = await client.request({ path: u.pathname, method: 'POST', body: b, headers: { 'content-type': 'application/json' } });
    await r.body.dump();
  }
  const s = (performance.now() - t0) / 1000;
  await client.close();
  return s;
}

export async function benchDrain(): Promise<string> {
  const broker = await startMosquitto();
  const receiver = await startReceiver(() => ({ status: 204 }));
  receiver.requests.length = 0;
  const res = { mqtt: [] as number[], mqttBare: [] as number[], hook: [] as number[], hookBare: [] as number[] };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // MQTT through the store
      const store = await filledStore('mqtt');
      const bodies = store.pending('mqtt', N).map((e) => e.body);
      const cfg = validateConfig({ mqtt: { url: broker.url, max_inflight: 64, discovery: { enabled: false } } }).config;
      const sink = new MqttSink(cfg.mqtt!, {
        store,
        logger: silentLogger(),
        clock: systemClock,
        site: 'bench',
        inventory: () => ({ cameras: [], zones: [], outputs: [] }),
        onCommand: () => undefined,
      });
      const t0 = performance.now();
      await sink.start();
      sink.notify();
      await waitDrained(store, 'mqtt');
      res.mqtt.push((performance.now() - t0) / 1000);
      await sink.stop();
      store.close();
      res.mqttBare.push(await bareMqtt(broker.url, bodies, 64));

      // Webhook through the store (one endpoint, strict order, one request per event)
      const hstore = await filledStore('webhook:bench');
      const hbodies = hstore.pending('webhook:bench', N).map((e) => e.body);
      const hcfg = validateConfig({ webhooks: [{ id: 'bench', url: receiver.url + '/hook', secret: 'whsec_' + Buffer.from('benchsecretbenchsecret').toString('base64') }] }).config;
      const hsink = new WebhookSink(hcfg.webhooks[0]!, { store: hstore, logger: silentLogger(), clock: systemClock, site: 'bench', imagesDir: tmpdir() });
      const t1 = performance.now();
      await hsink.start();
      hsink.notify();
      await waitDrained(hstore, 'webhook:bench');
      res.hook.push((performance.now() - t1) / 1000);
      await hsink.stop();
      hstore.close();
      receiver.requests.length = 0;
      res.hookBare.push(await bareWebhook(receiver.url + '/hook', hbodies));
      receiver.requests.length = 0;
    }
  } finally {
    await receiver.close();
    await broker.close();
  }
  const rate = (s: number[]) => N / median(s);
  return table([
    ['backlog drain', 'events', 'median s', 'events/s', 'baseline', 'baseline events/s', 'ratio'],
    ['camrelay MQTT sink → mosquitto QoS 1', N, fmt(median(res.mqtt), 2), fmt(rate(res.mqtt)), 'bare mqtt.js QoS 1, 64 in flight', fmt(rate(res.mqttBare)), fmt(rate(res.mqtt) / rate(res.mqttBare), 2) + '×'],
    ['camrelay webhook sink → local receiver', N, fmt(median(res.hook), 2), fmt(rate(res.hook)), 'bare undici, one at a time', fmt(rate(res.hookBare)), fmt(rate(res.hook) / rate(res.hookBare), 2) + '×'],
  ]) + `\n(${ROUNDS} rounds, medians; target: ${N} events to MQTT in ≤ 30 s)`;
}
