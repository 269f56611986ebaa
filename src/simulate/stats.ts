import type { PostKind } from './plan.js';

/**
 * Constant-memory latency histogram (log buckets, ~4% wide) so a run of any
 * length can report p50/p99 without keeping every sample.
 */
export class LatencyHistogram {
  private static readonly MIN = 0.01;
  private static readonly RATIO = Math.log(1.04);
  private readonly buckets = new Float64Array(600);
  count = 0;
  max = 0;
  sum = 0;

  add(ms: number): void {
    const v = Math.max(ms, LatencyHistogram.MIN);
    const i = Math.min(this.buckets.length - 1, Math.floor(Math.log(v / LatencyHistogram.MIN) / LatencyHistogram.RATIO));
    this.buckets[i]! += 1;
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return Math.min(this.max, LatencyHistogram.MIN * Math.exp((i + 1) * LatencyHistogram.RATIO));
    }
    return this.max;
  }
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface KindSummary {
  sent: number;
  bytes: number;
  /** response status code -> count; transport failures as "error:<code>" */
  status: Record<string, number>;
  latencyMs: LatencySummary;
}

export interface Summary {
  seed: number;
  cameras: number;
  nvr: boolean;
  scenario: string;
  rate: number;
  images: string;
  url: string;
  /** wall-clock seconds the run took */
  elapsedS: number;
  /** how it ended: the duration ran out, or it was stopped (signal) */
  ended: 'duration' | 'stopped';
  sent: number;
  /** answered with 2xx */
  ok: number;
  /** answered with another status, or failed at transport level */
  failed: number;
  bytes: number;
  status: Record<string, number>;
  byKind: Record<PostKind, KindSummary>;
  /** alarm data posts by smartType ("PEA", "VEHICE", "regionIntrusion", ...) */
  alarms: Record<string, number>;
  latencyMs: LatencySummary;
  /** how far behind its planned time a post went out (client-side backlog) */
  lagMs: LatencySummary;
}

const round = (n: number) => Math.round(n * 100) / 100;
export function summarize(h: LatencyHistogram): LatencySummary {
  return { p50: round(h.quantile(0.5)), p99: round(h.quantile(0.99)), max: round(h.max), mean: round(h.count ? h.sum / h.count : 0) };
}

export const KINDS: readonly PostKind[] = ['keepalive', 'traject', 'alarmStatus', 'alarmData'];

/** Accumulates post results into a Summary. */
export class StatsCollector {
  private readonly all = new LatencyHistogram();
  private readonly lag = new LatencyHistogram();
  private readonly kinds = new Map<PostKind, { sent: number; bytes: number; status: Record<string, number>; h: LatencyHistogram }>(
    KINDS.map((k) => [k, { sent: 0, bytes: 0, status: {}, h: new LatencyHistogram() }]),
  );
  readonly status: Record<string, number> = {};
  readonly alarms: Record<string, number> = {};
  sent = 0;
  ok = 0;
  failed = 0;
  bytes = 0;

  record(kind: PostKind, detail: string, bytes: number, status: string, latencyMs: number, lagMs: number): void {
    const k = this.kinds.get(kind)!;
    k.sent += 1;
    k.bytes += bytes;
    k.status[status] = (k.status[status] ?? 0) + 1;
    k.h.add(latencyMs);
    this.all.add(latencyMs);
    this.lag.add(Math.max(0, lagMs));
    this.status[status] = (this.status[status] ?? 0) + 1;
    if (kind === 'alarmData') this.alarms[detail] = (this.alarms[detail] ?? 0) + 1;
    this.sent += 1;
    this.bytes += bytes;
    if (/^2\d\d$/.test(status)) this.ok += 1;
    else this.failed += 1;
  }

  summary(meta: Omit<Summary, 'sent' | 'ok' | 'failed' | 'bytes' | 'status' | 'byKind' | 'alarms' | 'latencyMs' | 'lagMs'>): Summary {
    const byKind = {} as Record<PostKind, KindSummary>;
    for (const [kind, k] of this.kinds) byKind[kind] = { sent: k.sent, bytes: k.bytes, status: { ...k.status }, latencyMs: summarize(k.h) };
    return {
      ...meta,
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      bytes: this.bytes,
      status: { ...this.status },
      byKind,
      alarms: { ...this.alarms },
      latencyMs: summarize(this.all),
      lagMs: summarize(this.lag),
    };
  }
}
