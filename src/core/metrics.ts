import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The daemon's Prometheus series (GET /metrics). One private Registry per
 * daemon (never prom-client's global one) so tests and embedded daemons do
 * not share counters. Other modules receive `Metrics` and increment the typed
 * handles, e.g. `metrics.ingestPosts.inc({ kind: 'traject', result: 'ok' })`.
 */

/** What the daemon reports per sink on each scrape (from storage sinkStats plus the sink's own state). */
export interface SinkMetricsSnapshot {
  sink: string;
  depth: number;
  /**
   * AGE in ms of the oldest undelivered event (null when empty). Note: the
   * store's SinkStats field of the same name is a stored_at timestamp; the
   * provider converts (now - stored_at).
   */
  oldest_undelivered_ms: number | null;
  delivered: number;
  dead_letters: number;
  dropped: number;
  /** undefined when the sink does not know (e.g. a webhook between requests) */
  connected?: boolean;
}

export interface StorageMetricsSnapshot {
  db_bytes: number;
  wal_bytes: number;
  writable: boolean;
  open: boolean;
  quarantine_rows?: number;
}

type L<K extends string> = K;

export interface Metrics {
  registry: Registry;

  // ingest
  ingestPosts: Counter<L<'kind' | 'result'>>;
  ingestRefused: Counter<L<'reason'>>;
  ingestParseFailures: Counter<L<'reason'>>;
  quarantine: Counter<L<'reason'>>;
  ingestDuration: Histogram<L<'kind'>>;
  ingestBytes: Counter<L<'kind'>>;
  hookPosts: Counter<L<'source' | 'result'>>;
  /** media downloads after a hook post (download_media): ok | too_large | http_error | failed */
  hookMedia: Counter<L<'source' | 'result'>>;

  // events and storage
  eventsStored: Counter<L<'type'>>;
  eventsDeduped: Counter<string>;
  storageAppendDuration: Histogram<string>;
  storageErrors: Counter<L<'op'>>;

  // cameras
  cameraLastSeen: Gauge<L<'camera'>>;
  cameraOnline: Gauge<L<'camera'>>;
  cameraClockSkew: Gauge<L<'camera'>>;

  // presence and outputs
  zonePresence: Gauge<L<'zone'>>;
  zoneCount: Gauge<L<'zone'>>;
  zoneTransitions: Counter<L<'zone' | 'state'>>;
  trajectFrames: Counter<L<'camera'>>;
  outputOn: Gauge<L<'output'>>;
  outputSwitches: Counter<L<'output'>>;
  outputErrors: Counter<L<'output'>>;

  // sinks: the counters sinks increment themselves; the gauges come from the provider
  sinkRetries: Counter<L<'sink'>>;
  sinkDeliveryDuration: Histogram<L<'sink'>>;

  // admin
  adminRequests: Counter<L<'route' | 'status'>>;

  /** The daemon hands in a callback read on each scrape (sink depth, oldest age, deliveries, dead letters, dropped). */
  setSinkStatsProvider(fn: (() => SinkMetricsSnapshot[]) | null): void;
  /** Database size and writability, read on each scrape. */
  setStorageProvider(fn: (() => StorageMetricsSnapshot) | null): void;
  /** Stops the event-loop delay monitor. */
  close(): void;
}

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const counter = <K extends string>(name: string, help: string, labelNames: K[]) =>
    new Counter<K>({ name, help, labelNames, registers });
  const gauge = <K extends string>(name: string, help: string, labelNames: K[]) =>
    new Gauge<K>({ name, help, labelNames, registers });
  const histogram = <K extends string>(name: string, help: string, labelNames: K[], buckets = LATENCY_BUCKETS) =>
    new Histogram<K>({ name, help, labelNames, buckets, registers });

  let sinkProvider: (() => SinkMetricsSnapshot[]) | null = null;
  let storageProvider: (() => StorageMetricsSnapshot) | null = null;

  // Six gauges read the same provider on one scrape: cache its answer briefly so
  // the daemon's callback (SQLite queries) runs once per scrape, not six times.
  let sinkCache: { at: number; rows: SinkMetricsSnapshot[] } | null = null;
  const sinkRows = (): SinkMetricsSnapshot[] => {
    if (!sinkProvider) return [];
    const t = performance.now();
    if (sinkCache && t - sinkCache.at < 200) return sinkCache.rows;
    let rows: SinkMetricsSnapshot[] = [];
    try {
      rows = sinkProvider();
    } catch {
      rows = []; // a failing provider must not break /metrics
    }
    sinkCache = { at: t, rows };
    return rows;
  };
  const sinkGauge = (name: string, help: string, pick: (s: SinkMetricsSnapshot) => number | null) =>
    new Gauge<'sink'>({
      name,
      help,
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of sinkRows()) {
          const v = pick(s);
          if (v !== null) this.set({ sink: s.sink }, v);
        }
      },
    });

  let storageCache: { at: number; snap: StorageMetricsSnapshot | null } | null = null;
  const storageSnap = (): StorageMetricsSnapshot | null => {
    if (!storageProvider) return null;
    const t = performance.now();
    if (storageCache && t - storageCache.at < 200) return storageCache.snap;
    let snap: StorageMetricsSnapshot | null = null;
    try {
      snap = storageProvider();
    } catch {
      snap = null;
    }
    storageCache = { at: t, snap };
    return snap;
  };
  const storageGauge = (name: string, help: string, pick: (s: StorageMetricsSnapshot) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const s = storageSnap();
        const v = s ? pick(s) : undefined;
        if (v !== undefined) this.set(v);
      },
    });

  sinkGauge('camrelay_sink_depth', 'Undelivered events queued for the sink', (s) => s.depth);
  sinkGauge('camrelay_sink_oldest_undelivered_age_seconds', 'Age of the oldest undelivered event (0 when empty); the provider passes the age in ms', (s) =>
    s.oldest_undelivered_ms === null ? 0 : Math.max(0, s.oldest_undelivered_ms) / 1000,
  );
  sinkGauge('camrelay_sink_delivered', 'Events delivered to the sink (as recorded by the store)', (s) => s.delivered);
  sinkGauge('camrelay_sink_dead_letters', 'Events in the sink dead-letter queue', (s) => s.dead_letters);
  sinkGauge('camrelay_sink_dropped', 'Events dropped for the sink (age or size bounds)', (s) => s.dropped);
  sinkGauge('camrelay_sink_connected', '1 when the sink is connected, 0 when not', (s) =>
    s.connected === undefined ? null : s.connected ? 1 : 0,
  );

  storageGauge('camrelay_storage_db_bytes', 'SQLite database file size', (s) => s.db_bytes);
  storageGauge('camrelay_storage_wal_bytes', 'SQLite WAL file size', (s) => s.wal_bytes);
  storageGauge('camrelay_storage_writable', '1 when the store accepts writes', (s) => (s.open && s.writable ? 1 : 0));
  storageGauge('camrelay_storage_open', '1 when the database is open', (s) => (s.open ? 1 : 0));
  storageGauge('camrelay_quarantine_rows', 'Quarantine records currently kept', (s) => s.quarantine_rows);

  // Event-loop delay since the previous scrape (the histogram is reset after each read).
  // The histogram records timer interval + delay, so the 10 ms resolution is subtracted: an idle loop reads 0.
  const LAG_RESOLUTION_NS = 10e6;
  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let loopRead: { at: number; p50: number; p99: number; max: number } | null = null;
  const loopStats = () => {
    const t = performance.now();
    if (!loopRead || t - loopRead.at > 200) {
      const ok = loop.count > 0;
      loopRead = {
        at: t,
        p50: ok ? Math.max(0, loop.percentile(50) - LAG_RESOLUTION_NS) / 1e9 : 0,
        p99: ok ? Math.max(0, loop.percentile(99) - LAG_RESOLUTION_NS) / 1e9 : 0,
        max: ok ? Math.max(0, loop.max - LAG_RESOLUTION_NS) / 1e9 : 0,
      };
      loop.reset();
    }
    return loopRead;
  };
  new Gauge({
    name: 'camrelay_event_loop_lag_p50_seconds',
    help: 'Event-loop delay p50 since the previous scrape',
    registers,
    collect() {
      this.set(loopStats().p50);
    },
  });
  new Gauge({
    name: 'camrelay_event_loop_lag_p99_seconds',
    help: 'Event-loop delay p99 since the previous scrape',
    registers,
    collect() {
      this.set(loopStats().p99);
    },
  });
  new Gauge({
    name: 'camrelay_event_loop_lag_max_seconds',
    help: 'Event-loop delay max since the previous scrape',
    registers,
    collect() {
      this.set(loopStats().max);
    },
  });

  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'camrelay_' });

  return {
    registry,
    ingestPosts: counter('camrelay_ingest_posts_total', 'Posts received on the ingest listener by kind and result', ['kind', 'result']),
    ingestRefused: counter('camrelay_ingest_refused_total', 'Requests refused before parsing (auth, CIDR, size, method)', ['reason']),
    ingestParseFailures: counter('camrelay_ingest_parse_failures_total', 'Posts that could not be parsed', ['reason']),
    quarantine: counter('camrelay_quarantine_total', 'Posts kept in quarantine for review', ['reason']),
    ingestDuration: histogram('camrelay_ingest_duration_seconds', 'Time from request end to response by post kind', ['kind']),
    ingestBytes: counter('camrelay_ingest_bytes_total', 'Request body bytes received by post kind', ['kind']),
    hookPosts: counter('camrelay_hook_posts_total', 'Analytics webhooks received by source and result', ['source', 'result']),
    hookMedia: counter('camrelay_hook_media_downloads_total', 'Media downloads after analytics webhooks by source and result', ['source', 'result']),

    eventsStored: counter('camrelay_events_stored_total', 'Events committed to storage by type', ['type']),
    eventsDeduped: counter('camrelay_events_deduped_total', 'Events skipped because their id was already stored', []),
    storageAppendDuration: histogram('camrelay_storage_append_duration_seconds', 'Time for an append to become durable', []),
    storageErrors: counter('camrelay_storage_errors_total', 'Storage operations that failed', ['op']),

    cameraLastSeen: gauge('camrelay_camera_last_seen_timestamp_seconds', 'Unix time of the last post or keepalive', ['camera']),
    cameraOnline: gauge('camrelay_camera_online', '1 online, 0 offline or never seen', ['camera']),
    cameraClockSkew: gauge('camrelay_camera_clock_skew_seconds', 'Device clock minus box clock', ['camera']),

    zonePresence: gauge('camrelay_zone_presence', '1 when the zone is occupied', ['zone']),
    zoneCount: gauge('camrelay_zone_count', 'Targets currently in the zone', ['zone']),
    zoneTransitions: counter('camrelay_zone_transitions_total', 'Presence on/off transitions', ['zone', 'state']),
    trajectFrames: counter('camrelay_traject_frames_total', 'Traject frames applied to presence', ['camera']),
    outputOn: gauge('camrelay_output_on', '1 when the output is on', ['output']),
    outputSwitches: counter('camrelay_output_switches_total', 'Output state changes', ['output']),
    outputErrors: counter('camrelay_output_errors_total', 'Output driver failures', ['output']),

    sinkRetries: counter('camrelay_sink_retries_total', 'Delivery attempts that will be retried', ['sink']),
    sinkDeliveryDuration: histogram('camrelay_sink_delivery_duration_seconds', 'Time per delivery attempt', ['sink']),

    adminRequests: counter('camrelay_admin_requests_total', 'Admin API requests by route and status', ['route', 'status']),

    setSinkStatsProvider(fn) {
      sinkProvider = fn;
      sinkCache = null;
    },
    setStorageProvider(fn) {
      storageProvider = fn;
      storageCache = null;
    },
    close() {
      loop.disable();
    },
  };
}
