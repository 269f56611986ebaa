import { ipcAlarm, ipcTraject } from '../../test/builders/viewtron.js';
import { drive, type LoadResult } from './load.js';
import { cpuTimeMs, startBaseline, startCamrelay, type Target } from './servers.js';
import { fmt, median, table } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

const mac = (i: number) => `58:5b:69:00:02:${(i % 256).toString(16).padStart(2, '0')}`;

/** 64 frames per camera: a person walking down the frame, like the simulator. */
function trajectPool(cameras: number): Buffer[][] {
  return Array.from({ length: cameras }, (_, c) =>
    Array.from({ length: 64 }, (_, f) =>
      Buffer.from(
        ipcTraject({
          mac: mac(c),
          currentTimeUs: String(1774792701000000 + f * 142857),
          targets: [
            { id: 1000 + c, cls: 'person', rect: [3000 + f * 40, 1000 + f * 60, 3800 + f * 40, 4000 + f * 60] },
            ...(f % 3 === 0 ? [{ id: 5000 + c, cls: 'car', rect: [100, 6000, 3000, 9500] as [number, number, number, number] }] : []),
          ],
        }),
      ),
    ),
  );
}

/** Alarm posts must be unique (the store dedupes repeats): event id and time advance per post. */
function alarmBody(conn: number, i: number): Buffer {
  return Buffer.from(
    ipcAlarm({
      smartType: 'PEA',
      style: 'E2',
      mac: mac(conn),
      eventId: i,
      targets: [{ id: i, cls: 'person', rect: [1000, 1000, 2000, 4000] }],
      currentTimeUs: String(1774792701000000 + conn * 1_000_000_000 + i * 1000),
      images: 'none',
    }),
  );
}

interface Row {
  target: string;
  kind: string;
  r: (LoadResult & { cpuUsPerPost: number })[];
}

async function measure(targets: Target[], kind: 'traject' | 'alarm', rows: Row[]): Promise<void> {
  const pool = trajectPool(CONNECTIONS);
  for (const t of targets) {
    const next = kind === 'traject' ? (c: number, i: number) => pool[c]![i % 64]! : (c: number, i: number) => alarmBody(c, i + rows.length * 1_000_000);
    const cpu0 = cpuTimeMs(t.pid);
    const res = await drive(t.url, next, { connections: CONNECTIONS, durationMs: SECONDS * 1000 });
    const cpuUsPerPost = ((cpuTimeMs(t.pid) - cpu0) * 1000) / res.posts;
    if (res.errors || Object.keys(res.statuses).some((s) => s !== '200')) throw new Error(`${t.name} ${kind}: ${res.errors} errors, statuses ${JSON.stringify(res.statuses)}`);
    let row = rows.find((x) => x.target === t.name && x.kind === kind);
    if (!row) rows.push((row = { target: t.name, kind, r: [] }));
    row.r.push({ ...res, cpuUsPerPost });
  }
}

export async function benchIngest(): Promise<string> {
  const noparse = await startBaseline('noparse');
  const parse = await startBaseline('parse');
  const camrelay = await startCamrelay({
    cameras: Array.from({ length: CONNECTIONS }, (_, i) => ({ id: `c${i}`, mac: mac(i) })),
    zones: Array.from({ length: CONNECTIONS }, (_, i) => ({ id: `z${i}`, camera: `c${i}` })),
  }, 'camrelay (durability full)');
  const rows: Row[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order so warm-up and noise do not favour one server.
      const order = r % 2 ? [camrelay, parse, noparse] : [noparse, parse, camrelay];
      await measure(order, 'traject', rows);
      await measure(order, 'alarm', rows);
    }
  } finally {
    await Promise.all([noparse.stop(), parse.stop(), camrelay.stop()]);
  }
  const get = (name: string, kind: string) => rows.find((x) => x.target === name && x.kind === kind)!;
  const med = (row: Row, k: 'perSec' | 'p50ms' | 'p99ms' | 'cpuUsPerPost') => median(row.r.map((x) => x[k]));
  const out: (string | number)[][] = [['kind', 'server', 'posts/s', 'p50 ms', 'p99 ms', '× parsing baseline', '× no-parse baseline', 'server CPU µs/post']];
  for (const kind of ['traject', 'alarm']) {
    const base = med(get(parse.name, kind), 'perSec');
    const bare = med(get(noparse.name, kind), 'perSec');
    for (const t of [noparse, parse, camrelay]) {
      const row = get(t.name, kind);
      const ps = med(row, 'perSec');
      out.push([kind, t.name, fmt(ps), fmt(med(row, 'p50ms'), 3), fmt(med(row, 'p99ms'), 3), fmt(ps / base, 2), fmt(ps / bare, 2), fmt(med(row, 'cpuUsPerPost'))]);
    }
  }
  return (
    table(out) +
    `\n(${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} keep-alive connections, closed loop, medians; alarm posts without images are answered only after the SQLite commit + fsync; server CPU = user + system time of the server process per answered post)`
  );
}
