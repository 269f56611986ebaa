import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { probeGpioSandbox, startGpioSandbox, type GpioSandbox } from '../harness/gpio-sandbox.js';
import { startMosquitto, type MosquittoHandle } from '../harness/mosquitto.js';
import { ipcAlarm, ipcTraject } from '../builders/viewtron.js';
import { collect, KeepAliveConnection, sinkView, sleep, type Collector } from './store-forward.helpers.js';

/**
 * Broker outage with the real daemon, a real mosquitto and the real onoff driver on a
 * fake sysfs tree. Alarms come from camera "yard" (no zone: alarm presence fallback
 * cannot touch the relay), presence from camera "drive".
 */
const SITE = 'sf';
const FLOOD = 512 + 17; // BCM 17 on a Pi 4 chip numbered from 512; active-low relay board: on = raw 0
const DRIVE = '58:5b:69:00:00:01';
const YARD = '58:5b:69:00:00:02';
const N = 1000;
const CONNS = 4;
const BASE_US = 1774792701000000n;

let sb: GpioSandbox;
let mq: MosquittoHandle;
let sub: Collector;
let d: DaemonHandle;

beforeAll(async () => {
  const why = await probeGpioSandbox();
  if (why) throw new Error(`broker-outage e2e cannot run: ${why}`); // never silently skipped
  // persistence: the subscriber's session (its subscription and the QoS 1 messages queued
  // for it) survives the broker restart; without it the broker forgets the subscription
  // and events the daemon publishes before the subscriber re-subscribes reach nobody.
  mq = await startMosquitto({ persistence: true });
  sub = await collect(mq.url, [`camrelay/${SITE}/events/#`], { clientId: 'sf-outage-sub', clean: false });
  sb = await startGpioSandbox();
  d = await spawnDaemon({
    spawnFn: (c, a, o) => sb.spawn(c, a, o),
    config: {
      site: { id: SITE },
      cameras: [
        { id: 'drive', mac: DRIVE },
        { id: 'yard', mac: YARD },
      ],
      zones: [{ id: 'driveway', camera: 'drive', classes: ['person'], target_timeout_ms: 300, off_delay_s: 0.5 }],
      outputs: [{ id: 'flood', driver: 'gpio', pin: 17, active_low: true }],
      rules: [{ id: 'flood-on-presence', outputs: ['flood'], when: { presence: { zones: ['driveway'] } } }],
      mqtt: { url: mq.url },
    },
  });
}, 60_000);

afterAll(async () => {
  await d?.stop('SIGKILL');
  await sub?.close();
  await mq?.close();
  await sb?.stop();
  if (d) rmSync(d.dir, { recursive: true, force: true });
});

describe('broker outage (real daemon, real mosquitto, GPIO sandbox)', () => {
  it('buffers 1,000 alarms while the broker is down, relays keep following presence, then delivers every alarm once and in acknowledged order', async () => {
    await expect.poll(async () => (await sinkView(d, 'mqtt')).connected, { timeout: 10_000 }).toBe(true);
    expect(sb.rawLevel(FLOOD)).toBe(1);

    await mq.stop(); // SIGTERM: mosquitto saves its persistence file (the subscriber's session)
    await expect.poll(async () => (await sinkView(d, 'mqtt')).connected, { timeout: 10_000 }).toBe(false);

    // 1,000 alarms over 4 keep-alive connections; each connection posts the next only after the 200
    const sentAt = new Array<number>(N);
    const ackedAt = new Array<number>(N);
    const statuses = new Array<number>(N);
    const conns = Array.from({ length: CONNS }, () => new KeepAliveConnection(d.ingestPort));
    const ingest = Promise.all(
      conns.map(async (c, k) => {
        for (let i = k; i < N; i += CONNS) {
          sentAt[i] = performance.now();
          const r = await c.post(
            ipcAlarm({ smartType: 'PEA', style: 'E2', mac: YARD, eventId: 100_000 + i, currentTimeUs: String(BASE_US + BigInt(i) * 1000n) }),
          );
          ackedAt[i] = performance.now();
          statuses[i] = r.status;
        }
      }),
    );

    // meanwhile a person walks in the driveway for as long as the alarms pour in: the relay must
    // switch on at the first frame and stay on, while the broker is down
    let ingesting = true;
    const levels: (0 | 1 | null)[] = [];
    const walk = (async () => {
      for (let i = 0; ingesting; i++) {
        const r = await fetch(`${d.ingestUrl}/API`, {
          method: 'POST',
          body: ipcTraject({ mac: DRIVE, targets: [{ id: 7, cls: 'person', rect: [4000, 3000, 5000, 8000 + (i % 10) * 100] }] }),
        });
        expect(r.status).toBe(200);
        if (i === 0) await sb.waitFor(() => sb.rawLevel(FLOOD) === 0, 3000);
        levels.push(sb.rawLevel(FLOOD));
        await sleep(100);
      }
    })();
    await ingest.finally(() => (ingesting = false));
    await walk;
    for (const c of conns) c.close();
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(levels.length).toBeGreaterThan(3);
    expect(levels.filter((l) => l !== 0)).toEqual([]); // on for the whole walk
    // person gone: off after target timeout + off delay, still without a broker
    await sb.waitFor(() => sb.rawLevel(FLOOD) === 1, 5000);
    const during = await sinkView(d, 'mqtt');
    expect(during.connected).toBe(false);
    expect(during.depth).toBeGreaterThanOrEqual(N); // + presence/output/camera events
    expect(sub.events()).toEqual([]); // nothing leaked out while the broker was down

    await mq.start();
    // the daemon reconnects on its own backoff (1 s doubling, jittered): allow a few rounds
    await sub.waitFor((m) => new Set(m.filter((x) => x.topic.endsWith('/alarm.intrusion')).map((x) => x.payload)).size >= N, 60_000, `${N} alarms`);
    await expect.poll(async () => (await sinkView(d, 'mqtt')).depth, { timeout: 15_000 }).toBe(0);

    const alarms = sub.events().filter((e) => e.type === 'camrelay.alarm.intrusion');
    // exactly once per id (no redelivery was needed: the daemon never published while down)
    const ids = alarms.map((e) => e.id);
    expect(new Set(ids).size).toBe(N);
    expect(ids.length).toBe(N);
    expect(new Set(alarms.map((e) => e.topic))).toEqual(new Set([`camrelay/${SITE}/events/yard/alarm.intrusion`]));
    // order: whenever alarm a was acknowledged (200 read) before alarm b was sent, a arrives first.
    // (Posts in flight at the same time on different connections have no order to keep.)
    const pos = new Map<number, number>();
    alarms.forEach((e, p) => pos.set(Number(e.data.event_id) - 100_000, p));
    expect(pos.size).toBe(N);
    let checked = 0;
    const violations: string[] = [];
    for (let a = 0; a < N; a++) {
      for (let b = 0; b < N; b++) {
        if (ackedAt[a]! < sentAt[b]!) {
          checked++;
          if (pos.get(a)! > pos.get(b)!) violations.push(`${a} acked before ${b} was sent but arrived after it`);
        }
      }
    }
    expect(violations.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(N * 100); // the rule was really exercised
    // per connection, arrival order is posting order
    for (let k = 0; k < CONNS; k++) {
      const mine = alarms.map((e) => Number(e.data.event_id) - 100_000).filter((i) => i % CONNS === k);
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
    // the relay's own events went through the same queue: output.on then output.off, after the outage
    const outputs = sub.events().filter((e) => e.type.startsWith('camrelay.output.')).map((e) => e.type);
    expect(outputs).toEqual(['camrelay.output.on', 'camrelay.output.off']);
  }, 120_000);
});
