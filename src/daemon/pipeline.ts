import type { Config } from '../config/schema.js';
import type { Bus, OutputState } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { CamEvent } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { CameraAvailability } from '../cameras/availability.js';
import type { IngestReply, IngestRequest } from '../ingest/server.js';
import { StorageUnavailable, type EventStore } from '../storage/types.js';
import type { CoreOutput, SiteCore } from '../rules/site-core.js';
import {
  normalize,
  parseAlarmFast,
  parseTrajectFast,
  parseViewtron,
  resolveCamera,
  ViewtronParseError,
  type DeviceIdentity,
  type ViewtronMessage,
} from '../viewtron/index.js';
import type { OutputBank } from './output-bank.js';
import type { ImageWriter } from './images.js';

/** The exact reply every Viewtron device expects (protocol §2.3). */
export const SUCCESS_XML = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><status>success</status></config>',
);
/** parseTrajectFast answers null above this size (traject posts are ~1.5 KB) */
const TRAJECT_FAST_MAX = 64 * 1024;
const TRAJECT_TAG = Buffer.from('<traject');
const OK: IngestReply = { status: 200, body: SUCCESS_XML, contentType: 'application/xml' };
const json = (status: number, error: string): IngestReply => ({ status, body: JSON.stringify({ error }), contentType: 'application/json' });

export interface PipelineDeps {
  config: Config;
  store: EventStore;
  images: ImageWriter;
  core: SiteCore;
  availability: CameraAvailability;
  outputs: OutputBank;
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}

/**
 * Glue between the ingest listener and the functional core: parse, identify
 * the camera, update presence in memory (traject: answered right after), or
 * commit the event first (alarms: answered only after the commit).
 */
export class Pipeline {
  private readonly log: Logger;
  private readonly cameraCache = new Map<string, string>();
  /** empty-body keepalives carry no identity: remember which camera last posted from an address */
  private readonly byAddress = new Map<string, string>();
  private readonly warnedUnknown = new Set<string>();
  private storageDown = false;
  /** called after the core changed state, so the ticker can re-arm for a nearer deadline */
  afterApply: () => void = () => undefined;

  constructor(private readonly d: PipelineDeps) {
    this.log = d.logger.child({ component: 'pipeline' });
  }

  readonly viewtron = (req: IngestRequest): IngestReply | Promise<IngestReply> => {
    const { metrics } = this.d;
    const t0 = performance.now();
    if (req.body.length === 0) {
      const cam = this.byAddress.get(req.remote);
      if (cam) this.seen(cam, 'keepalive', req.receivedAt, { ip: req.remote });
      metrics.ingestPosts.inc({ kind: 'keepalive', result: 'ok' });
      return OK;
    }
    // Hot path: traject posts at ~7 Hz per camera skip the generic XML parser.
    // A body without a traject element cannot be one, and alarm posts need not pay for the scan.
    const fast = req.body.length <= TRAJECT_FAST_MAX && req.body.includes(TRAJECT_TAG) ? parseTrajectFast(req.body) : null;
    if (fast) {
      this.traject(fast.device, fast.targets, req);
      metrics.ingestDuration.observe({ kind: 'traject' }, (performance.now() - t0) / 1000);
      return OK;
    }
    let msg: ViewtronMessage;
    try {
      // Alarm posts: the lean tree builder, the full parser when it is not sure.
      msg = parseAlarmFast(req.body, req.path) ?? parseViewtron(req.body, req.path);
    } catch (e) {
      if (e instanceof ViewtronParseError) return this.reject(req, e);
      throw e;
    }
    switch (msg.family) {
      case 'keepalive': {
        const cam = this.camera(msg.device, req);
        this.seen(cam, 'keepalive', req.receivedAt, { name: msg.device.name, ip: req.remote });
        metrics.ingestPosts.inc({ kind: 'keepalive', result: 'ok' });
        return OK;
      }
      case 'traject':
        this.traject(msg.device, msg.targets, req);
        metrics.ingestDuration.observe({ kind: 'traject' }, (performance.now() - t0) / 1000);
        return OK;
      case 'unknown':
        this.quarantine(req, `unknown_shape: ${msg.reason}`, 'unknown');
        metrics.ingestPosts.inc({ kind: 'unknown', result: 'quarantined' });
        return OK;
      default:
        return this.alarm(msg, req, t0);
    }
  };

  private traject(device: DeviceIdentity, targets: Parameters<SiteCore['traject']>[1], req: IngestRequest): void {
    const cam = this.camera(device, req);
    this.seen(cam, 'post', req.receivedAt, { ip: req.remote });
    this.apply(this.d.core.traject(cam, targets, req.receivedAt));
    this.d.metrics.ingestPosts.inc({ kind: 'traject', result: 'ok' });
    this.d.metrics.trajectFrames.inc({ camera: cam });
    if (this.d.bus.listenerCount('traject') > 0) {
      this.d.bus.emit('traject', { camera: cam, at: req.receivedAt, targets: targets.map((t) => ({ id: t.id, cls: t.cls, box: t.rect })) });
    }
  }

  private async alarm(msg: Exclude<ViewtronMessage, { family: 'keepalive' | 'traject' | 'unknown' }>, req: IngestRequest, t0: number): Promise<IngestReply> {
    const { metrics, config } = this.d;
    const kind = msg.family;
    const cam = this.camera(msg.device, req);
    const norm = normalize(msg, { receivedAt: req.receivedAt, cameraId: cam, timezone: config.site.timezone, sourceIp: req.remote });
    this.seen(cam, 'post', req.receivedAt, {
      name: msg.device.name,
      ip: req.remote,
      skew_s: norm.skewMs === null ? undefined : norm.skewMs / 1000,
    });
    if (norm.images.length) await this.d.images.attach(norm.events, norm.images);
    let stored: CamEvent[];
    try {
      stored = (await this.d.store.append(norm.events)).map((s) => s.event);
    } catch (e) {
      if (e instanceof StorageUnavailable) {
        if (!this.storageDown) this.log.error({ err: e }, 'storage unavailable: answering 503 to alarm posts until it recovers');
        this.storageDown = true;
        metrics.ingestPosts.inc({ kind, result: 'storage_unavailable' });
        // Presence still follows the alarm so relays keep working.
        for (const ev of norm.events) this.apply(this.d.core.event(ev, req.receivedAt));
        return json(503, 'storage unavailable: event not stored, please retry');
      }
      throw e;
    }
    if (this.storageDown) this.log.info('storage writable again');
    this.storageDown = false;
    const dupes = norm.events.length - stored.length;
    if (dupes > 0) metrics.eventsDeduped.inc(dupes);
    if (stored.length) this.d.bus.emit('committed', stored);
    // Presence fallback and event rules see each event once (a repeated post does not re-pulse).
    for (const ev of stored) {
      // alarm.status events carry data.field: the core keeps each status field apart (motion off ≠ perimeter off).
      this.apply(this.d.core.event(ev, req.receivedAt));
    }
    metrics.ingestPosts.inc({ kind, result: dupes && !stored.length ? 'duplicate' : 'ok' });
    metrics.ingestDuration.observe({ kind }, (performance.now() - t0) / 1000);
    return OK;
  }

  /** Applies what the core decided: events to the store, states to the bus, outputs to drivers. */
  apply(out: CoreOutput): void {
    // Relays first: the bank switches gpio lines inside this call, before anything is stored or published.
    for (const o of out.outputs) this.d.outputs.set(o.id, o.on, o.reason, o.mode);
    this.afterApply();
    if (out.events.length) this.storeAsync(out.events);
    for (const z of out.zones) {
      this.d.bus.emit('zone', z);
      this.d.metrics.zonePresence.set({ zone: z.id }, z.presence ? 1 : 0);
      this.d.metrics.zoneCount.set({ zone: z.id }, z.count);
    }
  }

  /** Events produced by the core (presence, outputs, availability): stored off the hot path. */
  storeAsync(events: CamEvent[]): void {
    this.d.store.append(events).then(
      (stored) => {
        if (stored.length) this.d.bus.emit('committed', stored.map((s) => s.event));
      },
      (e: unknown) => {
        this.d.metrics.storageErrors.inc({ op: 'append' });
        this.log.error({ err: e, count: events.length, types: [...new Set(events.map((x) => x.type))] }, 'could not store core events');
      },
    );
  }

  seen(cam: string, kind: 'keepalive' | 'post', now: number, info: { name?: string; ip?: string; skew_s?: number }): void {
    if (info.ip) this.byAddress.set(info.ip, cam);
    const r = this.d.availability.seen(cam, kind, now, info);
    this.d.metrics.cameraLastSeen.set({ camera: cam }, now / 1000);
    if (r.changed) this.onCamera(r.changed, now);
    if (r.events.length) this.storeAsync(r.events);
  }

  onCamera(state: NonNullable<ReturnType<CameraAvailability['seen']>['changed']>, now: number): void {
    this.d.bus.emit('camera', state);
    this.d.metrics.cameraOnline.set({ camera: state.id }, state.online ? 1 : 0);
    if (state.clock_skew_s !== null) this.d.metrics.cameraClockSkew.set({ camera: state.id }, state.clock_skew_s);
    if (state.online !== null) this.apply(this.d.core.cameraAvailability(state.id, state.online, now));
  }

  private camera(device: DeviceIdentity, req: IngestRequest): string {
    const key = `${device.mac ?? ''}|${device.serial ?? ''}|${device.name ?? ''}|${device.channel ?? ''}|${device.mac || device.serial || device.name ? '' : req.remote}`;
    let id = this.cameraCache.get(key);
    if (id) return id;
    // E1 alarm posts carry no identity: the source address then names the camera (cameras[].host, else cam-ip-<addr>).
    const r = resolveCamera(device, this.d.config.cameras, req.remote);
    id = r.id;
    if (!r.known && !this.warnedUnknown.has(id)) {
      this.warnedUnknown.add(id);
      this.log.warn({ camera: id, device, remote: req.remote }, `posts from an unconfigured device: using id "${id}" (add it under cameras: to name it)`);
    }
    if (this.cameraCache.size > 10_000) this.cameraCache.clear();
    this.cameraCache.set(key, id);
    return id;
  }

  private reject(req: IngestRequest, e: ViewtronParseError): IngestReply {
    this.quarantine(req, e.reason, 'viewtron');
    this.d.metrics.ingestParseFailures.inc({ reason: e.reason });
    this.d.metrics.ingestPosts.inc({ kind: 'invalid', result: String(e.status) });
    this.log.warn({ remote: req.remote, reason: e.reason, status: e.status, bytes: req.body.length }, `refused post: ${e.message}`);
    return json(e.status, `${e.reason}: ${e.message}`);
  }

  quarantine(req: IngestRequest, reason: string, kind: string): void {
    this.d.metrics.quarantine.inc({ reason: reason.split(':')[0]! });
    try {
      this.d.store.quarantine({ reason, source: req.remote, kind, body: req.body });
    } catch (err) {
      this.log.error({ err }, 'could not write quarantine record');
    }
  }

  outputStates(): OutputState[] {
    return this.d.outputs.list();
  }
}
