import type { CamEvent } from '../core/event.js';

/**
 * Pure webhook delivery decisions: which events an endpoint wants and what an
 * HTTP outcome means. No I/O.
 */

export interface EndpointFilter {
  types: string[];
  cameras: string[];
}

/**
 * Empty lists match everything. Types match `alarm.intrusion`, its CloudEvents
 * form `camrelay.alarm.intrusion`, or a prefix pattern `alarm.*`.
 */
export function matchesFilter(f: EndpointFilter, ev: CamEvent): boolean {
  if (f.cameras.length > 0 && !f.cameras.includes(ev.camera)) return false;
  if (f.types.length === 0) return true;
  return f.types.some((raw) => {
    const t = raw.startsWith('camrelay.') ? raw.slice('camrelay.'.length) : raw;
    if (t === '*') return true;
    if (t.endsWith('.*')) return ev.type.startsWith(t.slice(0, -1));
    return ev.type === t;
  });
}

export type Outcome =
  | { kind: 'ok' }
  /** retry on the schedule (or after retryAfterMs when the server said so) */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** the endpoint refuses these events for good */
  | { kind: 'dead'; reason: string }
  /** 410 Gone: the endpoint asked never to be called again */
  | { kind: 'disable'; reason: string };

export function classifyStatus(status: number, retryAfterMs: number | null): Outcome {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 410) return { kind: 'disable', reason: 'HTTP 410 Gone' };
  if (status === 429 || status === 503) {
    return retryAfterMs === null
      ? { kind: 'retry', reason: `HTTP ${status}` }
      : { kind: 'retry', reason: `HTTP ${status}`, retryAfterMs };
  }
  if (status === 408 || status === 425 || status >= 500) return { kind: 'retry', reason: `HTTP ${status}` };
  // redirects are not followed (a signed body must not be re-posted elsewhere); a
  // misconfigured URL may be fixed, so the events wait on the retry schedule until max_age
  if (status >= 300 && status < 400) return { kind: 'retry', reason: `HTTP ${status} (redirects are not followed)` };
  return { kind: 'dead', reason: `HTTP ${status}` };
}
