import type { AdminContext, OverrideResult, SinkStateView } from '../admin/context.js';
import { combineChecks, recentPostCheck, storageReadyCheck } from '../admin/context.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { CameraAvailability } from '../cameras/availability.js';
import type { IngestServer } from '../ingest/server.js';
import { UnknownOutput, type SiteCore } from '../rules/site-core.js';
import type { Sink } from '../sinks/types.js';
import type { EventStore } from '../storage/types.js';
import type { OutputBank } from './output-bank.js';

export interface AdminContextDeps {
  config: Config;
  store: EventStore;
  core: SiteCore;
  availability: CameraAvailability;
  outputs: OutputBank;
  sinks: Sink[];
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  ingest: IngestServer;
  override: (id: string, cmd: { state: 'on' | 'off' | 'auto'; for_s?: number }) => void;
}

/** What the admin listener sees of the daemon: read-only views plus the override entry point. */
export function buildAdminContext(d: AdminContextDeps): AdminContext {
  const sinkViews = (): SinkStateView[] =>
    d.sinks.map((s) => {
      const st = d.store.sinkStats(s.name);
      const status = s.status();
      return {
        name: s.name,
        connected: status.connected,
        depth: st.depth,
        oldest_age_s: st.oldest_undelivered_ms === null ? null : Math.round((d.clock.now() - st.oldest_undelivered_ms) / 1000),
        last_error: status.last_error,
        dead_letters: st.dead_letters,
        delivered: st.delivered,
        dropped: st.dropped,
      } as SinkStateView;
    });
  return {
    logger: d.logger,
    clock: d.clock,
    metrics: d.metrics,
    token: d.config.admin.token,
    listen: d.config.admin.listen,
    store: d.store,
    ready() {
      const now = d.clock.now();
      const seen = d.availability
        .states()
        .map((c) => (c.last_seen ? Date.parse(c.last_seen) : null))
        .filter((x): x is number => x !== null);
      const outputs = d.outputs.availability();
      return combineChecks({
        storage: storageReadyCheck(d.store.health()),
        ingest: d.ingest.address ? { ok: true, detail: `listening on port ${d.ingest.address.port}` } : { ok: false, detail: 'ingest listener is down' },
        recent_post: recentPostCheck(seen.length ? Math.max(...seen) : null, now, d.config.admin.ready_requires_post_within_s),
        ...Object.fromEntries(outputs.map((o) => [`output:${o.id}`, o.ok ? { ok: true } : { ok: false, detail: o.error ?? 'unavailable' }])),
      });
    },
    state() {
      return {
        site: { id: d.config.site.id, name: d.config.site.name },
        cameras: d.availability.states(),
        zones: d.core.zones(),
        outputs: d.outputs.list(),
        sinks: sinkViews(),
        storage: d.store.health(),
      };
    },
    override(id, cmd): OverrideResult {
      try {
        d.override(id, cmd);
      } catch (e) {
        if (e instanceof UnknownOutput) return { ok: false, status: 404, message: e.message };
        throw e;
      }
      const out = d.outputs.list().find((o) => o.id === id);
      return out ? { ok: true, output: out } : { ok: false, status: 404, message: `unknown output "${id}"` };
    },
  };
}
