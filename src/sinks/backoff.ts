/**
 * Pure retry-delay helpers (no timers here). `rand` is injected so tests are
 * deterministic; callers pass Math.random.
 */

/** Exponential backoff with ±20% jitter: min·2^attempt, capped at max. */
export function expBackoffMs(attempt: number, minMs: number, maxMs: number, rand: () => number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(Math.min(maxMs, base * (0.8 + 0.4 * rand())));
}

/**
 * Delay before the next attempt after `failures` consecutive failures, from a
 * schedule whose entry 0 is the first attempt (Standard Webhooks style:
 * immediately, 5 s, 5 min, ...). The last entry repeats. ±20% jitter.
 */
export function scheduleDelayMs(schedule_s: readonly number[], failures: number, rand: () => number): number {
  if (schedule_s.length === 0) return 0;
  const i = Math.min(Math.max(failures, 0), schedule_s.length - 1);
  const base = (schedule_s[i] ?? 0) * 1000;
  return Math.max(0, Math.round(base * (0.8 + 0.4 * rand())));
}

/**
 * Retry-After: delta seconds or an HTTP date. Returns ms from `now`, or null
 * when absent/unparseable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now);
}
