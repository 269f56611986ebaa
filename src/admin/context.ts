import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CameraState, OutputState, ZoneState } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { EventStore, StorageHealth } from '../storage/types.js';

/**
 * What the admin listener needs from the daemon. The wiring module builds it;
 * tests build a small one. The server never reaches into components directly.
 */

export interface ReadyCheck {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, ReadyCheck>;
}

export interface SinkStateView {
  name: string;
  connected: boolean | null;
  depth: number;
  oldest_age_s: number | null;
  last_error: string | null;
  dead_letters: number;
  delivered?: number;
  dropped?: number;
}

export interface DaemonStateView {
  site: { id: string; name: string };
  cameras: CameraState[];
  zones: ZoneState[];
  outputs: OutputState[];
  sinks: SinkStateView[];
  storage: StorageHealth;
}

export interface OverrideCommand {
  state: 'on' | 'off' | 'auto';
  /** manual override duration; absent = until the next command */
  for_s?: number;
}

export type OverrideResult =
  | { ok: true; output: OutputState }
  | { ok: false; status: 404 | 409; message: string };

/** Return true when the route was handled (the response is then the route's business). */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface AdminContext {
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  /** bearer token; required for mutations, and for everything but /healthz off loopback */
  token?: string;
  /** "host:port" (config admin.listen) */
  listen: string;
  store: EventStore;
  /**
   * The daemon's readiness checks (storage open and writable, listeners up,
   * camera posted recently...). The server adds nothing of its own except
   * that it is itself listening.
   */
  ready(): Readiness;
  state(): DaemonStateView;
  override(outputId: string, cmd: OverrideCommand): OverrideResult | Promise<OverrideResult>;
  extraRoutes?: ExtraRoutes;
  /** GET paths of extraRoutes served without a token even off loopback (static page files only, never data) */
  publicPath?: (path: string) => boolean;
}

/**
 * Standard readiness checks the daemon can compose into ready(): storage
 * open and writable, and optionally "some camera posted within N s".
 */
export function storageReadyCheck(health: StorageHealth): ReadyCheck {
  if (!health.open) return { ok: false, detail: 'database not open' };
  if (!health.writable) return { ok: false, detail: `storage not writable${health.last_error ? `: ${health.last_error}` : ''}` };
  return { ok: true };
}

export function recentPostCheck(lastSeenAny: number | null, now: number, withinS: number): ReadyCheck {
  if (withinS <= 0) return { ok: true, detail: 'not required' };
  if (lastSeenAny === null) return { ok: false, detail: 'no camera has posted yet' };
  const age = (now - lastSeenAny) / 1000;
  return age <= withinS
    ? { ok: true, detail: `last post ${Math.round(age)} s ago` }
    : { ok: false, detail: `no camera posted for ${Math.round(age)} s (limit ${withinS} s)` };
}

export function combineChecks(checks: Record<string, ReadyCheck>): Readiness {
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}
