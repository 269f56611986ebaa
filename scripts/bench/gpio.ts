import { Client } from 'undici';
import { startGpioSandbox, type GpioSandbox, type GpioWrite } from '../../test/harness/gpio-sandbox.js';
import { spawnDaemon } from '../../test/harness/daemon.js';
import { REPO } from '../../test/harness/daemon.js';
import { ipcTraject } from '../../test/builders/viewtron.js';
import { fmt, median, percentile, table } from './stats.js';
import { join } from 'node:path';

const CAMERAS = Number(process.env.BENCH_GPIO_CAMERAS ?? 64);
const RATE = 7;
const MEASURED = 8; // cameras 0..7 each drive one relay
const SECONDS = Number(process.env.BENCH_GPIO_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BASE = 512;
const PIN0 = 5; // BCM 5..12

const mac = (i: number) => `58:5b:69:00:01:${i.toString(16).padStart(2, '0')}`;
const hrUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * 64 cameras post traject at 7 Hz, each on its own keep-alive connection. Cameras
 * 0..7 alternate 1 s with a person in view and 1 s without; every "person appears"
 * post is timed against the moment the fake kernel sees the relay's value file
 * written (both on CLOCK_MONOTONIC). The other cameras keep a person in view (load).
 */
async function drive(url: string): Promise<Map<number, number[]>> {
  const sent = new Map<number, number[]>(); // camera → hr µs of each first-frame post
  const u = new URL(url);
  const end = performance.now() + SECONDS * 1000;
  let target = 1000;
  await Promise.all(
    Array.from({ length: CAMERAS }, async (_, cam) => {
      const client = new Client(u.origin, { pipelining: 1 });
      // Spread cameras over the 143 ms frame period so the load is even.
      await new Promise((r) => setTimeout(r, (cam * 1000) / RATE / CAMERAS));
      let frame = 0;
      let present = false;
      let id = 0;
      while (performance.now() < end) {
        const t0 = performance.now();
        const phase = Math.floor(frame / RATE) % 2 === 0; // 1 s on, 1 s off
        const on = cam >= MEASURED || phase;
        if (on && !present) id = target++;
        const first = cam < MEASURED && on && !present;
        present = on;
        const body = ipcTraject({ mac: mac(cam), targets: on ? [{ id: String(id), cls: 'person', rect: [4000, 3000, 5000, 9000] }] : [] });
        const sentAt = hrUs();
        if (first) sent.set(cam, [...(sent.get(cam) ?? []), sentAt]);
        // an empty traject list is what a camera never sends: it just stops posting
        if (on) {
          const r = await client.request({ path: '/API', method: 'POST', body, headers: { 'content-type': 'application/xml' } });
          await r.body.dump();
        }
        frame++;
        const wait = 1000 / RATE - (performance.now() - t0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await client.close();
    }),
  );
  return sent;
}

function latencies(sent: Map<number, number[]>, writes: GpioWrite[]): number[] {
  const out: number[] = [];
  for (const [cam, times] of sent) {
    const gpio = BASE + PIN0 + cam;
    // active_low relays: "on" is raw 0
    const ons = writes.filter((w) => w.gpio === gpio && w.file === 'value' && w.raw === 0 && w.hr_us !== undefined).map((w) => w.hr_us!);
    for (const t of times) {
      const hit = ons.find((w) => w >= t);
      if (hit !== undefined && hit - t < 1_000_000) out.push((hit - t) / 1000);
    }
  }
  return out.sort((a, b) => a - b);
}

async function camrelayRound(sb: GpioSandbox) {
  const config = {
    cameras: Array.from({ length: CAMERAS }, (_, i) => ({ id: `c${i}`, mac: mac(i) })),
    zones: Array.from({ length: MEASURED }, (_, i) => ({ id: `z${i}`, camera: `c${i}`, target_timeout_ms: 300, off_delay_s: 0, classes: ['person'] })),
    outputs: Array.from({ length: MEASURED }, (_, i) => ({ id: `o${i}`, driver: 'gpio', pin: PIN0 + i, active_low: true })),
    rules: Array.from({ length: MEASURED }, (_, i) => ({ id: `r${i}`, outputs: [`o${i}`], when: { presence: { zones: [`z${i}`] } } })),
    log: { level: 'info' },
  };
  const d = await spawnDaemon({ config, spawnFn: (c, a, o) => sb.spawn(c, a, o) });
  try {
    const sent = await drive(d.ingestUrl);
    return latencies(sent, sb.writes());
  } finally {
    await d.stop();
  }
}

async function baselineRound(sb: GpioSandbox) {
  const child = sb.spawn(process.execPath, [join(REPO, 'scripts/bench/gpio-baseline.mjs'), String(BASE + PIN0), String(MEASURED)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((r) => child.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
  try {
    const sent = await drive(`http://127.0.0.1:${port}`);
    return latencies(sent, sb.writes());
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export async function benchGpio(): Promise<string> {
  const rows: { c50: number; c99: number; b50: number; b99: number; n: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const sb = await startGpioSandbox({ chips: [{ base: BASE, ngpio: 58, label: 'pinctrl-bcm2711' }] });
    try {
      const c = await camrelayRound(sb);
      const sb2 = await startGpioSandbox({ chips: [{ base: BASE, ngpio: 58, label: 'pinctrl-bcm2711' }] });
      let b: number[];
      try {
        b = await baselineRound(sb2);
      } finally {
        await sb2.stop();
      }
      rows.push({ c50: percentile(c, 50), c99: percentile(c, 99), b50: percentile(b, 50), b99: percentile(b, 99), n: c.length });
    } finally {
      await sb.stop();
    }
  }
  const m = (k: keyof (typeof rows)[number]) => median(rows.map((x) => x[k]));
  return (
    table([
      ['traject post → GPIO value write', 'samples/round', 'p50 ms', 'p99 ms'],
      [`camrelay (${CAMERAS} cameras × ${RATE} Hz, ${MEASURED} relays)`, fmt(m('n')), fmt(m('c50'), 2), fmt(m('c99'), 2)],
      ['baseline: node:http + fast-xml-parser writing the value file', '', fmt(m('b50'), 2), fmt(m('b99'), 2)],
      ['ratio camrelay / baseline', '', fmt(m('c50') / m('b50'), 2) + '×', fmt(m('c99') / m('b99'), 2) + '×'],
    ]) + `\n(${ROUNDS} rounds of ${SECONDS} s, medians; target p99 ≤ 3 ms; the fake kernel timestamps writes via inotify, which adds the same small delay to both)`
  );
}
