import { setMaxListeners } from 'node:events';
import type { Logger } from '../core/logger.js';
import { systemClock, type Clock } from '../core/clock.js';
import { ipcPlan, nvrPlan, type ImageMode, type PlannedPost, type PostKind } from './plan.js';
import { SCENARIOS, type Scenario } from './scene.js';
import { StatsCollector, type Summary } from './stats.js';
import { ipcTransport, nvrTransport, type DeviceTransport } from './transport.js';

export type { Summary } from './stats.js';
export type { Scenario } from './scene.js';
export type { ImageMode, PostKind, PlannedPost } from './plan.js';

export interface SimulationOptions {
  /** where the devices post, e.g. http://127.0.0.1:8080/API */
  url: string;
  /** IPCs posting directly, or (nvr) channels behind one NVR */
  cameras: number;
  nvr?: boolean;
  /** traject posts per second while a target is in view (default 7) */
  rate?: number;
  /** seconds; undefined runs until the signal aborts */
  durationS?: number;
  scenario?: Scenario;
  /** PRNG seed: same seed and start time, same bodies (default 1) */
  seed?: number;
  images?: ImageMode;
  /** wall-clock ms the devices' clocks start at (default: now) */
  startTimeMs?: number;
  /** IPC keepalive interval in s (default 30) */
  keepaliveS?: number;
  /** alarm status goes off this long after the last activity (default 10) */
  alarmHoldS?: number;
  /** per-post timeout (default 10000) */
  timeoutMs?: number;
}

export interface SentPost {
  camera: number;
  kind: PostKind;
  detail: string;
  bytes: number;
  status: string;
  latencyMs: number;
  /** the body, for tests and verbose output */
  body: string;
}

export interface SimulationHooks {
  logger?: Logger;
  /** stops the run early (SIGINT in the CLI); in-flight posts finish first */
  signal?: AbortSignal;
  onPost?: (p: SentPost) => void;
  clock?: Clock;
}

export function validateOptions(o: SimulationOptions): Required<Omit<SimulationOptions, 'durationS' | 'startTimeMs'>> & Pick<SimulationOptions, 'durationS' | 'startTimeMs'> {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new Error(`url "${o.url}" is not a URL`);
  }
  if (url.protocol !== 'http:') throw new Error('the simulator posts plain http:// like the devices do');
  const rate = o.rate ?? 7;
  if (!Number.isInteger(o.cameras) || o.cameras < 1 || o.cameras > 4096) throw new Error('cameras must be an integer 1..4096');
  if (!(rate > 0 && rate <= 50)) throw new Error('rate must be > 0 and <= 50 posts/s');
  if (o.durationS !== undefined && !(o.durationS > 0)) throw new Error('duration must be > 0 seconds');
  const scenario = o.scenario ?? 'walk';
  if (!SCENARIOS.includes(scenario)) throw new Error(`scenario must be one of ${SCENARIOS.join(', ')}`);
  const images = o.images ?? 'jpeg';
  if (!['none', 'placeholder', 'jpeg'].includes(images)) throw new Error('images must be none, placeholder or jpeg');
  const keepaliveS = o.keepaliveS ?? 30;
  if (!(keepaliveS > 0)) throw new Error('keepaliveS must be > 0');
  return {
    url: o.url,
    cameras: o.cameras,
    nvr: o.nvr ?? false,
    rate,
    durationS: o.durationS,
    scenario,
    seed: (o.seed ?? 1) >>> 0,
    images,
    startTimeMs: o.startTimeMs,
    keepaliveS,
    alarmHoldS: o.alarmHoldS ?? 10,
    timeoutMs: o.timeoutMs ?? 10_000,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs N simulated devices against a URL in real time and resolves with what
 * was sent and how the server answered. Stops at the end of the duration or
 * when `hooks.signal` aborts; posts already in flight complete first.
 */
export async function runSimulation(opts: SimulationOptions, hooks: SimulationHooks = {}): Promise<Summary> {
  const o = validateOptions(opts);
  const log = hooks.logger?.child({ component: 'simulate' });
  const clock = hooks.clock ?? systemClock;
  const url = new URL(o.url);
  const stop = new AbortController();
  // every device loop waits on this signal: 64 cameras are 64 listeners, not a leak
  setMaxListeners(0, stop.signal);
  const onOuterAbort = () => stop.abort();
  hooks.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (hooks.signal?.aborted) stop.abort();

  const durationMs = o.durationS !== undefined ? Math.round(o.durationS * 1000) : undefined;
  const planOpts = {
    seed: o.seed,
    scenario: o.scenario,
    rate: o.rate,
    images: o.images,
    startMs: o.startTimeMs ?? clock.now(),
    keepaliveS: o.keepaliveS,
    alarmHoldS: o.alarmHoldS,
    durationMs,
  };
  const devices: { plan: Generator<PlannedPost>; transport: DeviceTransport; name: string }[] = o.nvr
    ? [{ plan: nvrPlan(o.cameras, planOpts), transport: nvrTransport(url, o.timeoutMs), name: 'sim-nvr-1' }]
    : Array.from({ length: o.cameras }, (_, i) => ({
        plan: ipcPlan(i + 1, planOpts),
        transport: ipcTransport(url, o.timeoutMs),
        name: `sim-cam-${i + 1}`,
      }));

  const stats = new StatsCollector();
  log?.info({ cameras: o.cameras, nvr: o.nvr, scenario: o.scenario, rate: o.rate, seed: o.seed, url: o.url }, 'simulation starting');
  const t0 = performance.now();
  const timer = durationMs !== undefined ? setTimeout(() => stop.abort(), durationMs) : undefined;

  const drive = async (d: (typeof devices)[number]) => {
    let warned = false;
    for (const p of d.plan) {
      if (stop.signal.aborted) break;
      const due = t0 + p.at;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, stop.signal);
      if (stop.signal.aborted) break;
      const lag = performance.now() - due;
      const res = await d.transport.post(p.body);
      const bytes = Buffer.byteLength(p.body);
      stats.record(p.kind, p.detail, bytes, res.status, res.latencyMs, lag);
      if (!warned && !/^2\d\d$/.test(res.status)) {
        warned = true;
        log?.warn({ device: d.name, kind: p.kind, status: res.status }, 'post not accepted');
      }
      hooks.onPost?.({ camera: p.camera, kind: p.kind, detail: p.detail, bytes, status: res.status, latencyMs: res.latencyMs, body: p.body });
    }
  };

  try {
    await Promise.all(devices.map(drive));
    // a plan can run out of posts before the end (nothing in view): the run still lasts its duration
    if (durationMs !== undefined) await sleep(t0 + durationMs - performance.now(), stop.signal);
  } finally {
    if (timer) clearTimeout(timer);
    hooks.signal?.removeEventListener('abort', onOuterAbort);
    await Promise.all(devices.map((d) => d.transport.close()));
  }
  const elapsedS = Math.round((performance.now() - t0) / 10) / 100;
  const ended = hooks.signal?.aborted ? 'stopped' : 'duration';
  const summary = stats.summary({
    seed: o.seed,
    cameras: o.cameras,
    nvr: o.nvr,
    scenario: o.scenario,
    rate: o.rate,
    images: o.images,
    url: o.url,
    elapsedS,
    ended,
  });
  log?.info({ sent: summary.sent, ok: summary.ok, failed: summary.failed }, 'simulation finished');
  return summary;
}
