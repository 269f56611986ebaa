/**
 * Crash chaos for camrelay's store-and-forward guarantee, run against the REAL daemon
 * (dist/cli.js), a private mosquitto and a local webhook receiver:
 *
 *   repeat CHAOS_CYCLES times: start the daemon in the same data folder, post alarms on
 *   two keep-alive connections while it delivers to MQTT and the webhook, then kill -9 it
 *   at a random moment. Finally start it once more and wait until every alarm that was
 *   answered 200 has reached BOTH sinks.
 *
 * Pass = every acknowledged alarm delivered to every sink; duplicates only as redeliveries
 * of the same id with identical bytes; one stable id per alarm on both sinks.
 *
 *   npm run build && npx tsx scripts/chaos.ts          # 200 cycles (CHAOS_CYCLES)
 *   CHAOS_CYCLES=50 CHAOS_SEED=7 npx tsx scripts/chaos.ts
 *
 * Needs mosquitto (/usr/sbin/mosquitto or MOSQUITTO_BIN) and a dev checkout (it uses the
 * test harness). test/e2e/crash.e2e.test.ts runs the same with 20+ short cycles.
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { spawnDaemon, type DaemonHandle } from '../test/harness/daemon.js';
import { startMosquitto } from '../test/harness/mosquitto.js';
import { startReceiver } from '../test/harness/http-receiver.js';
import { ipcAlarm } from '../test/builders/viewtron.js';
import { collect, KeepAliveConnection, sleep } from '../test/e2e/store-forward.helpers.js';
import { mulberry32 } from '../src/simulate/prng.js';

export interface ChaosOptions {
  cycles: number;
  /** how long the daemon runs before the kill, uniform in [minUpMs, maxUpMs] */
  minUpMs?: number;
  maxUpMs?: number;
  seed?: number;
  /** keep-alive connections posting alarms */
  connections?: number;
  durability?: 'full' | 'normal';
  /** time allowed for the final drain */
  drainTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface SinkTally {
  /** alarms (by post number) that reached the sink at least once */
  distinct: number;
  /** acknowledged alarms that never arrived */
  missing: number[];
  /** deliveries beyond the first, per alarm id */
  redeliveries: number;
  /** same id delivered with different bytes (must be 0) */
  changedBytes: number;
  /**
   * alarms b whose first delivery came before that of an alarm a which had been
   * acknowledged (200 read) before b was even sent (must be 0: ordered per sink)
   */
  orderViolations: number;
}

export interface ChaosResult {
  cycles: number;
  seed: number;
  posted: number;
  acked: number;
  /** posts that got no answer (connection cut by the kill) */
  unanswered: number;
  /** posts answered with something other than 200 */
  refused: number;
  mqtt: SinkTally;
  webhook: SinkTally;
  /** alarms whose CloudEvent id differs between the sinks (must be 0) */
  idMismatch: number;
  ok: boolean;
}

// seeded (mulberry32) so a failing run can be repeated with CHAOS_SEED
const prng = mulberry32;

const MAC = '58:5b:69:00:00:03';
const BASE_US = 1774792701000000;

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined);
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rand = prng(seed);
  const minUp = o.minUpMs ?? 150;
  const maxUp = o.maxUpMs ?? 900;
  const nConn = o.connections ?? 2;
  log(`chaos: ${o.cycles} cycles, seed ${seed}, up ${minUp}-${maxUp} ms, ${nConn} connections`);

  const mq = await startMosquitto();
  const sub = await collect(mq.url, ['camrelay/chaos/events/#']);
  const alarmPayloads = () => sub.messages.filter((x) => x.topic.includes('/alarm.')).map((x) => x.payload);
  const rx = await startReceiver(() => ({ status: 200 }));
  const config = {
    site: { id: 'chaos' },
    log: { level: 'info' },
    cameras: [{ id: 'gate', mac: MAC }],
    storage: { durability: o.durability ?? 'full' },
    mqtt: { url: mq.url },
    webhooks: [{ id: 'hook', url: `${rx.url}/hook`, filter: { types: ['alarm.*'] }, retry_schedule_s: [0, 0.1, 0.5], timeout_ms: 2000 }],
  };

  let next = 0;
  const acked = new Set<number>();
  /** when each post was sent and when its 200 was read (performance.now()) */
  const sentAt = new Map<number, number>();
  const ackedAt = new Map<number, number>();
  let unanswered = 0;
  let refused = 0;
  let dir: string | undefined;
  let d: DaemonHandle | undefined;
  try {
    for (let cycle = 0; cycle < o.cycles; cycle++) {
      d = await spawnDaemon({ config, ...(dir ? { dir } : {}) });
      dir = d.dir;
      const port = d.ingestPort;
      let stop = false;
      const posters = Array.from({ length: nConn }, async () => {
        const c = new KeepAliveConnection(port);
        try {
          while (!stop) {
            const n = next++;
            try {
              sentAt.set(n, performance.now());
              const r = await c.post(ipcAlarm({ smartType: 'PEA', style: 'E2', mac: MAC, eventId: n, currentTimeUs: String(BASE_US + n * 1000) }));
              if (r.status === 200) {
                acked.add(n);
                ackedAt.set(n, performance.now());
              }
              else refused++;
            } catch {
              unanswered++; // the kill cut this post: it may or may not have been stored
              return;
            }
          }
        } finally {
          c.close();
        }
      });
      await sleep(minUp + rand() * (maxUp - minUp));
      d.child.kill('SIGKILL');
      await d.exited;
      stop = true;
      await Promise.all(posters);
      if ((cycle + 1) % 10 === 0 || cycle === o.cycles - 1) {
        log(`cycle ${cycle + 1}/${o.cycles}: ${acked.size} acked, mqtt ${new Set(alarmPayloads()).size}, webhook ${new Set(rx.requests.map((r) => r.headers['webhook-id'])).size} distinct so far`);
      }
    }

    // final run: everything acknowledged must come out
    d = await spawnDaemon({ config, ...(dir ? { dir } : {}) });
    const want = [...acked];
    const numbersOf = (bodies: string[]) => new Set(bodies.map((b) => Number((JSON.parse(b) as { data: { event_id: string } }).data.event_id)));
    const deadline = Date.now() + (o.drainTimeoutMs ?? 60_000);
    for (;;) {
      const m = numbersOf(alarmPayloads());
      const w = numbersOf(rx.requests.map((r) => r.body.toString()));
      if (want.every((n) => m.has(n) && w.has(n))) break;
      if (Date.now() > deadline) break;
      await sleep(100);
    }
    await d.stop('SIGTERM');

    // happens-before order check in O(n log n): acked alarms sorted by ack time with a running
    // max of their first-arrival position; every alarm b must arrive after all alarms acked before b was sent
    const byAck = [...ackedAt.entries()].sort((x, y) => x[1] - y[1]);
    const orderViolations = (firstPos: Map<number, number>): number => {
      const prefixMax: number[] = [];
      let mx = -1;
      for (const [n] of byAck) prefixMax.push((mx = Math.max(mx, firstPos.get(n) ?? -1)));
      let bad = 0;
      for (const [b, pos] of firstPos) {
        const t = sentAt.get(b);
        if (t === undefined) continue;
        let lo = 0;
        let hi = byAck.length; // count of acks strictly before t
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (byAck[mid]![1] < t) lo = mid + 1;
          else hi = mid;
        }
        if (lo > 0 && prefixMax[lo - 1]! > pos) bad++;
      }
      return bad;
    };
    const tally = (bodies: string[]): SinkTally & { idOf: Map<number, string> } => {
      const byId = new Map<string, string>();
      const idOf = new Map<number, string>();
      let redeliveries = 0;
      let changedBytes = 0;
      const firstPos = new Map<number, number>();
      for (const b of bodies) {
        const e = JSON.parse(b) as { id: string; data: { event_id: string } };
        if (!firstPos.has(Number(e.data.event_id))) firstPos.set(Number(e.data.event_id), firstPos.size);
        const prev = byId.get(e.id);
        if (prev !== undefined) {
          redeliveries++;
          if (prev !== b) changedBytes++;
        } else byId.set(e.id, b);
        idOf.set(Number(e.data.event_id), e.id);
      }
      return {
        distinct: idOf.size,
        missing: want.filter((n) => !idOf.has(n)).sort((a, b) => a - b),
        redeliveries,
        changedBytes,
        orderViolations: orderViolations(firstPos),
        idOf,
      };
    };
    const mqtt = tally(alarmPayloads());
    const webhook = tally(rx.requests.map((r) => r.body.toString()));
    let idMismatch = 0;
    for (const [n, id] of mqtt.idOf) if (webhook.idOf.has(n) && webhook.idOf.get(n) !== id) idMismatch++;
    // a distinct alarm number must map to one id, i.e. distinct numbers == distinct ids per sink
    const strip = ({ idOf: _x, ...t }: SinkTally & { idOf: Map<number, string> }): SinkTally => t;
    const result: ChaosResult = {
      cycles: o.cycles,
      seed,
      posted: next,
      acked: acked.size,
      unanswered,
      refused,
      mqtt: strip(mqtt),
      webhook: strip(webhook),
      idMismatch,
      ok:
        mqtt.missing.length === 0 &&
        webhook.missing.length === 0 &&
        mqtt.changedBytes === 0 &&
        webhook.changedBytes === 0 &&
        mqtt.orderViolations === 0 &&
        webhook.orderViolations === 0 &&
        idMismatch === 0,
    };
    log(
      `chaos ${result.ok ? 'PASSED' : 'FAILED'}: ${result.acked} acked of ${result.posted} posted (${unanswered} cut by a kill, ${refused} refused); ` +
        `mqtt missing ${mqtt.missing.length}, redeliveries ${mqtt.redeliveries}, order violations ${mqtt.orderViolations}; webhook missing ${webhook.missing.length}, redeliveries ${webhook.redeliveries}, order violations ${webhook.orderViolations}; seed ${seed}`,
    );
    return result;
  } finally {
    await d?.stop('SIGKILL');
    await sub.close();
    await rx.close();
    await mq.close();
    if (dir && !process.env.CHAOS_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cycles = Number(process.env.CHAOS_CYCLES ?? 200);
  const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : undefined;
  runChaos({
    cycles,
    ...(seed !== undefined ? { seed } : {}),
    durability: process.env.CHAOS_DURABILITY === 'normal' ? 'normal' : 'full',
    log: (m) => console.log(m),
  }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(r.ok ? 0 : 1);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
