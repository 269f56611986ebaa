import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/schema.js';
import type { Bus, CameraState, OutputState, ZoneState } from '../../core/bus.js';
import type { Clock } from '../../core/clock.js';
import type { CamEvent, ImageRef } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import type { EventStore } from '../../storage/types.js';
import type { DaemonStateView, ExtraRoutes } from '../context.js';
import { sendJson } from '../server.js';
import { DEFAULT_ASSETS_DIR, loadAssets, resolveImage, sendAsset, sendImage, type Asset } from './files.js';
import { StreamHub, type TrajectFrame } from './stream.js';

/**
 * The live status page (docs/status-page.md): static page at `/`, its
 * config at /api/status-page/config, live updates at /api/stream (SSE) and
 * alarm snapshots at /images/<file>. Mounted on the admin listener through
 * `extraRoutes`, so the admin server's bearer-token rules apply to all of it.
 */

export type StatusPageConfig = Pick<Config, 'cameras' | 'zones' | 'outputs' | 'rules' | 'site'>;

export interface StatusPageDeps {
  bus: Bus;
  state: () => DaemonStateView;
  store: EventStore;
  imagesDir: string;
  clock: Clock;
  logger: Logger;
  /** zones' polygons and names for drawing; without it the page draws what the state knows (whole-frame zones) */
  config?: StatusPageConfig;
  /** coalescing interval of the stream (default 200 ms) */
  throttleMs?: number;
  /** comment line every N ms so proxies and the client watchdog see the stream alive (default 15 s) */
  heartbeatMs?: number;
  /** state re-sent at least this often even without a change: last-seen ages, sink depth (default 2 s) */
  refreshMs?: number;
  /** per-client write backlog above which the client is dropped (default 1 MiB) */
  maxClientBufferBytes?: number;
  /** concurrent stream clients (default 32) */
  maxClients?: number;
  /** reconnect delay announced to clients (default 2 s) */
  retryMs?: number;
  assetsDir?: string;
}

export interface StatusPage {
  routes: ExtraRoutes;
  /** paths a browser must load without a token (the page shell: no data in it) */
  isPublicPath(path: string): boolean;
  stats(): { clients: number; dropped: number };
  close(): void;
}

interface LatestImage {
  file: string;
  kind: ImageRef['kind'];
  type: string;
  time: string;
}

export function createStatusPage(deps: StatusPageDeps): StatusPage {
  const log = deps.logger.child({ component: 'status-page' });
  const throttleMs = deps.throttleMs ?? 200;
  const refreshMs = deps.refreshMs ?? 2000;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const assetsDir = deps.assetsDir ?? DEFAULT_ASSETS_DIR;
  let assets = new Map<string, Asset>();
  try {
    assets = loadAssets(assetsDir);
  } catch (e) {
    // A build without scripts/copy-assets.mjs must not keep the daemon from starting: the API still works.
    log.warn({ err: (e as Error).message, dir: assetsDir }, 'status page files missing (run `npm run build`): / answers 503');
  }
  const latestImage = new Map<string, LatestImage>();
  /** traject frames per camera since the last rate computation */
  const frameCounts = new Map<string, number>();
  const rates = new Map<string, number>();
  let rateSince = performance.now();
  let refresh: NodeJS.Timeout | null = null;

  const computeRates = () => {
    const now = performance.now();
    const dt = (now - rateSince) / 1000;
    if (dt < 0.5) return;
    rates.clear();
    for (const [cam, n] of frameCounts) rates.set(cam, Math.round((n / dt) * 10) / 10);
    frameCounts.clear();
    rateSince = now;
  };

  const extras = () => {
    computeRates();
    return {
      rates: Object.fromEntries(rates),
      images: Object.fromEntries(latestImage),
    };
  };

  const hub = new StreamHub({
    throttleMs,
    heartbeatMs,
    retryMs: deps.retryMs ?? 2000,
    maxClientBufferBytes: deps.maxClientBufferBytes ?? 1024 * 1024,
    maxClients: deps.maxClients ?? 32,
    logger: log,
    now: () => deps.clock.now(),
    state: () => ({ state: deps.state(), ...extras() }),
    snapshot: () => ({
      throttle_ms: throttleMs,
      heartbeat_ms: heartbeatMs,
      state: deps.state(),
      ...extras(),
      frames: [...lastFrames.values()].filter((f) => deps.clock.now() - f.at < 2000),
    }),
    onActive: (active) => (active ? subscribe() : unsubscribe()),
  });

  /** last frame per camera, for the snapshot of a client that connects while targets are in view */
  const lastFrames = new Map<string, TrajectFrame>();
  const onTraject = (f: TrajectFrame) => {
    frameCounts.set(f.camera, (frameCounts.get(f.camera) ?? 0) + 1);
    lastFrames.set(f.camera, f);
    hub.traject(f);
  };
  const onChange = (_x: ZoneState | OutputState | CameraState) => hub.stateChanged();
  const onCommitted = (evs: CamEvent[]) => {
    let images = false;
    for (const e of evs) images = noteImage(e) || images;
    hub.committedEvents(evs);
    // sink depth moved; a new snapshot image too
    hub.stateChanged();
    if (images) log.debug('new alarm snapshot');
  };

  function noteImage(e: CamEvent): boolean {
    const refs = Array.isArray(e.data.images) ? (e.data.images as ImageRef[]) : [];
    // the overview shows the scene; a target crop is better than nothing
    const ref = refs.find((r) => r.valid && r.file && r.kind === 'overview') ?? refs.find((r) => r.valid && r.file);
    if (!ref?.file) return false;
    const prev = latestImage.get(e.camera);
    if (prev && prev.time > e.time) return false;
    latestImage.set(e.camera, { file: ref.file, kind: ref.kind, type: e.type, time: e.time });
    return true;
  }

  /** Rebuilt from the store when the first viewer connects: events committed while nobody watched are not missed. */
  function loadLatestImages(): void {
    const cams = new Set(deps.state().cameras.map((c) => c.id));
    for (const cam of cams) {
      try {
        for (const row of deps.store.query({ camera: cam, limit: 100 })) if (noteImage(row.event)) break;
      } catch (e) {
        log.warn({ err: e, camera: cam }, 'could not look up the latest alarm snapshot');
      }
    }
  }

  let subscribed = false;
  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    loadLatestImages();
    deps.bus.on('traject', onTraject);
    deps.bus.on('zone', onChange);
    deps.bus.on('output', onChange);
    deps.bus.on('camera', onChange);
    deps.bus.on('committed', onCommitted);
    refresh = setInterval(() => hub.stateChanged(), refreshMs);
    log.debug('first status page viewer: following the bus');
  }
  function unsubscribe(): void {
    if (!subscribed) return;
    subscribed = false;
    // Without listeners the pipeline skips building traject frames altogether.
    deps.bus.off('traject', onTraject);
    deps.bus.off('zone', onChange);
    deps.bus.off('output', onChange);
    deps.bus.off('camera', onChange);
    deps.bus.off('committed', onCommitted);
    if (refresh) clearInterval(refresh);
    refresh = null;
    lastFrames.clear();
    frameCounts.clear();
  }

  const configView = () => {
    const c = deps.config;
    const st = deps.state();
    const full: [number, number][] = [
      [0, 0],
      [10000, 0],
      [10000, 10000],
      [0, 10000],
    ];
    return {
      site: c ? { id: c.site.id, name: c.site.name } : st.site,
      throttle_ms: throttleMs,
      cameras: c ? c.cameras.map((x) => ({ id: x.id, name: x.name ?? x.id })) : st.cameras.map((x) => ({ id: x.id, name: x.name })),
      zones: c
        ? c.zones.map((z) => ({ id: z.id, camera: z.camera, polygon: z.polygon ?? full, classes: z.classes, anchor: z.anchor }))
        : st.zones.map((z) => ({ id: z.id, camera: '*', polygon: full, classes: [], anchor: 'any' })),
      outputs: c ? c.outputs.map((o) => ({ id: o.id, name: o.name ?? o.id, driver: o.driver })) : st.outputs.map((o) => ({ id: o.id, name: o.id, driver: '' })),
      rules: c
        ? c.rules.map((r) => ({ id: r.id, outputs: r.outputs, zones: r.when.presence?.zones ?? [], event: r.when.event ? true : false }))
        : [],
    };
  };

  const routes: ExtraRoutes = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const path = url.pathname;
    const mine = path === '/' || path === '/index.html' || path.startsWith('/status-page/') || path === '/api/stream' || path === '/api/status-page/config' || path.startsWith('/images/');
    if (!mine) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      sendJson(res, 405, { error: `${req.method} not allowed on ${path}` }, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/' || path === '/index.html') {
      const index = assets.get('index.html');
      if (index) sendAsset(res, index, head);
      else sendJson(res, 503, { error: 'status page files are missing from this build (scripts/copy-assets.mjs)' });
      return true;
    }
    if (path.startsWith('/status-page/')) {
      const a = assets.get(path.slice('/status-page/'.length));
      if (!a) sendJson(res, 404, { error: `no such file: ${path}` });
      else sendAsset(res, a, head);
      return true;
    }
    if (path === '/api/status-page/config') {
      sendJson(res, 200, configView());
      return true;
    }
    if (path === '/api/stream') {
      if (head) res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' }).end();
      else hub.accept(req, res);
      return true;
    }
    // /images/<day>/<file>.jpg
    let rel: string;
    try {
      rel = decodeURIComponent(path.slice('/images/'.length));
    } catch {
      rel = '';
    }
    const file = resolveImage(deps.imagesDir, rel);
    if (!file) sendJson(res, 404, { error: 'no such image' });
    else sendImage(res, file, head);
    return true;
  };

  return {
    routes,
    isPublicPath: (p) => ((p === '/' || p === '/index.html') && assets.has('index.html')) || (p.startsWith('/status-page/') && assets.has(p.slice('/status-page/'.length))),
    stats: () => ({ clients: hub.clientCount, dropped: hub.dropped }),
    close() {
      hub.close();
      unsubscribe();
    },
  };
}
