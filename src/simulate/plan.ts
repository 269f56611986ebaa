import { encodeJpeg, silhouette, withComment } from './jpeg.js';
import {
  ipcAlarmStatus,
  ipcFace,
  ipcKeepalive,
  ipcLoiter,
  ipcLpr,
  ipcPerimeter,
  ipcTraject,
  ipcTripwire,
  micros,
  nvrAlarmStatus,
  nvrEventInfo,
  nvrFace,
  nvrKeepalive,
  nvrVehicle,
  simCamera,
  simNvr,
  type AlarmImages,
  type IpcAlarmField,
  type NvrAlarmField,
  type SimImage,
  type SimTarget,
} from './payloads.js';
import { deriveSeed, mulberry32 } from './prng.js';
import { Scene, TRIPWIRE, ZONE, type AlarmKind, type Scenario, type SceneEvent, type StatusChannel } from './scene.js';

/**
 * Turns scenes into the exact sequence of posts each device sends, in virtual
 * time. Pure and lazy (generators): the same options give the same bodies, and
 * a run without an end never holds more than one tick in memory.
 */

export type PostKind = 'keepalive' | 'traject' | 'alarmStatus' | 'alarmData';
export type ImageMode = 'none' | 'placeholder' | 'jpeg';

export interface PlannedPost {
  /** ms after the start of the run */
  at: number;
  /** 1-based camera number (for the NVR: the channel; 0 for the NVR's own keepalive) */
  camera: number;
  kind: PostKind;
  /** e.g. "PEA", "VEHICE", "perimeterAlarm=true", "empty" */
  detail: string;
  body: string;
}

export interface PlanOptions {
  seed: number;
  scenario: Scenario;
  /** traject posts per second while a target is in view */
  rate: number;
  images: ImageMode;
  /** wall-clock ms the run's virtual time starts at (goes into currentTime/dataTime) */
  startMs: number;
  /** IPC keepalive interval (the NVR uses 10 s) */
  keepaliveS: number;
  alarmHoldS: number;
  /** stop planning at this virtual time (ms); undefined = endless */
  durationMs?: number;
}

// ---------------------------------------------------------------- images

/** Encoded base images by size; one per plan (no module-level state), the COM tag makes each unique. */
type JpegCache = Map<string, Buffer>;
function baseJpeg(cache: JpegCache, w: number, h: number): Buffer {
  const key = `${w}x${h}`;
  let j = cache.get(key);
  if (!j) {
    j = encodeJpeg(w, h, silhouette());
    cache.set(key, j);
  }
  return j;
}

const PLACEHOLDER: Record<string, [string, number]> = {
  overview: ['BASE64_JPEG_OVERVIEW_IMAGE', 161438],
  target: ['BASE64_JPEG_TARGET_CROP', 78796],
  plate: ['BASE64_JPEG_PLATE_CROP', 3200],
  face: ['BASE64_JPEG_FACE_CROP', 14860],
};

function image(cache: JpegCache, mode: ImageMode, role: 'overview' | 'target' | 'plate' | 'face', w: number, h: number, tag: string): SimImage | undefined {
  if (mode === 'none') return undefined;
  if (mode === 'placeholder') {
    const [text, length] = PLACEHOLDER[role]!;
    return { width: w, height: h, base64: text, length };
  }
  const b64 = withComment(baseJpeg(cache, w, h), `camrelay-sim ${role} ${tag}`).toString('base64');
  return { width: w, height: h, base64: b64 };
}

function alarmImages(cache: JpegCache, mode: ImageMode, kind: AlarmKind, nvr: boolean, tag: string): AlarmImages {
  const [ow, oh] = nvr ? [1280, 720] : [1920, 1080];
  const source = image(cache, mode, 'overview', ow, oh, tag);
  const target =
    kind === 'lpr'
      ? image(cache, mode, 'plate', nvr ? 128 : 150, nvr ? 64 : 50, tag)
      : kind === 'face'
        ? image(cache, mode, 'face', nvr ? 184 : 200, nvr ? 184 : 200, tag)
        : image(cache, mode, 'target', 336, 448, tag);
  return { source, target };
}

// ---------------------------------------------------------------- IPC

const IPC_FIELD: Record<StatusChannel, IpcAlarmField> = {
  perimeter: 'perimeterAlarm',
  tripwire: 'tripwireAlarm',
  vehicle: 'vehiceAlarm',
  face: 'VFDAlarm',
};
const IPC_SMART: Record<AlarmKind, string> = { intrusion: 'PEA', tripwire: 'PEA/tripwire', lpr: 'VEHICE', face: 'VFD', loiter: 'LOITER' };

/** Every post of IPC number `index` (1-based), posting directly to the box. */
export function* ipcPlan(index: number, o: PlanOptions): Generator<PlannedPost> {
  const rng = mulberry32(deriveSeed(o.seed, index));
  const dev = simCamera(index);
  const scene = new Scene(rng, o.scenario, { alarmHoldMs: o.alarmHoldS * 1000 });
  const period = 1000 / o.rate;
  const kaMs = o.keepaliveS * 1000;
  let nextKa = Math.floor(rng() * 500);
  let kaCount = 0;
  const layout = index % 3 === 2 ? '12h' : '24h';
  const cache: JpegCache = new Map();
  for (let k = 0; ; k++) {
    const t = Math.round(k * period);
    if (o.durationMs !== undefined && t >= o.durationMs) return;
    while (nextKa <= t) {
      const style = (index + kaCount) % 2 === 1 ? 'xml' : 'empty';
      yield { at: nextKa, camera: index, kind: 'keepalive', detail: style, body: ipcKeepalive(dev, style) };
      kaCount += 1;
      nextKa += kaMs;
    }
    const ms = o.startMs + t;
    const us = micros(ms, (k * 137) % 1000);
    for (const ev of scene.step(t)) {
      const p = renderIpc(ev, dev, ms, us, layout, o.images, index, cache);
      if (p) yield { at: t, camera: index, ...p };
    }
  }
}

function renderIpc(
  ev: SceneEvent,
  dev: ReturnType<typeof simCamera>,
  ms: number,
  us: string,
  layout: '12h' | '24h',
  mode: ImageMode,
  index: number,
  cache: JpegCache,
): Omit<PlannedPost, 'at' | 'camera'> | undefined {
  if (ev.type === 'traject') return { kind: 'traject', detail: `${ev.targets.length}`, body: ipcTraject(dev, us, ev.targets) };
  if (ev.type === 'status') {
    const field = IPC_FIELD[ev.channel];
    return { kind: 'alarmStatus', detail: `${field}=${ev.on}`, body: ipcAlarmStatus(dev, ms, field, ev.on, layout) };
  }
  const imgs = alarmImages(cache, mode, ev.kind, false, `cam${index} ev${ev.eventId} ${ev.status}`);
  const detail = IPC_SMART[ev.kind];
  switch (ev.kind) {
    case 'intrusion':
      return { kind: 'alarmData', detail, body: ipcPerimeter(dev, ms, us, { eventId: ev.eventId, target: ev.target, status: ev.status, boundary: ZONE }, imgs) };
    case 'tripwire':
      return { kind: 'alarmData', detail, body: ipcTripwire(dev, ms, us, { eventId: ev.eventId, target: ev.target, status: ev.status, line: TRIPWIRE }, imgs) };
    case 'loiter':
      return { kind: 'alarmData', detail, body: ipcLoiter(dev, ms, us, { eventId: ev.eventId, target: ev.target, status: ev.status, boundary: ZONE }, imgs) };
    case 'face':
      return { kind: 'alarmData', detail, body: ipcFace(dev, ms, us, ev.target, imgs) };
    case 'lpr':
      return { kind: 'alarmData', detail, body: ipcLpr(dev, ms, us, { target: ev.target, plate: ev.plate!.plate, list: ev.plate!.list }, imgs) };
  }
}

// ---------------------------------------------------------------- NVR

const NVR_FIELD: Partial<Record<StatusChannel, NvrAlarmField>> = {
  perimeter: 'perimeterAlarm',
  tripwire: 'perimeterAlarm',
  face: 'vfdAlarm',
  // no alarmStatus has been seen for NVR vehicle (LPR) events
};

/**
 * Every post of one NVR with `channels` cameras behind it (v2.0 XML). The NVR
 * forwards alarm status and alarm data only: traject never goes through it.
 */
export function* nvrPlan(channels: number, o: PlanOptions): Generator<PlannedPost> {
  const nvr = simNvr(1);
  const cache: JpegCache = new Map();
  const scenes = Array.from({ length: channels }, (_, i) => {
    const rng = mulberry32(deriveSeed(o.seed, i + 1));
    return { rng, scene: new Scene(rng, o.scenario, { alarmHoldMs: o.alarmHoldS * 1000 }) };
  });
  // per channel: which NVR fields are on (perimeter and tripwire share perimeterAlarm)
  const fieldOn = scenes.map(() => new Map<NvrAlarmField, Set<StatusChannel>>());
  const period = 1000 / o.rate;
  let nextKa = 0;
  for (let k = 0; ; k++) {
    const t = Math.round(k * period);
    if (o.durationMs !== undefined && t >= o.durationMs) return;
    while (nextKa <= t) {
      yield { at: nextKa, camera: 0, kind: 'keepalive', detail: 'nvr', body: nvrKeepalive(nvr) };
      nextKa += 10_000;
    }
    const ms = o.startMs + t;
    const us = micros(ms, 0);
    for (let c = 0; c < channels; c++) {
      const ch = c + 1;
      const { rng, scene } = scenes[c]!;
      for (const ev of scene.step(t)) {
        if (ev.type === 'traject') continue;
        if (ev.type === 'status') {
          const field = NVR_FIELD[ev.channel];
          if (!field) continue;
          const holders = fieldOn[c]!.get(field) ?? new Set<StatusChannel>();
          const wasOn = holders.size > 0;
          if (ev.on) holders.add(ev.channel);
          else holders.delete(ev.channel);
          fieldOn[c]!.set(field, holders);
          if (wasOn !== holders.size > 0)
            yield { at: t, camera: ch, kind: 'alarmStatus', detail: `${field}=${ev.on}`, body: nvrAlarmStatus(nvr, ch, ms, field, ev.on) };
          continue;
        }
        const imgs = alarmImages(cache, o.images, ev.kind, true, `nvr ch${ch} ev${ev.eventId} ${ev.status}`);
        yield { at: t, camera: ch, ...renderNvrAlarm(ev, nvr, ch, us, imgs, rng) };
      }
    }
  }
}

function renderNvrAlarm(
  ev: Extract<SceneEvent, { type: 'alarm' }>,
  nvr: ReturnType<typeof simNvr>,
  ch: number,
  us: string,
  imgs: AlarmImages,
  rng: () => number,
): Omit<PlannedPost, 'at' | 'camera'> {
  const t: SimTarget = ev.target;
  switch (ev.kind) {
    case 'intrusion':
    case 'loiter': // the NVR's loitering name is undocumented; it is sent as the intrusion it starts as
      return { kind: 'alarmData', detail: 'regionIntrusion', body: nvrEventInfo(nvr, ch, us, 'regionIntrusion', { eventId: ev.eventId, target: t, area: ZONE }, imgs) };
    case 'tripwire':
      return { kind: 'alarmData', detail: 'lineCrossing', body: nvrEventInfo(nvr, ch, us, 'lineCrossing', { eventId: ev.eventId, target: t, line: TRIPWIRE }, imgs) };
    case 'lpr': {
      const p = ev.plate!;
      // plate box in the NVR's pixel-like units, a 128x64 box inside a 1280x720 frame
      const px = Math.round(((t.box.x1 + t.box.x2) / 2 / 10000) * 1280) - 64;
      const py = Math.round((t.box.y2 / 10000) * 720) - 80;
      return {
        kind: 'alarmData',
        detail: 'vehicle',
        body: nvrVehicle(
          nvr,
          ch,
          us,
          {
            target: t,
            plateRect: { x1: Math.max(0, px), y1: Math.max(0, py), x2: Math.max(0, px) + 128, y2: Math.max(0, py) + 64 },
            plate: p.plate,
            plateColor: p.color,
            car: p.car,
            group: p.list === 'whiteList' ? 'Residents' : p.list === 'blackList' ? 'Banned' : undefined,
          },
          imgs,
        ),
      };
    }
    case 'face': {
      const cx = Math.round(((t.box.x1 + t.box.x2) / 2 / 10000) * 1280);
      const cy = Math.round((t.box.y1 / 10000) * 720) + 40 + Math.floor(rng() * 4);
      return {
        kind: 'alarmData',
        detail: 'videoFaceDetect',
        body: nvrFace(nvr, ch, us, { target: t, faceRect: { x1: Math.max(0, cx - 62), y1: Math.max(0, cy - 62), x2: cx + 62, y2: cy + 62 }, ...ev.face! }, imgs),
      };
    }
  }
}
