import { hash } from 'node:crypto';
import type { Box, CamEvent, EventData, EventType, ImageRef } from '../core/event.js';
import { checkDeviceTime, parseDataTime, parseEpoch, resolveCurrentTime, type DeviceTime, type DeviceTimeProblem } from './time.js';
import type { AlarmDataMessage, AlarmKind, AlarmStatusMessage, AlarmTarget, DeviceIdentity, ViewtronMessage } from './types.js';

/**
 * Typed Viewtron message → normalized events (product.md §4). Pure and
 * deterministic: the same post and context always give the same events and ids.
 */

export interface NormalizeContext {
  /** ms epoch when the post was received */
  receivedAt: number;
  /** resolved camera id (identity.ts resolveCamera) */
  cameraId: string;
  /** IANA zone the device's wall-clock `dataTime` is read in */
  timezone: string;
  sourceIp?: string;
}

/**
 * An image still to be decoded and stored by the adapter. `data.images` of the
 * event holds one placeholder ImageRef per PendingImage of that event, in the
 * same order: the adapter replaces placeholder i with the stored result.
 */
export interface PendingImage {
  eventId: string;
  kind: ImageRef['kind'];
  base64: string;
  declaredWidth?: number;
  declaredHeight?: number;
}

export interface NormalizeResult {
  events: CamEvent[];
  images: PendingImage[];
  /** the device's clock (ms epoch) when it was usable, else null */
  deviceTime: number | null;
  timeSource: 'device' | 'received';
  /**
   * device clock minus receive time, whenever a device time could be read, even
   * when it was refused as event time (an unset clock is exactly what the
   * clock-skew alert is for). null without a readable device time. For
   * `dataTime` posts it depends on the configured timezone being right.
   */
  skewMs: number | null;
  timeProblem?: DeviceTimeProblem;
}

const EVENT_TYPE_BY_KIND: Record<AlarmKind, EventType> = {
  intrusion: 'alarm.intrusion',
  line_crossing: 'alarm.line_crossing',
  zone_entry: 'alarm.zone_entry',
  zone_exit: 'alarm.zone_exit',
  loitering: 'alarm.loitering',
  parking: 'alarm.parking',
  lpr: 'alarm.lpr',
  face: 'alarm.face',
  metadata: 'alarm.metadata',
  counting: 'alarm.counting',
  motion: 'alarm.motion',
  unknown: 'alarm.unknown',
};

export function eventTypeOfKind(kind: AlarmKind): EventType {
  return EVENT_TYPE_BY_KIND[kind];
}

export function normalize(msg: ViewtronMessage, ctx: NormalizeContext): NormalizeResult {
  switch (msg.family) {
    case 'keepalive':
    case 'unknown':
      return { events: [], images: [], deviceTime: null, timeSource: 'received', skewMs: null };
    case 'traject':
      return timeOnly(resolveCurrentTime(msg.currentTime, ctx.receivedAt), ctx);
    case 'alarm_status':
      return normalizeStatus(msg, ctx);
    case 'alarm_data':
      return normalizeAlarm(msg, ctx);
  }
}

function timeOnly(dt: DeviceTime, ctx: NormalizeContext): NormalizeResult {
  const r: NormalizeResult = {
    events: [],
    images: [],
    deviceTime: dt.source === 'device' ? dt.time : null,
    timeSource: dt.source,
    skewMs: dt.deviceMs === null ? null : dt.deviceMs - ctx.receivedAt,
  };
  if (dt.problem) r.timeProblem = dt.problem;
  return r;
}

/** 32 hex chars of sha256 over the dedupe key: a repeated post yields the same id. */
export function eventIdOf(keyParts: readonly (string | number | boolean)[]): string {
  // one-shot hash: no Hash object per event (same digest as createHash)
  return hash('sha256', JSON.stringify(keyParts), 'hex').slice(0, 32);
}

function deviceKey(device: DeviceIdentity, ctx: NormalizeContext): string {
  // E1 IPC posts carry no identity: the resolved camera id stands in
  return device.mac ?? device.serial ?? `camera:${ctx.cameraId}`;
}

function baseData(msg: { device: DeviceIdentity }, ctx: NormalizeContext, dt: DeviceTime, rawTime: string | undefined): EventData {
  const data: EventData = {
    camera: ctx.cameraId,
    received_at: new Date(ctx.receivedAt).toISOString(),
    time_source: dt.source,
  };
  if (msg.device.channel !== undefined) data.channel = msg.device.channel;
  const device: Record<string, string> = {};
  if (msg.device.mac !== undefined) device.mac = msg.device.mac;
  if (msg.device.serial !== undefined) device.serial = msg.device.serial;
  if (msg.device.name !== undefined) device.name = msg.device.name;
  if (msg.device.ip !== undefined) device.ip = msg.device.ip;
  data.device = device;
  data.dialect = msg.device.dialect;
  if (ctx.sourceIp !== undefined) data.source_ip = ctx.sourceIp;
  if (rawTime !== undefined) data.device_time_raw = rawTime;
  if (dt.problem) data.device_time_problem = dt.problem;
  return data;
}

function normalizeStatus(msg: AlarmStatusMessage, ctx: NormalizeContext): NormalizeResult {
  let dt: DeviceTime;
  let rawTime: string | undefined;
  if (msg.currentTime !== undefined) {
    rawTime = msg.currentTime;
    dt = checkDeviceTime(parseEpoch(msg.currentTime)?.ms ?? null, ctx.receivedAt, true);
  } else {
    rawTime = msg.dataTime;
    dt = checkDeviceTime(parseDataTime(msg.dataTime, ctx.timezone), ctx.receivedAt, msg.dataTime !== undefined);
  }
  const result = timeOnly(dt, ctx);
  const devKey = deviceKey(msg.device, ctx);
  const time = new Date(dt.time).toISOString();
  for (const state of msg.states) {
    const id = eventIdOf([
      'vt1',
      devKey,
      msg.device.channel ?? '',
      'alarm.status',
      state.field,
      state.id ?? '',
      state.active,
      rawTime ?? `rx:${ctx.receivedAt}`,
    ]);
    const data = baseData(msg, ctx, dt, rawTime);
    data.field = state.field;
    data.active = state.active;
    if (state.id !== undefined) data.rule = state.id;
    if (msg.legacy) data.legacy = true;
    result.events.push({ id, type: 'alarm.status', camera: ctx.cameraId, time, data });
  }
  return result;
}

const GRID = 10000;

function targetData(t: AlarmTarget): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (t.id !== undefined) out.id = t.id;
  out.class = t.cls;
  if (t.rect) {
    const [x1, y1, x2, y2] = t.rect;
    // an all-zero rect (NVR line counting) or a degenerate one (carRect 1,0,1,0) means "no box"
    const degenerate = x2 <= x1 || y2 <= y1;
    if (!(x1 === 0 && y1 === 0 && x2 === 0 && y2 === 0)) out.box_raw = { x1, y1, x2, y2 };
    if (t.rectOnGrid && !degenerate && x1 >= 0 && y1 >= 0 && x2 <= GRID && y2 <= GRID) {
      const box: Box = { x1: x1 / GRID, y1: y1 / GRID, x2: x2 / GRID, y2: y2 / GRID };
      out.box = box;
    }
  }
  return out;
}

function normalizeAlarm(msg: AlarmDataMessage, ctx: NormalizeContext): NormalizeResult {
  const dt = resolveCurrentTime(msg.currentTime, ctx.receivedAt);
  const result = timeOnly(dt, ctx);
  const type = eventTypeOfKind(msg.kind);
  const first = msg.events[0];
  const plate = msg.plates[0];
  const eventOrTarget = first?.eventId ?? first?.targetId ?? msg.targets.find((t) => t.id !== undefined)?.id ?? '';
  const id = eventIdOf([
    'vt1',
    deviceKey(msg.device, ctx),
    msg.device.channel ?? '',
    type,
    msg.smartType,
    eventOrTarget,
    first?.status ?? '',
    msg.currentTime ?? `rx:${ctx.receivedAt}`,
    plate?.number ?? '',
  ]);

  const data = baseData(msg, ctx, dt, msg.currentTime);
  data.smart_type = msg.smartType;
  if (first?.status !== undefined) data.status = first.status;
  if (first?.eventId !== undefined) data.event_id = first.eventId;
  if (first?.zone !== undefined) data.zone_raw = first.zone;
  data.targets = msg.targets.map(targetData);
  if (plate) {
    data.plate = plate.number;
    if (plate.list !== undefined) data.plate_list = plate.list;
    if (plate.color !== undefined) data.plate_color = plate.color;
    if (plate.confidence !== undefined) data.plate_confidence = plate.confidence;
    if (plate.direction !== undefined) data.vehicle_direction = plate.direction;
    if (plate.carOwner !== undefined) data.car_owner = plate.carOwner;
    if (plate.vehicle) data.vehicle = { ...plate.vehicle };
    if (msg.plates.length > 1) data.plates = msg.plates.map((p) => p.number);
  }
  const face = msg.faces[0];
  if (face) {
    const f: Record<string, string> = {};
    if (face.age !== undefined) f.age = face.age;
    if (face.sex !== undefined) f.sex = face.sex;
    if (face.glasses !== undefined) f.glasses = face.glasses;
    if (face.mask !== undefined) f.mask = face.mask;
    data.face = f;
  }
  const refs: ImageRef[] = [];
  for (const img of msg.images) {
    refs.push({ kind: img.kind, valid: false, error: 'pending' });
    const pending: PendingImage = { eventId: id, kind: img.kind, base64: img.base64 };
    if (img.width !== undefined) pending.declaredWidth = img.width;
    if (img.height !== undefined) pending.declaredHeight = img.height;
    result.images.push(pending);
  }
  data.images = refs;

  result.events.push({ id, type, camera: ctx.cameraId, time: new Date(dt.time).toISOString(), data });
  return result;
}
