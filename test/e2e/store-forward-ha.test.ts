import { readFileSync, rmSync } from 'node:fs';
import { parse } from 'yaml';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { probeGpioSandbox, startGpioSandbox, type GpioSandbox } from '../harness/gpio-sandbox.js';
import { startMosquitto, type MosquittoHandle } from '../harness/mosquitto.js';
import { ipcTraject } from '../builders/viewtron.js';
import { collect, sinkView, sleep, type Collector } from './store-forward.helpers.js';

/**
 * Retained state topics and Home Assistant discovery from the real daemon on a real
 * mosquitto, and output commands switching a relay on the fake sysfs GPIO.
 */
const SITE = 'ha';
const P = `camrelay/${SITE}`;
const FLOOD = 512 + 17;
const DRIVE = '58:5b:69:00:00:01';

let mq: MosquittoHandle;
let sb: GpioSandbox;
let d: DaemonHandle;
const collectors: Collector[] = [];

/** A fresh subscriber: what it gets at once is what the broker retains. */
async function retained(filters: string[]): Promise<Map<string, string>> {
  const c = await collect(mq.url, filters);
  collectors.push(c);
  await sleep(300);
  return new Map(c.messages.filter((m) => m.retain).map((m) => [m.topic, m.payload]));
}

const publish = async (topic: string, payload: string, retain = false) => {
  const c = await mqtt.connectAsync(mq.url, { protocolVersion: 4 });
  await c.publishAsync(topic, payload, { qos: 1, retain });
  await c.endAsync();
};

beforeAll(async () => {
  const why = await probeGpioSandbox();
  if (why) throw new Error(`HA e2e cannot run: ${why}`);
  mq = await startMosquitto();
  // a stale command retained on the broker before the daemon ever starts
  await publish(`${P}/outputs/flood/set`, 'ON', true);
  sb = await startGpioSandbox();
  d = await spawnDaemon({
    spawnFn: (c, a, o) => sb.spawn(c, a, o),
    config: {
      site: { id: SITE },
      cameras: [{ id: 'drive', mac: DRIVE }],
      zones: [{ id: 'driveway', camera: 'drive', classes: ['person'], target_timeout_ms: 300, off_delay_s: 0 }],
      outputs: [{ id: 'flood', driver: 'gpio', pin: 17, active_low: true }],
      rules: [{ id: 'flood-on-presence', outputs: ['flood'], when: { presence: { zones: ['driveway'] } } }],
      mqtt: { url: mq.url },
    },
  });
  for (let i = 0; !(await sinkView(d, 'mqtt')).connected; i++) {
    if (i > 200) throw new Error('the daemon did not connect to mosquitto in 10 s');
    await sleep(50);
  }
  await sleep(300); // retained state and discovery are published right after the connect
}, 60_000);

afterAll(async () => {
  for (const c of collectors) await c.close();
  await d?.stop('SIGKILL');
  await mq?.close();
  await sb?.stop();
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

describe('MQTT retained state and Home Assistant discovery (real daemon, mosquitto, GPIO sandbox)', () => {
  it('publishes availability, zone and output state retained, and discovery configs under homeassistant/', async () => {
    const r = await retained([`${P}/#`, 'homeassistant/#']);
    expect(r.get(`${P}/availability`)).toBe('online');
    expect(JSON.parse(r.get(`${P}/zones/driveway/state`)!)).toMatchObject({ presence: false, count: 0 });
    expect(JSON.parse(r.get(`${P}/outputs/flood/state`)!)).toMatchObject({ state: 'OFF' });
    const configs = [...r.entries()].filter(([t]) => t.startsWith('homeassistant/')).map(([t, p]) => ({ t, c: JSON.parse(p) as Record<string, unknown> }));
    const zone = configs.find((x) => x.c.state_topic === `${P}/zones/driveway/state`)!;
    expect(zone.t).toMatch(/^homeassistant\/binary_sensor\/.+\/config$/);
    expect(zone.c.device_class).toBe('occupancy');
    const sw = configs.find((x) => x.t.startsWith('homeassistant/switch/'))!;
    expect(sw.c.command_topic).toBe(`${P}/outputs/flood/set`);
    expect(sw.c.state_topic).toBe(`${P}/outputs/flood/state`);
    expect(configs.some((x) => x.c.device_class === 'connectivity' && x.c.state_topic === `${P}/cameras/drive/availability`)).toBe(true);
    expect(configs.some((x) => x.t.startsWith('homeassistant/sensor/') && x.c.state_topic === `${P}/buffer`)).toBe(true);
    for (const x of configs) expect(x.c.availability_topic).toBe(`${P}/availability`);
  });

  it('a retained ON published before the daemon started does not switch the relay', async () => {
    await sleep(500);
    expect(sb.rawLevel(FLOOD)).toBe(1);
    expect(sb.writes().filter((w) => w.gpio === FLOOD && w.raw === 0)).toEqual([]);
    expect(d.logs.some((l) => l.msg === 'ignored retained output command')).toBe(true);
  });

  it('zone and output state topics follow presence and stay retained', async () => {
    const live = await collect(mq.url, [`${P}/zones/+/state`, `${P}/outputs/+/state`]);
    collectors.push(live);
    const t = await fetch(`${d.ingestUrl}/API`, { method: 'POST', body: ipcTraject({ mac: DRIVE, targets: [{ id: 3, cls: 'person', rect: [4000, 3000, 5000, 9000] }] }) });
    expect(t.status).toBe(200);
    await sb.waitFor(() => sb.rawLevel(FLOOD) === 0, 3000);
    await live.waitFor((m) => m.some((x) => x.topic.endsWith('/zones/driveway/state') && JSON.parse(x.payload).presence === true), 5000, 'zone on');
    await live.waitFor((m) => m.some((x) => x.topic.endsWith('/outputs/flood/state') && JSON.parse(x.payload).state === 'ON'), 5000, 'output on');
    const on = await retained([`${P}/zones/+/state`, `${P}/outputs/+/state`]);
    expect(JSON.parse(on.get(`${P}/zones/driveway/state`)!)).toMatchObject({ presence: true, count: 1 });
    expect(JSON.parse(on.get(`${P}/outputs/flood/state`)!)).toMatchObject({ state: 'ON', mode: 'auto' });
    // person gone → off, and the retained state says so
    await sb.waitFor(() => sb.rawLevel(FLOOD) === 1, 5000);
    await live.waitFor((m) => m.some((x) => x.topic.endsWith('/outputs/flood/state') && JSON.parse(x.payload).state === 'OFF'), 5000, 'output off');
    const off = await retained([`${P}/zones/+/state`, `${P}/outputs/+/state`]);
    expect(JSON.parse(off.get(`${P}/zones/driveway/state`)!)).toMatchObject({ presence: false });
    expect(JSON.parse(off.get(`${P}/outputs/flood/state`)!)).toMatchObject({ state: 'OFF' });
  });

  it('an ON command on {prefix}/outputs/<id>/set switches the relay; AUTO hands it back to the rules', async () => {
    await publish(`${P}/outputs/flood/set`, 'ON');
    await sb.waitFor(() => sb.rawLevel(FLOOD) === 0, 3000);
    const on = await retained([`${P}/outputs/flood/state`]);
    expect(JSON.parse(on.get(`${P}/outputs/flood/state`)!)).toMatchObject({ state: 'ON' });
    expect(JSON.parse(on.get(`${P}/outputs/flood/state`)!).mode).not.toBe('auto');
    await publish(`${P}/outputs/flood/set`, 'AUTO');
    await sb.waitFor(() => sb.rawLevel(FLOOD) === 1, 3000); // nobody in the zone
  });

  it('MQTT 5: the retained ON is not even sent to the daemon (retain handling 2); live commands still work', async () => {
    await d.stop('SIGTERM');
    const cfg = parse(readFileSync(d.configFile, 'utf8')) as Record<string, unknown>;
    await publish(`${P}/outputs/flood/set`, 'ON', true); // still (again) retained on the broker
    d = await spawnDaemon({ dir: d.dir, spawnFn: (c, a, o) => sb.spawn(c, a, o), config: { ...cfg, mqtt: { url: mq.url, protocol_version: 5 } } });
    await expect.poll(async () => (await sinkView(d, 'mqtt')).connected, { timeout: 10_000 }).toBe(true);
    const since = sb.writes().length;
    await sleep(500);
    expect(sb.writes().slice(since).filter((w) => w.gpio === FLOOD && w.raw === 0)).toEqual([]);
    expect(d.logs.some((l) => l.msg === 'ignored retained output command')).toBe(false);
    await publish(`${P}/outputs/flood/set`, '{"state":"ON","for_s":30}');
    await sb.waitFor(() => sb.rawLevel(FLOOD) === 0, 3000);
    await publish(`${P}/outputs/flood/set`, 'OFF');
    await sb.waitFor(() => sb.rawLevel(FLOOD) === 1, 3000);
  });
});
