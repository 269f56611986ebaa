import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { CamEvent } from '../../src/core/event.js';
import type { MqttSink } from '../../src/sinks/mqtt.js';
import type { OutputCommand } from '../../src/sinks/mqtt-topics.js';
import { startMosquitto, type MosquittoHandle } from '../harness/mosquitto.js';
import { makeEvent, sleep, until } from './fixtures.js';
import { openTestStore } from './store.js';
import { makeSink, mqttCfg, observer } from './mqtt-helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function broker(opts: { persistence?: boolean } = {}): Promise<MosquittoHandle> {
  const b = await startMosquitto(opts);
  cleanups.push(() => b.close());
  return b;
}
function track(sink: MqttSink): MqttSink {
  cleanups.push(() => sink.stop());
  return sink;
}
async function watch(url: string, filters: string[], opts = {}) {
  const o = await observer(url, filters, opts);
  cleanups.push(() => o.close());
  return o;
}
/** the real SQLite store; the sink is registered before anything is appended */
function mstore(site = 'test', clock?: ManualClock) {
  const s = openTestStore(site, ['mqtt'], clock);
  cleanups.push(() => s.close());
  return s.store;
}
const ids = (msgs: { payload: string }[]) => msgs.map((m) => (JSON.parse(m.payload) as { id: string }).id);

describe('MQTT sink against a real mosquitto', () => {
  for (const v of [4, 5] as const) {
    it(`publishes events at QoS 1 to {prefix}/events/{camera}/{type} with the exact stored bytes and acks on PUBACK (MQTT ${v === 4 ? '3.1.1' : '5'})`, async () => {
      const b = await broker();
      const store = mstore('site1');
      const obs = await watch(b.url, ['camrelay/site1/events/#']);
      const sink = track(makeSink(mqttCfg(b.url, { protocol_version: v }), store, { site: 'site1' }));
      const evs: CamEvent[] = [makeEvent({ camera: 'front', type: 'alarm.intrusion' }), makeEvent({ camera: 'back', type: 'alarm.lpr' })];
      const stored = await store.append(evs);
      await sink.start();
      await until(() => obs.msgs.length >= 2, 10_000, 'two events');
      expect(obs.msgs.map((m) => m.topic)).toEqual(['camrelay/site1/events/front/alarm.intrusion', 'camrelay/site1/events/back/alarm.lpr']);
      expect(obs.msgs.map((m) => m.payload)).toEqual(stored.map((s) => s.body));
      expect(obs.msgs.every((m) => !m.retain && m.qos === 1)).toBe(true);
      await until(() => store.sinkStats('mqtt').depth === 0, 5000, 'acks');
      expect(store.sinkStats('mqtt').delivered).toBe(2);
      expect(sink.status().connected).toBe(true);
    });
  }

  it('starts while the broker is down (start() resolves at once) and drains the backlog in order when it comes up', async () => {
    const b = await broker({ persistence: true });
    // observer with a persistent session parks messages while it is away
    const obs = await watch(b.url, ['camrelay/test/events/#'], { clean: false, clientId: 'obs-down-at-start' });
    await b.stop();
    const store = mstore();
    const stored = await store.append(Array.from({ length: 50 }, () => makeEvent()));
    const sink = track(makeSink(mqttCfg(b.url), store));
    const t0 = Date.now();
    await sink.start();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(sink.status().connected).toBe(false);
    await sleep(300);
    expect(sink.status().last_error).not.toBeNull();
    await b.start();
    await until(() => obs.msgs.length >= 50, 15_000, 'backlog');
    expect(ids(obs.msgs)).toEqual(stored.map((s) => s.event.id));
    await until(() => store.sinkStats('mqtt').depth === 0, 5000, 'acks');
  });

  it('broker stopped mid-stream, 1,000 events appended, broker restarted: all arrive once each, in order', async () => {
    const b = await broker({ persistence: true });
    const obs = await watch(b.url, ['camrelay/test/events/#'], { clean: false, clientId: 'obs-midstream' });
    const store = mstore();
    const sink = track(makeSink(mqttCfg(b.url, { max_inflight: 32 }), store));
    await sink.start();
    const first = await store.append(Array.from({ length: 20 }, () => makeEvent()));
    sink.notify();
    await until(() => obs.msgs.length >= 20, 10_000, 'first 20');
    await until(() => store.sinkStats('mqtt').depth === 0, 5000, 'first acks');
    await b.stop();
    await until(() => !sink.status().connected, 5000, 'sink sees the broker gone');
    const second = await store.append(Array.from({ length: 1000 }, () => makeEvent()));
    sink.notify();
    await sleep(200);
    expect(store.sinkStats('mqtt').depth).toBe(1000);
    await b.start();
    await until(() => obs.msgs.length >= 1020, 20_000, '1,020 events').catch((e) => {
      throw new Error(`${e.message}: got ${obs.msgs.length}, depth ${store.sinkStats('mqtt').depth}, ${JSON.stringify(sink.status())}`);
    });
    await until(() => store.sinkStats('mqtt').depth === 0, 10_000, 'all acked');
    await sleep(300); // a duplicate would show up here
    // The observer's own leg is at-least-once too: after a broker restart mosquitto may redeliver
    // (DUP flag) messages it had sent the observer before. Those are the broker's, not the sink's.
    const fresh = obs.msgs.filter((m) => !m.dup);
    const got = ids(fresh);
    expect(got).toEqual([...first, ...second].map((s) => s.event.id));
    // the 1,000 appended during the outage: each exactly once, counting every packet
    const secondIds = new Set(second.map((s) => s.event.id));
    const all = ids(obs.msgs).filter((id) => secondIds.has(id));
    expect(all).toEqual(second.map((s) => s.event.id));
    expect(sink.status().delivered).toBe(1020);
  });

  it('dead-letters events older than max_age_s instead of replaying them (MQTT 5 sets messageExpiryInterval)', async () => {
    const b = await broker();
    const clock = new ManualClock(Date.now());
    const store = mstore('test', clock);
    const old = await store.append([makeEvent(), makeEvent()]);
    clock.advance(61_000);
    const fresh = await store.append([makeEvent()]);
    const obs = await watch(b.url, ['camrelay/test/events/#'], { protocolVersion: 5 });
    const expiries: (number | undefined)[] = [];
    obs.client.on('message', (_t, _p, packet) => expiries.push(packet.properties?.messageExpiryInterval));
    const sink = track(makeSink(mqttCfg(b.url, { max_age_s: 60, protocol_version: 5 }), store, { clock }));
    await sink.start();
    await until(() => obs.msgs.length >= 1, 10_000, 'fresh event');
    await until(() => store.sinkStats('mqtt').depth === 0, 5000, 'queue empty');
    await sleep(200);
    expect(ids(obs.msgs)).toEqual([fresh[0]!.event.id]);
    const dead = store.listDeadLetters('mqtt');
    expect(dead.map((d) => d.seq).sort()).toEqual(old.map((o) => o.seq).sort());
    expect(dead[0]!.reason).toMatch(/max_age/);
    expect(expiries[0]).toBeGreaterThan(0);
    expect(expiries[0]).toBeLessThanOrEqual(60);
  });

  it('publishes retained availability/state topics, re-publishes them on reconnect and on homeassistant/status online', async () => {
    const b = await broker(); // no persistence: retained messages vanish with a restart
    const store = mstore('s2');
    const inventory = () => ({
      cameras: [{ id: 'cam1', name: 'Gate', online: true, last_seen: null, clock_skew_s: null }],
      zones: [{ id: 'drive', presence: true, count: 2, since: '2026-01-15T12:00:00.000Z', source: 'traject' }],
      outputs: [{ id: 'relay1', state: 'ON' as const, mode: 'auto' as const, reason: 'rule gate', available: true, since: '2026-01-15T12:00:00.000Z' }],
    });
    const sink = track(makeSink(mqttCfg(b.url), store, { site: 's2', inventory }));
    await sink.start();
    await until(() => sink.status().connected, 5000, 'connect');
    await sleep(200);
    const check = async () => {
      const o = await observer(b.url, ['camrelay/s2/#']);
      try {
        await until(() => o.msgs.filter((m) => m.retain).length >= 5, 5000, 'retained state');
        const by = new Map(o.msgs.map((m) => [m.topic, m]));
        expect(by.get('camrelay/s2/availability')?.payload).toBe('online');
        expect(by.get('camrelay/s2/cameras/cam1/availability')?.payload).toBe('online');
        expect(JSON.parse(by.get('camrelay/s2/zones/drive/state')!.payload)).toEqual({ presence: true, count: 2, since: '2026-01-15T12:00:00.000Z' });
        expect(JSON.parse(by.get('camrelay/s2/outputs/relay1/state')!.payload)).toEqual({ state: 'ON', mode: 'auto', reason: 'rule gate' });
        expect(by.get('camrelay/s2/zones/drive/state')!.retain).toBe(true);
      } finally {
        await o.close();
      }
    };
    await check();
    // live updates
    const live = await watch(b.url, ['camrelay/s2/zones/#']);
    await sleep(100);
    live.msgs.length = 0;
    sink.publishZone({ id: 'drive', presence: false, count: 0, since: '2026-01-15T12:05:00.000Z', source: 'traject' });
    await until(() => live.msgs.length >= 1, 5000, 'zone update');
    expect(JSON.parse(live.msgs[0]!.payload)).toMatchObject({ presence: false, count: 0 });
    await live.close();
    // broker restart wipes retained messages: the sink re-publishes them on reconnect
    await b.stop();
    await until(() => !sink.status().connected, 5000, 'disconnect');
    await b.start();
    await until(() => sink.status().connected, 10_000, 'reconnect');
    await sleep(200);
    const o2 = await watch(b.url, ['camrelay/s2/zones/#']);
    await until(() => o2.msgs.length >= 1, 5000, 'zone after reconnect');
    // the newest state known to the sink survives (inventory says presence true again: inventory wins at connect)
    expect(o2.msgs[0]!.retain).toBe(true);
    // HA announces itself: state is sent again (live, non-retained delivery to an existing subscriber)
    o2.msgs.length = 0;
    await o2.client.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await until(() => o2.msgs.length >= 1, 5000, 're-publish on HA online');
    expect(o2.msgs[0]!.topic).toBe('camrelay/s2/zones/drive/state');
  });

  it('publishes Home Assistant discovery for zones, cameras, outputs and buffer depth', async () => {
    const b = await broker();
    const store = mstore('s3');
    await store.append([makeEvent()]);
    const sink = track(
      makeSink(mqttCfg(b.url, { discovery: { prefix: 'ha' } }), store, {
        site: 's3',
        inventory: () => ({
          cameras: [{ id: 'cam1', name: 'Gate', online: null, last_seen: null, clock_skew_s: null }],
          zones: [{ id: 'drive', presence: false, count: 0, since: null, source: 'traject' }],
          outputs: [{ id: 'relay1', state: 'OFF', mode: 'auto', reason: 'idle', available: true, since: '2026-01-15T12:00:00.000Z' }],
        }),
      }),
    );
    await sink.start();
    await until(() => sink.status().connected, 5000, 'connected');
    await sleep(300); // subscribe after the publishes so they come back as retained messages
    const o = await watch(b.url, ['ha/#', 'camrelay/s3/buffer']);
    await until(() => o.msgs.filter((m) => m.topic.startsWith('ha/')).length >= 4, 5000, 'discovery');
    const cfgs = o.msgs.filter((m) => m.topic.startsWith('ha/')).map((m) => ({ topic: m.topic, retain: m.retain, c: JSON.parse(m.payload) as Record<string, any> }));
    expect(cfgs.every((c) => c.retain)).toBe(true);
    const zone = cfgs.find((c) => c.c.device_class === 'occupancy')!;
    expect(zone.topic).toMatch(/^ha\/binary_sensor\/.+\/config$/);
    expect(zone.c.state_topic).toBe('camrelay/s3/zones/drive/state');
    expect(zone.c.value_template).toContain('value_json.presence');
    expect(zone.c.availability_topic).toBe('camrelay/s3/availability');
    const cam = cfgs.find((c) => c.c.device_class === 'connectivity')!;
    expect(cam.c.state_topic).toBe('camrelay/s3/cameras/cam1/availability');
    expect(cam.c.device.name).toBe('Gate');
    expect(cam.c.device.via_device).toBe('camrelay_s3');
    const sw = cfgs.find((c) => c.topic.startsWith('ha/switch/'))!;
    expect(sw.c.command_topic).toBe('camrelay/s3/outputs/relay1/set');
    expect(sw.c.state_topic).toBe('camrelay/s3/outputs/relay1/state');
    expect(sw.c.device.identifiers).toEqual(['camrelay_s3']);
    const depth = cfgs.find((c) => c.topic.startsWith('ha/sensor/'))!;
    expect(depth.c.state_topic).toBe('camrelay/s3/buffer');
    const uniq = new Set(cfgs.map((c) => c.c.unique_id));
    expect(uniq.size).toBe(cfgs.length);
    await until(() => o.msgs.some((m) => m.topic === 'camrelay/s3/buffer'), 5000, 'buffer topic');
    const buf = JSON.parse(o.msgs.find((m) => m.topic === 'camrelay/s3/buffer')!.payload);
    expect(typeof buf.depth).toBe('number');
  });

  for (const v of [4, 5] as const) {
    it(`hands valid output commands to onCommand, ignores retained and invalid ones (MQTT ${v === 4 ? '3.1.1' : '5'})`, async () => {
      const b = await broker();
      const store = mstore();
      const pub = await watch(b.url, []);
      // a stale retained ON sits on the broker before the sink connects
      await pub.client.publishAsync('camrelay/test/outputs/stale/set', 'ON', { qos: 1, retain: true });
      const cmds: [string, OutputCommand][] = [];
      const sink = track(makeSink(mqttCfg(b.url, { protocol_version: v }), store, { onCommand: (id, c) => cmds.push([id, c]) }));
      await sink.start();
      await until(() => sink.status().connected, 5000, 'connect');
      await sleep(300);
      await pub.client.publishAsync('camrelay/test/outputs/relay1/set', 'ON', { qos: 1 });
      await pub.client.publishAsync('camrelay/test/outputs/relay1/set', 'BLINK', { qos: 1 });
      await pub.client.publishAsync('camrelay/test/outputs/relay1/set', '{"state":"ON","for_s":-3}', { qos: 1 });
      await pub.client.publishAsync('camrelay/test/outputs/relay2/set', '{"state":"ON","for_s":30}', { qos: 1 });
      await pub.client.publishAsync('camrelay/test/outputs/relay2/set', 'auto', { qos: 1 });
      await pub.client.publishAsync('camrelay/test/outputs/relay1/set', 'OFF', { qos: 1 });
      await until(() => cmds.length >= 4, 5000, 'commands');
      await sleep(200);
      expect(cmds).toEqual([
        ['relay1', { state: 'on' }],
        ['relay2', { state: 'on', for_s: 30 }],
        ['relay2', { state: 'auto' }],
        ['relay1', { state: 'off' }],
      ]);
    });
  }

  it('the broker publishes the LWT `offline` when the client dies, and the sink comes back `online`', async () => {
    const b = await broker();
    const store = mstore();
    const sink = track(makeSink(mqttCfg(b.url), store));
    await sink.start();
    await until(() => sink.status().connected, 5000, 'connect');
    const o = await watch(b.url, ['camrelay/test/availability']);
    await until(() => o.msgs.length >= 1, 5000, 'retained availability');
    expect(o.msgs[0]!.payload).toBe('online');
    // kill the TCP connection without an MQTT DISCONNECT
    (sink as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    await until(() => o.msgs.some((m) => m.payload === 'offline'), 5000, 'LWT');
    const i = o.msgs.findIndex((m) => m.payload === 'offline');
    await until(() => o.msgs.slice(i).some((m) => m.payload === 'online'), 10_000, 'back online');
  });

  it('images: true publishes the image files of a delivered event (retained, per camera and kind)', async () => {
    const b = await broker();
    const imagesDir = mkdtempSync(join(tmpdir(), 'camrelay-img-'));
    cleanups.push(() => rmSync(imagesDir, { recursive: true, force: true }));
    mkdirSync(join(imagesDir, 'd'));
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 9, 9, 0xff, 0xd9]);
    writeFileSync(join(imagesDir, 'd', 'o.jpg'), jpeg);
    const store = mstore();
    const sink = track(makeSink(mqttCfg(b.url, { images: true }), store, { imagesDir }));
    const o = await watch(b.url, ['camrelay/test/cameras/+/image/#']);
    await store.append([
      makeEvent({
        camera: 'gate',
        data: {
          camera: 'gate',
          received_at: '2026-01-15T12:00:00.000Z',
          images: [
            { kind: 'overview', file: 'd/o.jpg', valid: true },
            { kind: 'target', file: 'd/missing.jpg', valid: true },
            { kind: 'plate', file: '../../etc/passwd', valid: true },
          ],
        },
      }),
    ]);
    await sink.start();
    await until(() => o.msgs.length >= 1, 5000, 'image');
    await sleep(200);
    expect(o.msgs.map((m) => m.topic)).toEqual(['camrelay/test/cameras/gate/image/overview']);
    const raw: Buffer[] = [];
    const o2 = await watch(b.url, []);
    o2.client.on('message', (_t, p) => raw.push(p));
    await o2.client.subscribeAsync('camrelay/test/cameras/gate/image/overview', { qos: 0 });
    await until(() => raw.length >= 1, 5000, 'retained image');
    expect(raw[0]).toEqual(jpeg);
  });

  it('stop() publishes a retained `offline` and closes', async () => {
    const b = await broker();
    const store = mstore();
    const sink = makeSink(mqttCfg(b.url), store);
    await sink.start();
    await until(() => sink.status().connected, 5000, 'connect');
    await sink.stop();
    expect(sink.status().connected).toBe(false);
    const o = await watch(b.url, ['camrelay/test/availability']);
    await until(() => o.msgs.length >= 1, 5000, 'retained availability');
    expect(o.msgs[0]).toMatchObject({ payload: 'offline', retain: true });
  });
});
