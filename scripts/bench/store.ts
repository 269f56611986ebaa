import { ipcAlarm } from '../../test/builders/viewtron.js';
import { drive, type LoadResult } from './load.js';
import { cpuTimeMs, startBaseline, startCamrelay } from './servers.js';
import { fmt, median, table } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

let serial = 0;
const alarm = (conn: number) =>
  Buffer.from(
    ipcAlarm({
      smartType: 'PEA',
      style: 'E2',
      mac: `58:5b:69:00:03:${(conn % 256).toString(16).padStart(2, '0')}`,
      eventId: ++serial,
      targets: [{ id: serial, cls: 'person', rect: [1000, 1000, 2000, 4000] }],
      currentTimeUs: String(1774792701000000 + serial * 1000),
      images: 'none',
    }),
  );

/** Alarm posts acknowledged after commit, per durability, against the parsing baseline. */
export async function benchStore(): Promise<string> {
  const parse = await startBaseline('parse');
  const normal = await startCamrelay({ storage: { durability: 'normal' } }, 'camrelay durability normal');
  const full = await startCamrelay({ storage: { durability: 'full' } }, 'camrelay durability full');
  const res = new Map<string, (LoadResult & { cpuUsPerPost: number })[]>();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of r % 2 ? [full, normal, parse] : [parse, normal, full]) {
        const cpu0 = cpuTimeMs(t.pid);
        const x = await drive(t.url, (c) => alarm(c), { connections: CONNECTIONS, durationMs: SECONDS * 1000 });
        const cpuUsPerPost = ((cpuTimeMs(t.pid) - cpu0) * 1000) / x.posts;
        if (x.errors || Object.keys(x.statuses).some((s) => s !== '200')) throw new Error(`${t.name}: ${x.errors} errors ${JSON.stringify(x.statuses)}`);
        res.set(t.name, [...(res.get(t.name) ?? []), { ...x, cpuUsPerPost }]);
      }
    }
  } finally {
    await Promise.all([parse.stop(), normal.stop(), full.stop()]);
  }
  const m = (name: string, k: 'perSec' | 'p50ms' | 'p99ms' | 'cpuUsPerPost') => median(res.get(name)!.map((x) => x[k]));
  const base = m(parse.name, 'perSec');
  const baseCpu = m(parse.name, 'cpuUsPerPost');
  return (
    table([
      ['server', 'alarm posts/s', 'p50 ms', 'p99 ms', '× parsing baseline', 'server CPU µs/post', 'CPU × baseline'],
      ...[parse, normal, full].map((t) => [
        t.name,
        fmt(m(t.name, 'perSec')),
        fmt(m(t.name, 'p50ms'), 2),
        fmt(m(t.name, 'p99ms'), 2),
        fmt(m(t.name, 'perSec') / base, 2),
        fmt(m(t.name, 'cpuUsPerPost')),
        fmt(m(t.name, 'cpuUsPerPost') / baseCpu, 2),
      ]),
    ]) +
    `\n(${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections, medians; targets ≥ 3,000/s normal, ≥ 1,000/s full;` +
    ` server CPU = user + system time of the server process, all its threads, per answered post)`
  );
}
