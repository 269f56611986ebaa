import { join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { CamEvent } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { createMetrics, type Metrics } from '../core/metrics.js';
import { CameraAvailability } from '../cameras/availability.js';
import { createAdminServer } from '../admin/server.js';
import { IngestServer } from '../ingest/server.js';
import { createSiteCore } from '../rules/site-core.js';
import { createSinks } from '../sinks/index.js';
import type { Sink } from '../sinks/types.js';
import { openStore } from '../storage/sqlite-store.js';
import { ImageStore } from '../storage/images.js';
import { createNotifier } from '../systemd/notify.js';
import { component, Lifecycle, type Component } from './lifecycle.js';
import { OutputBank } from './output-bank.js';
import { Pipeline } from './pipeline.js';
import { ImageWriter } from './images.js';
import { Ticker } from './ticker.js';
import { buildAdminContext } from './admin-context.js';
import { createStatusPage } from '../admin/status-page/index.js';

export interface Daemon {
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
  readonly config: Config;
  readonly metrics: Metrics;
  readonly bus: Bus;
}

/**
 * The one place that builds camrelay from a config. Every component gets the
 * logger, clock, bus and metrics it needs from here; nothing is global.
 * Start order: storage → outputs (safe state) → core timers → sinks → ingest → admin.
 */
export async function buildDaemon(loaded: LoadedConfig, deps: { logger: Logger; clock: Clock; env: NodeJS.ProcessEnv }): Promise<Daemon> {
  const { config } = loaded;
  const { logger, clock } = deps;
  const log = logger.child({ component: 'daemon' });
  const bus = new Bus();
  const metrics = createMetrics();
  const dataDir = resolve(config.storage.data_dir);
  const site = config.site.id;

  const store = openStore(
    { ...config.storage, data_dir: dataDir, quarantine_max_rows: config.ingest.quarantine_max_rows },
    { logger, clock, site },
  );
  const imageStore = new ImageStore({ ...config.storage.images, dir: join(dataDir, config.storage.images_dir) }, { logger, clock });
  const images = new ImageWriter(imageStore, { logger, metrics, now: () => clock.now() });
  const core = createSiteCore(config, clock.now());
  const availability = new CameraAvailability(config.cameras, { clockSkewThresholdS: config.ingest.clock_skew_threshold_s });
  const outputs = new OutputBank(config.outputs, { logger, clock, bus, metrics });
  const pipeline = new Pipeline({ config, store, images, core, availability, outputs, bus, metrics, logger, clock });

  const override = (id: string, cmd: { state: 'on' | 'off' | 'auto'; for_s?: number }) => pipeline.apply(core.override(id, cmd, clock.now()));

  const sinkSet = await createSinks(config, {
    store,
    logger,
    clock,
    imagesDir: join(dataDir, config.storage.images_dir),
    inventory: () => ({ cameras: availability.states(), zones: core.zones(), outputs: outputs.list() }),
    onCommand: (id, cmd) => {
      try {
        override(id, cmd);
      } catch (e) {
        log.warn({ output: id, err: e }, `MQTT command for output ${id} ignored: ${(e as Error).message}`);
      }
    },
  });
  const sinks: Sink[] = sinkSet.all;
  bus.on('committed', (evs) => {
    for (const e of evs) metrics.eventsStored.inc({ type: e.type });
    sinkSet.notify();
  });
  // Retained state topics follow the live state.
  if (sinkSet.mqtt) {
    const m = sinkSet.mqtt;
    bus.on('zone', (z) => m.publishZone(z));
    bus.on('output', (o) => m.publishOutput(o));
    bus.on('camera', (c) => m.publishCamera(c));
  }

  // Bounds and WAL checks often (default 5 s): cheap when nothing is due, and the database never overshoots max_db_mb for long.
  const ticker = new Ticker({ clock, logger, core, availability, pipeline, store, maintainEveryMs: config.storage.maintain_interval_s * 1000, images: imageStore });
  pipeline.afterApply = () => ticker.schedule();
  // Cloud sources bring their zod schemas and undici (media downloads): loaded only when configured.
  // Without them ingest answers /hooks/* with 404 itself.
  const sources = config.sources.length
    ? (await import('../sources/index.js')).createSourceRouter(config, {
        store,
        logger,
        clock,
        metrics,
        bus,
        onEvents: (evs: CamEvent[]) => evs.forEach((e) => pipeline.apply(core.event(e, clock.now()))),
      })
    : null;
  const ingest = new IngestServer(config.ingest, { logger, metrics, now: () => clock.now(), viewtron: pipeline.viewtron, hooks: sources?.handle });
  const adminCtx = buildAdminContext({ config, store, core, availability, outputs, sinks, metrics, logger, clock, ingest, override });
  const statusPage = createStatusPage({ bus, state: adminCtx.state, store, imagesDir: join(dataDir, config.storage.images_dir), clock, logger, config });
  const admin = createAdminServer({ ...adminCtx, extraRoutes: statusPage.routes, publicPath: statusPage.isPublicPath });
  const notifier = createNotifier({ env: deps.env, logger });

  metrics.setSinkStatsProvider(() =>
    sinks.map((s) => {
      const st = store.sinkStats(s.name);
      // The store reports when the oldest waiting event was stored; the gauge wants its age.
      const age = st.oldest_undelivered_ms === null ? null : Math.max(0, clock.now() - st.oldest_undelivered_ms);
      return { ...st, oldest_undelivered_ms: age, connected: s.status().connected };
    }),
  );
  metrics.setStorageProvider(() => {
    const h = store.health();
    return { db_bytes: h.db_bytes, wal_bytes: h.wal_bytes, writable: h.writable, open: h.open, quarantine_rows: store.quarantineCount() };
  });

  const parts: Component[] = [
    component('storage', () => undefined, () => store.close()),
    component('outputs', () => outputs.start(), async () => {
      // Every shutdown path returns outputs to safe, with an output.off event saying why.
      pipeline.apply(core.shutdown(clock.now()));
      await outputs.stop();
    }),
    component('timers', () => ticker.start(), () => ticker.stop()),
    component('sinks', () => sinkSet.start(), () => sinkSet.stop()),
    component('ingest', () => ingest.start(), () => ingest.stop()),
    component('admin', async () => { await admin.start(); }, async () => { statusPage.close(); await admin.stop(); }),
  ];
  const lifecycle = new Lifecycle(parts, log);

  return {
    config,
    metrics,
    bus,
    async start() {
      await lifecycle.start();
      notifier.ready('camrelay running');
      notifier.startWatchdog(() => store.health().open);
      log.info(
        { ingest: ingest.address, admin: admin.address(), sinks: sinks.map((s) => s.name), outputs: config.outputs.map((o) => `${o.id}:${o.driver}`) },
        'camrelay ready',
      );
    },
    async stop(reason = 'stop') {
      notifier.stopping();
      log.info({ reason }, 'stopping');
      await lifecycle.stop();
      await notifier.stop();
    },
  };
}
