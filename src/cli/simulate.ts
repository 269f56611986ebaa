import { randomInt } from 'node:crypto';
import { runSimulation, type SimulationOptions, type Summary } from '../simulate/run.js';
import { KINDS } from '../simulate/stats.js';
import { SCENARIOS, type Scenario } from '../simulate/scene.js';
import type { ImageMode } from '../simulate/plan.js';
import { parseFlags, UsageError, type CliCommand, type CliIO } from './types.js';

function formatSummary(s: Summary): string {
  const lines: string[] = [];
  const mode = s.nvr ? `1 NVR with ${s.cameras} channel(s)` : `${s.cameras} camera(s)`;
  lines.push(
    `simulated ${mode}, scenario ${s.scenario}, ${s.rate}/s traject, images ${s.images}, seed ${s.seed}: ` +
      `${s.sent} posts in ${s.elapsedS}s (${s.ended === 'stopped' ? 'stopped' : 'duration reached'})`,
  );
  lines.push('kind         sent      bytes   p50 ms   p99 ms  status');
  for (const k of KINDS) {
    const b = s.byKind[k];
    if (b.sent === 0) continue;
    const status = Object.entries(b.status)
      .map(([c, n]) => `${c}:${n}`)
      .join(' ');
    lines.push(
      `${k.padEnd(11)} ${String(b.sent).padStart(5)} ${String(b.bytes).padStart(10)} ${b.latencyMs.p50.toFixed(1).padStart(8)} ${b.latencyMs.p99
        .toFixed(1)
        .padStart(8)}  ${status}`,
    );
  }
  const alarms = Object.entries(s.alarms)
    .map(([t, n]) => `${t}:${n}`)
    .join(' ');
  if (alarms) lines.push(`alarm data by type: ${alarms}`);
  lines.push(
    `total: ${s.ok} accepted, ${s.failed} not accepted; latency p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms; ` +
      `send lag p99 ${s.lagMs.p99} ms`,
  );
  return lines.join('\n');
}

const command: CliCommand = {
  name: 'simulate',
  summary: 'simulate Viewtron cameras or an NVR posting to a URL (demos, soak, benchmarks)',
  usage: `Usage: camrelay simulate --url URL --cameras N [options]

Posts what N Viewtron cameras would post while simulated people and cars cross their view:
keepalives (empty and <DeviceInfo>), traject at --rate while a target is in view (fresh
target id per crossing), alarm status on/off round each alarm, and alarm data (PEA intrusion
and tripwire, LOITER, LPR with plate and list, face) with images. IPC mode uses one
keep-alive connection per camera and application/xml; --nvr posts NVR v2.0 XML from one NVR
with N channels, one connection per post with an absolute-form request line.
Prints a summary per kind of post with response codes and latency.

Options:
  --url URL          where to post, e.g. http://127.0.0.1:8080/API (required)
  --cameras N        number of cameras (or NVR channels) (required)
  --nvr              post as an NVR (v2.0: keepalive, alarmStatus, alarmData; no traject)
  --rate R           traject posts per second while a target is in view (default 7)
  --duration S       stop after S seconds (default: run until Ctrl-C)
  --scenario NAME    ${SCENARIOS.join(' | ')} (default walk)
  --seed K           PRNG seed; the same seed gives the same posts (default: random, printed)
  --images MODE      none | placeholder | jpeg (default jpeg: small valid generated JPEGs)
  --keepalive S      camera keepalive interval in seconds (default 30; the NVR uses 10)
  --alarm-hold S     alarm status goes off S seconds after the last activity (default 10)
  --verbose          print one line per post
  --json             print the summary as JSON (for scripts)`,
  async run(argv: string[], io: CliIO) {
    const { flags, positionals } = parseFlags(argv, {
      url: { type: 'string' },
      cameras: { type: 'number' },
      nvr: { type: 'boolean' },
      rate: { type: 'number' },
      duration: { type: 'number' },
      scenario: { type: 'string' },
      seed: { type: 'number' },
      images: { type: 'string' },
      keepalive: { type: 'number' },
      'alarm-hold': { type: 'number' },
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!flags.url) throw new UsageError('--url is required');
    if (flags.cameras === undefined) throw new UsageError('--cameras is required');
    const scenario = (flags.scenario as string | undefined) ?? 'walk';
    if (!SCENARIOS.includes(scenario as Scenario)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}`);
    const images = (flags.images as string | undefined) ?? 'jpeg';
    if (!['none', 'placeholder', 'jpeg'].includes(images)) throw new UsageError('--images must be none, placeholder or jpeg');
    const seed = flags.seed !== undefined ? Number(flags.seed) : randomInt(1, 2 ** 31 - 1);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a non-negative integer');
    const opts: SimulationOptions = {
      url: String(flags.url),
      cameras: Number(flags.cameras),
      nvr: flags.nvr === true,
      rate: flags.rate as number | undefined,
      durationS: flags.duration as number | undefined,
      scenario: scenario as Scenario,
      seed,
      images: images as ImageMode,
      keepaliveS: flags.keepalive as number | undefined,
      alarmHoldS: flags['alarm-hold'] as number | undefined,
    };
    try {
      new URL(opts.url);
    } catch {
      throw new UsageError(`--url "${opts.url}" is not a URL`);
    }
    if (!Number.isInteger(opts.cameras) || opts.cameras < 1) throw new UsageError('--cameras must be a positive integer');

    const ac = new AbortController();
    const onSigint = () => {
      if (!flags.json) io.stderr.write('stopping (in-flight posts finish first)...\n');
      ac.abort();
    };
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigint);
    let progress: NodeJS.Timeout | undefined;
    let sent = 0;
    let failed = 0;
    if (!flags.json && !flags.verbose) {
      io.stdout.write(`simulating against ${opts.url} (seed ${seed}); Ctrl-C stops\n`);
      progress = setInterval(() => io.stdout.write(`  ${sent} posts sent, ${failed} not accepted\n`), 5000);
      progress.unref();
    }
    try {
      const summary = await runSimulation(opts, {
        signal: ac.signal,
        onPost: (p) => {
          sent += 1;
          if (!/^2\d\d$/.test(p.status)) failed += 1;
          if (flags.verbose && !flags.json) {
            io.stdout.write(`${p.camera === 0 ? 'nvr' : `cam${p.camera}`} ${p.kind} ${p.detail} ${p.bytes}B -> ${p.status} ${p.latencyMs.toFixed(1)}ms\n`);
          }
        },
      });
      io.stdout.write((flags.json ? JSON.stringify(summary, null, 2) : formatSummary(summary)) + '\n');
      // connection failures on every post mean the URL is wrong or the receiver is down
      return summary.sent > 0 && summary.ok === 0 ? 1 : 0;
    } catch (e) {
      if (e instanceof Error && /must be|is not a URL|plain http/.test(e.message)) throw new UsageError(e.message);
      throw e;
    } finally {
      if (progress) clearInterval(progress);
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigint);
    }
  },
};
export default command;
