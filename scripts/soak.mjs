#!/usr/bin/env node
/**
 * `npm run soak` (builds first): the real daemon under a realistic site load.
 *
 * Starts `node dist/cli.js run` on a temporary config and data folder (ingest and
 * admin on free ports) with the node flags and Environment= of systemd/camrelay.service,
 * drives it with the simulator (64 cameras, walk scenario, traject at 7/s, alarms with
 * JPEG images) for SOAK_MINUTES (default 10), samples the daemon's RSS (/proc; anonymous
 * and file-backed), heap and event-loop lag (admin /metrics) and open file
 * descriptors at the start, at minute 2 and at the end, and checks the targets:
 *   RSS <= 100 MB, RSS growth < 10 % from minute 2 to the end, event-loop lag p99 <= 20 ms.
 *
 *   SOAK_MINUTES=1 npm run soak        # quick check (the middle sample moves to half-time)
 *   SOAK_CAMERAS=16 SOAK_KEEP=1 ...    # fewer cameras; keep the temp folder for a look
 * Exit 0 when every target holds, 1 when one does not, 2 when the soak could not run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'cli.js');
const SIM = join(REPO, 'dist', 'simulate', 'run.js');

const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const cameras = Number(process.env.SOAK_CAMERAS ?? 64);
const seed = Number(process.env.SOAK_SEED ?? 20261123);
const keep = process.env.SOAK_KEEP === '1';
const TARGET_RSS_MB = 100;
const TARGET_GROWTH = 0.1;
const TARGET_LAG_MS = 20;
const SCRAPE_EVERY_MS = 10_000;
// The daemon's lag gauges come from monitorEventLoopDelay({ resolution: 10 }) (src/core/metrics.ts),
// whose histogram records the time between its 10 ms timer ticks, i.e. interval + delay: an idle
// process reads p99 ~10.9 ms. The check compares the delay beyond that interval with the target.
// The gauge now subtracts the resolution itself, so the default here is 0.
const LAG_SAMPLING_INTERVAL_MS = Number(process.env.SOAK_LAG_INTERVAL_MS ?? 0);
// The daemon runs as systemd/camrelay.service runs it, so RSS is measured as deployed: the node
// flags of its ExecStart and its Environment= variables (malloc tuning) are read from the unit.
// SOAK_NODE_FLAGS replaces the flags; a variable already set in this environment wins over the unit's.
const UNIT = readUnit(join(REPO, 'systemd', 'camrelay.service'));
const NODE_FLAGS = process.env.SOAK_NODE_FLAGS !== undefined ? process.env.SOAK_NODE_FLAGS.split(' ').filter(Boolean) : UNIT.nodeFlags;

/** ExecStart's node flags (between the node binary and dist/cli.js) and the Environment= assignments of a unit file. */
function readUnit(file) {
  const text = readFileSync(file, 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  const cli = exec.findIndex((t) => t.endsWith('/cli.js'));
  if (cli < 1) throw new Error(`${file}: no ExecStart=<node> [flags] .../cli.js line`);
  const env = {};
  for (const [, line] of text.matchAll(/^Environment=(.*)$/gm)) {
    // systemd syntax: space-separated NAME=value words, each optionally in double quotes
    for (const [, quoted, bare] of line.matchAll(/"([^"]*)"|(\S+)/g)) {
      const word = quoted ?? bare;
      const eq = word.indexOf('=');
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return { nodeFlags: exec.slice(1, cli), env };
}

if (!(minutes > 0) || !(cameras >= 1)) {
  console.error('SOAK_MINUTES must be > 0 and SOAK_CAMERAS >= 1');
  process.exit(2);
}
for (const f of [CLI, SIM]) {
  if (!existsSync(f)) {
    console.error(`${f} is missing: run \`npm run build\` first (npm run soak does it)`);
    process.exit(2);
  }
}
const { runSimulation } = await import(SIM);

const totalMs = Math.round(minutes * 60_000);
// start sample after warm-up; "minute 2" moves to half-time on runs shorter than 4 minutes
const startAtMs = Math.min(15_000, totalMs * 0.1);
const midAtMs = totalMs >= 240_000 ? 120_000 : totalMs / 2;

const dir = mkdtempSync(join(tmpdir(), 'camrelay-soak-'));
const dataDir = join(dir, 'data');
mkdirSync(dataDir, { recursive: true });
const configFile = join(dir, 'config.yaml');
// JSON is YAML: no extra dependency for writing the config
writeFileSync(
  configFile,
  JSON.stringify(
    {
      site: { id: 'soak', name: 'camrelay soak' },
      ingest: { listen: '127.0.0.1:0' },
      admin: { listen: '127.0.0.1:0' },
      storage: { data_dir: dataDir },
      zones: [
        {
          id: 'middle',
          camera: '*',
          polygon: [
            [2500, 3000],
            [7500, 3000],
            [7800, 9600],
            [2200, 9600],
          ],
        },
      ],
      log: { level: 'info', pretty: false },
    },
    null,
    2,
  ),
);

const env = { ...UNIT.env, ...process.env };
delete env.NOTIFY_SOCKET;
const unitEnvShown = Object.keys(UNIT.env).map((k) => `${k}=${env[k]}`).join(' ');
const child = spawn(process.execPath, [...NODE_FLAGS, CLI, 'run', '--config', configFile], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
const tail = [];
let stderr = '';
let partial = '';
let readyResolve;
const ready = new Promise((r) => (readyResolve = r));
child.stdout.on('data', (d) => {
  partial += d.toString();
  let nl;
  while ((nl = partial.indexOf('\n')) >= 0) {
    const line = partial.slice(0, nl);
    partial = partial.slice(nl + 1);
    tail.push(line);
    if (tail.length > 40) tail.shift();
    try {
      const l = JSON.parse(line);
      if (l.msg === 'camrelay ready') readyResolve(l);
    } catch {
      /* not a JSON log line */
    }
  }
});
child.stderr.on('data', (d) => {
  stderr += d.toString();
  if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
});
const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
let daemonGone = false;
exited.then(() => (daemonGone = true));

async function stopDaemon() {
  if (daemonGone) return exited;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const r = await exited;
  clearTimeout(t);
  return r;
}

function fail(msg) {
  console.error(`soak: ${msg}`);
  if (stderr) console.error(`daemon stderr:\n${stderr.slice(-4000)}`);
  console.error(`last daemon log lines:\n${tail.slice(-15).join('\n')}`);
}

const readyLine = await Promise.race([
  ready,
  exited.then((e) => ({ exited: e })),
  new Promise((r) => setTimeout(() => r({ timeout: true }), 30_000)),
]);
if (!readyLine || readyLine.exited || readyLine.timeout) {
  fail(readyLine?.exited ? `daemon exited before it was ready (${JSON.stringify(readyLine.exited)})` : 'daemon not ready within 30 s');
  await stopDaemon();
  if (!keep) rmSync(dir, { recursive: true, force: true });
  process.exit(2);
}
const ingestPort = readyLine.ingest?.port;
const adminPort = readyLine.admin?.port;
if (!ingestPort || !adminPort) {
  fail(`cannot find the ports in the ready log line: ${JSON.stringify(readyLine)}`);
  await stopDaemon();
  process.exit(2);
}
const pid = child.pid;
console.log(
  `soak: node flags [${NODE_FLAGS.join(' ')}], env [${unitEnvShown}]; daemon pid ${pid}, ingest :${ingestPort}, admin :${adminPort}; ${cameras} cameras, walk, 7/s, jpeg alarms, ${minutes} min (seed ${seed}); data in ${dir}`,
);

// ---------------------------------------------------------------- sampling

/** Parses Prometheus text: the first sample of the first metric whose name ends with one of the suffixes. */
function metric(text, suffixes) {
  for (const suffix of suffixes) {
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m && m[1].endsWith(suffix)) {
        const v = Number(m[3]);
        if (Number.isFinite(v)) return v;
      }
    }
  }
  return undefined;
}

async function scrape() {
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return { error: `HTTP ${res.status}` };
    const text = await res.text();
    return {
      rssBytes: metric(text, ['process_resident_memory_bytes']),
      heapUsedBytes: metric(text, ['nodejs_heap_size_used_bytes']),
      // camrelay's own gauge is "since the previous scrape"; prom-client's default is the fallback
      lagP99s: metric(text, ['event_loop_lag_p99_seconds', 'eventloop_lag_p99_seconds']),
    };
  } catch (e) {
    return { error: e.message };
  }
}

/** The daemon's CPU time in seconds (utime + stime from /proc/<pid>/stat). */
function daemonCpuS() {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function procSample() {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const bytes = (field) => {
      const kb = Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1]);
      return Number.isFinite(kb) ? kb * 1024 : undefined;
    };
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    // anonymous (heap, malloc) vs file-backed (the node binary and libraries: shared, clean)
    return { rssBytes: bytes('VmRSS'), anonBytes: bytes('RssAnon'), fileBytes: bytes('RssFile'), fds, cpuS: daemonCpuS() };
  } catch {
    return { rssBytes: undefined, anonBytes: undefined, fileBytes: undefined, fds: undefined, cpuS: undefined };
  }
}

const lagSeries = [];
const samples = [];
const t0 = Date.now();
const cpu0 = { daemon: daemonCpuS(), self: process.cpuUsage() };
async function sample(label) {
  const p = procSample();
  const m = await scrape();
  if (m.lagP99s !== undefined) lagSeries.push({ at: Date.now() - t0, ms: m.lagP99s * 1000 });
  const s = { label, atS: Math.round((Date.now() - t0) / 1000), procRss: p.rssBytes, anon: p.anonBytes, file: p.fileBytes, fds: p.fds, ...m };
  samples.push(s);
  return s;
}

const ac = new AbortController();
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.error('soak: interrupted, stopping');
  ac.abort();
});

// periodic scrapes feed the lag series (the gauge covers the time since the previous scrape)
const scraper = setInterval(() => {
  void scrape().then((m) => {
    if (m.lagP99s !== undefined) lagSeries.push({ at: Date.now() - t0, ms: m.lagP99s * 1000 });
  });
}, SCRAPE_EVERY_MS);
// the end sample is taken while the load still runs (the cameras' connections still open)
let endSample;
const marks = [
  setTimeout(() => void sample('start'), startAtMs),
  setTimeout(() => void sample(totalMs >= 240_000 ? 'minute 2' : 'middle'), midAtMs),
  setTimeout(() => void sample('end').then((s) => (endSample = s)), Math.max(midAtMs + 1000, totalMs - 3000)),
];
let lastProgress = 0;
let sent = 0;
const summary = await runSimulation(
  {
    url: `http://127.0.0.1:${ingestPort}/API`,
    cameras,
    scenario: 'walk',
    rate: 7,
    images: 'jpeg',
    seed,
    durationS: totalMs / 1000,
  },
  {
    signal: ac.signal,
    onPost: () => {
      sent += 1;
      const now = Date.now();
      if (now - lastProgress > 60_000) {
        lastProgress = now;
        if (now - t0 > 1000) console.log(`soak: ${Math.round((now - t0) / 1000)} s, ${sent} posts`);
      }
      if (daemonGone) ac.abort();
    },
  },
);
for (const m of marks) clearTimeout(m);
clearInterval(scraper);
const ranThrough = !daemonGone;
const wallS = (Date.now() - t0) / 1000;
const daemonCpu = daemonCpuS();
const selfCpu = process.cpuUsage(cpu0.self);
// wait for a late end sample (it scrapes over HTTP)
for (let i = 0; i < 50 && !endSample && ranThrough && !interrupted; i++) await new Promise((r) => setTimeout(r, 100));
const end = endSample;
const stop = await stopDaemon();

// ---------------------------------------------------------------- report

const mb = (b) => (b === undefined ? '?' : (b / 1048576).toFixed(1));
const rows = [['sample', 't (s)', 'RSS /proc MB', 'RSS metric MB', 'anon MB', 'file MB', 'heap used MB', 'lag p99 ms (raw gauge)', 'open fds']];
for (const s of samples) {
  rows.push([
    s.label,
    String(s.atS),
    mb(s.procRss),
    mb(s.rssBytes),
    mb(s.anon),
    mb(s.file),
    mb(s.heapUsedBytes),
    s.lagP99s === undefined ? (s.error ? `? (${s.error})` : '?') : (s.lagP99s * 1000).toFixed(1),
    s.fds === undefined ? '?' : String(s.fds),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log('');
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));

console.log(
  `\nsimulator: ${summary.sent} posts (${summary.byKind.traject.sent} traject, ${summary.byKind.alarmData.sent} alarm data, ` +
    `${summary.byKind.alarmStatus.sent} alarm status, ${summary.byKind.keepalive.sent} keepalive) in ${summary.elapsedS} s; ` +
    `${summary.ok} accepted, ${summary.failed} not; latency p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms; ` +
    `status ${JSON.stringify(summary.status)}`,
);

const pct = (s) => `${Math.round((100 * s) / wallS)}%`;
console.log(
  `cpu (of one core): daemon ${daemonCpu !== undefined && cpu0.daemon !== undefined ? pct(daemonCpu - cpu0.daemon) : '?'}, ` +
    `simulator + sampler ${pct((selfCpu.user + selfCpu.system) / 1e6)} (both share this machine's ${(await import('node:os')).cpus().length} cores: lag reflects that too)`,
);

const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok, detail });
const rssOf = (s) => s?.procRss ?? s?.rssBytes;
const mid = samples.find((s) => s.label === 'minute 2' || s.label === 'middle');
check('daemon ran the whole soak', ranThrough && !!end && !interrupted, !ranThrough ? `daemon exited early (${JSON.stringify(stop)})` : interrupted ? 'interrupted' : !end ? 'no end sample' : 'yes');
const maxRss = Math.max(...samples.map(rssOf).filter((x) => x !== undefined));
check(`RSS <= ${TARGET_RSS_MB} MB`, Number.isFinite(maxRss) && maxRss <= TARGET_RSS_MB * 1048576, `max ${mb(maxRss)} MB`);
if (rssOf(mid) !== undefined && rssOf(end) !== undefined) {
  const growth = (rssOf(end) - rssOf(mid)) / rssOf(mid);
  check(`RSS growth < ${TARGET_GROWTH * 100}% (${mid.label} -> end)`, growth < TARGET_GROWTH, `${(growth * 100).toFixed(1)}%`);
} else check(`RSS growth < ${TARGET_GROWTH * 100}%`, false, 'missing samples');
// a window's gauge covers the time since the previous scrape: skip windows that include the warm-up
const lagAfterWarmup = lagSeries.filter((l) => l.at >= startAtMs + SCRAPE_EVERY_MS).map((l) => Math.max(0, l.ms - LAG_SAMPLING_INTERVAL_MS));
if (lagAfterWarmup.length) {
  const sorted = [...lagAfterWarmup].sort((a, b) => a - b);
  const worst = sorted[sorted.length - 1];
  const median = sorted[Math.floor(sorted.length / 2)];
  check(`event-loop lag p99 <= ${TARGET_LAG_MS} ms`, worst <= TARGET_LAG_MS, `worst ${SCRAPE_EVERY_MS / 1000}s-window p99 ${worst.toFixed(1)} ms, median ${median.toFixed(1)} ms over ${sorted.length} windows (gauge minus its ${LAG_SAMPLING_INTERVAL_MS} ms sampling interval; raw worst ${(worst + LAG_SAMPLING_INTERVAL_MS).toFixed(1)} ms)`);
} else check(`event-loop lag p99 <= ${TARGET_LAG_MS} ms`, false, 'no event-loop lag metric found in /metrics');
check('posts accepted (>= 99.9%)', summary.sent > 0 && summary.ok / summary.sent >= 0.999, `${summary.ok}/${summary.sent}`);
const fdStart = samples.find((s) => s.label === 'start')?.fds;
if (fdStart !== undefined && end?.fds !== undefined) {
  // IPC connections are persistent: the fd count should stay near cameras + files
  check('open fds stable (end <= start + 16)', end.fds <= fdStart + 16, `${fdStart} -> ${end.fds}`);
}
check('clean stop (exit 0)', stop.code === 0, JSON.stringify(stop));

console.log('');
for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
if (checks.some((c) => !c.ok)) console.log(`\nlast daemon log lines:\n${tail.slice(-10).join('\n')}`);
if (!keep) rmSync(dir, { recursive: true, force: true });
process.exit(checks.every((c) => c.ok) ? 0 : 1);
