import { classOf, kindOfSmartType } from './classify.js';
import { ViewtronParseError } from './errors.js';
import { normalizeMac } from './identity.js';
import type {
  AlarmDataMessage,
  AlarmEventItem,
  AlarmKind,
  AlarmStatusMessage,
  AlarmStatusState,
  AlarmTarget,
  DeviceIdentity,
  FaceInfo,
  ImageBlock,
  ImageKind,
  PlateInfo,
  Point,
  Rect,
  TrajectMessage,
  TrajectTarget,
  ViewtronMessage,
} from './types.js';
import { all, attr, blobText, decodeUtf8, get, getAny, int, isObj, items, parseXmlDocument, str, text, type XmlDocument } from './xml.js';

/**
 * Viewtron push body → typed message. The family is detected from the body
 * alone (protocol §1.0); `path` only marks legacy `/SendAlarmStatus` posts.
 *
 * Throws ViewtronParseError (see errors.ts for statuses); valid XML of a shape
 * we do not know returns `{ family: 'unknown' }`.
 */
export function parseViewtron(body: Buffer, path?: string): ViewtronMessage {
  if (isBlank(body)) return { family: 'keepalive', device: { dialect: 'ipc' } };
  return messageOf(parseXmlDocument(decodeUtf8(body)), path);
}

/** The typed message of a parsed document (shared by the full and the lean path, see alarm-fast.ts). */
export function messageOf(doc: XmlDocument, path?: string): ViewtronMessage {
  const { root, node, blobs } = doc;
  if (root === 'DeviceInfo') return { family: 'keepalive', device: readDevice(node, 'ipc') };
  if (root !== 'config') return { family: 'unknown', reason: 'unknown_root', detail: root.slice(0, 64) };
  if (!isObj(node)) return { family: 'unknown', reason: 'unknown_shape', detail: 'empty config' };

  const messageType = text(get(node, 'messageType'));
  if (messageType !== undefined) return parseNvr(node, messageType, blobs);
  if (get(node, 'smartType') !== undefined) return parseIpcAlarmData(node, blobs);
  if (get(node, 'traject') !== undefined) return parseIpcTraject(node);
  // GetAlarmStatus *responses* also hold alarmStatusInfo but carry neither
  // deviceInfo nor dataTime: they must not pass for a status post.
  if (get(node, 'alarmStatusInfo') !== undefined && (get(node, 'deviceInfo') !== undefined || get(node, 'dataTime') !== undefined)) {
    const version = attr(node, 'version');
    const legacy = version === '1.0' || (path !== undefined && /\/SendAlarmStatus\/?$/i.test(path));
    return parseStatus(node, readDevice(get(node, 'deviceInfo'), 'ipc'), legacy);
  }
  return { family: 'unknown', reason: 'unknown_shape', detail: 'config is not a smartType, traject or status (alarmStatusInfo + deviceInfo/dataTime) post' };
}

function isBlank(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

// ---------------------------------------------------------------- identity

/** Reads every spelling of the identity fields (IPC keepalive PascalCase, IPC camelCase, NVR short names). */
export function readDevice(node: unknown, dialect: 'ipc' | 'nvr'): DeviceIdentity {
  const device: DeviceIdentity = { dialect };
  const mac = normalizeMac(str(getAny(node, ['mac', 'macAddress', 'MacAddress', 'MAC'])));
  if (mac !== undefined) device.mac = mac;
  const serial = str(getAny(node, ['sn', 'SN', 'serialNumber']));
  if (serial !== undefined) device.serial = serial;
  const name = str(getAny(node, ['deviceName', 'DeviceName']));
  if (name !== undefined) device.name = name;
  const ip = str(getAny(node, ['ip', 'ipAddress', 'IPAddress']));
  if (ip !== undefined) device.ip = ip;
  const channel = int(get(node, 'channelId'));
  if (channel !== undefined && channel >= 0) device.channel = channel;
  return device;
}

// ---------------------------------------------------------------- NVR (G, H, I)

function parseNvr(cfg: Record<string, unknown>, messageType: string, blobs: readonly string[]): ViewtronMessage {
  const device = readDevice(get(cfg, 'deviceInfo'), 'nvr');
  switch (messageType) {
    case 'keepalive':
      return { family: 'keepalive', device };
    case 'alarmStatus':
      return parseStatus(cfg, device, false);
    case 'alarmData':
      return parseNvrAlarmData(cfg, device, blobs);
    default:
      return { family: 'unknown', reason: 'unknown_message_type', detail: messageType.slice(0, 64), device };
  }
}

function parseNvrAlarmData(cfg: Record<string, unknown>, device: DeviceIdentity, blobs: readonly string[]): AlarmDataMessage {
  const smartType = requireSmartType(cfg);
  const msg = emptyAlarm(device, smartType, kindOfSmartType(smartType), 'nvr', cfg);
  pushImage(msg.images, readSourceImage(get(cfg, 'sourceDataInfo'), blobs));

  for (const it of items(get(cfg, 'eventInfo'))) {
    const ev: AlarmEventItem = {};
    setStr(ev, 'eventId', get(it, 'eventId'));
    setStr(ev, 'targetId', get(it, 'targetId'));
    const rect = readRect(get(it, 'rect'));
    if (rect) ev.rect = rect;
    const boundary = text(get(it, 'boundary'));
    if (boundary === 'tripwire' || get(it, 'directionLine') !== undefined) {
      const line = readLine(get(it, 'directionLine'));
      if (line) ev.zone = line;
    } else {
      const points = readPoints(get(it, 'pointGroup'));
      if (points.length > 0) ev.zone = { kind: 'area', points };
    }
    msg.events.push(ev);
  }

  for (const it of items(get(cfg, 'targetListInfo'))) {
    const id = str(get(it, 'targetId'));
    const target: AlarmTarget = { cls: classOf(text(get(it, 'targetType'))), rectOnGrid: true };
    if (id !== undefined) target.id = id;
    const evRect = msg.events.find((e) => e.targetId !== undefined && e.targetId === id)?.rect;
    if (evRect) target.rect = evRect;
    msg.targets.push(target);
    pushImage(msg.images, readTargetImage(get(it, 'targetImageData'), 'target', id, blobs));
  }

  for (const it of items(get(cfg, 'licensePlateListInfo'))) {
    const id = str(get(it, 'targetId'));
    const attrs = get(it, 'licensePlateAttribute');
    const number = str(get(attrs, 'licensePlateNumber'));
    if (number !== undefined) {
      const plate: PlateInfo = { number };
      if (id !== undefined) plate.targetId = id;
      setStr(plate, 'color', get(attrs, 'color'));
      const match = get(it, 'licensePlateMatchInfo');
      setStr(plate, 'list', get(match, 'groupName'));
      setStr(plate, 'carOwner', get(match, 'carOwner'));
      const car = get(it, 'carAttribute');
      if (car !== undefined) {
        const vehicle: NonNullable<PlateInfo['vehicle']> = {};
        setStr(vehicle, 'type', get(car, 'carType'));
        setStr(vehicle, 'color', get(car, 'color'));
        setStr(vehicle, 'brand', get(car, 'brand'));
        setStr(vehicle, 'model', get(car, 'model'));
        if (Object.keys(vehicle).length > 0) plate.vehicle = vehicle;
      }
      msg.plates.push(plate);
    }
    // the plate rect is pixel-like (protocol §1.1), not on the grid
    const target: AlarmTarget = { cls: 'car', rectOnGrid: false };
    if (id !== undefined) target.id = id;
    const rect = readRect(get(it, 'rect'));
    if (rect) target.rect = rect;
    msg.targets.push(target);
    pushImage(msg.images, readTargetImage(get(it, 'targetImageData'), 'plate', id, blobs));
  }

  for (const it of items(get(cfg, 'faceListInfo'))) {
    const id = str(get(it, 'targetId'));
    const face: FaceInfo = {};
    if (id !== undefined) face.targetId = id;
    setStr(face, 'age', get(it, 'age'));
    setStr(face, 'sex', get(it, 'sex'));
    setStr(face, 'glasses', get(it, 'glasses'));
    setStr(face, 'mask', get(it, 'mask'));
    msg.faces.push(face);
    const target: AlarmTarget = { cls: 'person', rectOnGrid: false };
    if (id !== undefined) target.id = id;
    const rect = readRect(get(it, 'rect'));
    if (rect) target.rect = rect;
    msg.targets.push(target);
    pushImage(msg.images, readTargetImage(get(it, 'targetImageData'), 'face', id, blobs));
  }

  // An NVR relaying an IPC code: PEA covers intrusion and tripwire alike
  if (smartType === 'PEA') msg.kind = msg.events.some((e) => e.zone?.kind === 'line') ? 'line_crossing' : 'intrusion';
  addEventOnlyTargets(msg);
  return msg;
}

// ---------------------------------------------------------------- status (C, D, H)

/** More states than any device has alarm types: bounds the events one post can create. */
const MAX_STATES = 64;

function parseStatus(cfg: Record<string, unknown>, device: DeviceIdentity, legacy: boolean): AlarmStatusMessage {
  const states: AlarmStatusState[] = [];
  const info = get(cfg, 'alarmStatusInfo');
  if (isObj(info)) {
    for (const field of Object.keys(info)) {
      if (field.startsWith('@_') || field === '#text') continue;
      for (const occurrence of all(info, field)) {
        const entries = isObj(occurrence) && Object.hasOwn(occurrence, 'item') ? items(occurrence) : [occurrence];
        for (const entry of entries) {
          const active = readBool(text(entry));
          if (active === undefined || states.length >= MAX_STATES) continue;
          const state: AlarmStatusState = { field, active };
          const id = attr(entry, 'id');
          if (id !== undefined && id !== '') state.id = id;
          states.push(state);
        }
      }
    }
  }
  const msg: AlarmStatusMessage = { family: 'alarm_status', device, legacy, states };
  setStr(msg, 'dataTime', get(cfg, 'dataTime'));
  setStr(msg, 'currentTime', get(cfg, 'currentTime'));
  return msg;
}

function readBool(s: string | undefined): boolean | undefined {
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}

// ---------------------------------------------------------------- IPC traject (F)

function parseIpcTraject(cfg: Record<string, unknown>): TrajectMessage {
  const targets: TrajectTarget[] = [];
  for (const it of items(get(cfg, 'traject'))) {
    const id = str(get(it, 'targetId'));
    const rect = readRect(get(it, 'rect'));
    // an item without id or box cannot drive presence
    if (id === undefined || rect === undefined) continue;
    targets.push({ id, cls: classOf(text(get(it, 'targetType'))), rect });
  }
  const msg: TrajectMessage = { family: 'traject', device: readDevice(cfg, 'ipc'), targets };
  setStr(msg, 'currentTime', get(cfg, 'currentTime'));
  return msg;
}

// ---------------------------------------------------------------- IPC alarm data (E)

function parseIpcAlarmData(cfg: Record<string, unknown>, blobs: readonly string[]): AlarmDataMessage {
  const smartType = requireSmartType(cfg);
  const header = get(cfg, 'subscribeRelation') !== undefined ? 'E1' : get(cfg, 'subscribeOption') !== undefined ? 'E2' : 'E3';
  const perimeter = get(cfg, 'perimeter');
  const tripwire = get(cfg, 'tripwire');
  let kind: AlarmKind;
  if (smartType === 'PEA') kind = perimeter === undefined && tripwire !== undefined ? 'line_crossing' : 'intrusion';
  else kind = kindOfSmartType(smartType);

  const msg = emptyAlarm(readDevice(cfg, 'ipc'), smartType, kind, header, cfg);
  setStr(msg, 'relativeTime', get(cfg, 'relativeTime'));

  for (const it of items(get(perimeter, 'perInfo'))) {
    const ev = readIpcEventItem(it);
    const points = readPoints(get(it, 'boundary'));
    if (points.length > 0) ev.zone = { kind: 'area', points };
    msg.events.push(ev);
  }
  for (const it of items(get(tripwire, 'tripInfo'))) {
    const ev = readIpcEventItem(it);
    // three line shapes in the material: line/startPoint, bare startPoint, lineInfo
    const line = readLine(get(it, 'line')) ?? readLine(it) ?? readLine(get(it, 'lineInfo'));
    if (line) ev.zone = line;
    msg.events.push(ev);
  }

  pushImage(msg.images, readSourceImage(get(cfg, 'sourceDataInfo'), blobs));
  const vsd = get(cfg, 'vsd');
  if (vsd !== undefined) {
    pushImage(msg.images, readSourceImage(get(vsd, 'sourceDataInfo'), blobs));
    const tid = get(vsd, 'targetImageData');
    if (tid !== undefined) {
      msg.targets.push({ cls: classOf(text(get(tid, 'targetType'))), rectOnGrid: true });
      pushImage(msg.images, readTargetImage(tid, 'target', undefined, blobs));
    }
  }

  for (const it of items(get(cfg, 'listInfo'))) {
    const id = str(get(it, 'targetId'));
    const rect = readRect(get(it, 'rect'));
    const tid = get(it, 'targetImageData');
    const cls = classOf(text(get(tid, 'targetType')) ?? text(get(it, 'targetType')));
    const plateNumber = str(get(it, 'plateNumber'));
    if (plateNumber !== undefined) {
      const plate: PlateInfo = { number: plateNumber };
      if (id !== undefined) plate.targetId = id;
      setStr(plate, 'list', get(it, 'vehicleListType'));
      setStr(plate, 'color', get(it, 'plateColor'));
      setStr(plate, 'confidence', getAny(it, ['PlateConfidence', 'plateConfidence']));
      setStr(plate, 'direction', get(it, 'vehicleDirect'));
      msg.plates.push(plate);
      const target: AlarmTarget = { cls: cls === 'unknown' ? 'car' : cls, rectOnGrid: true };
      if (id !== undefined) target.id = id;
      if (rect) target.rect = rect;
      msg.targets.push(target);
      pushImage(msg.images, readTargetImage(tid, 'plate', id, blobs));
      continue;
    }
    if (kind === 'lpr' && id === undefined && rect === undefined) {
      // IPC LPR: listInfo/item[0] is the overview picture, not a target (protocol §4)
      pushImage(msg.images, readTargetImage(tid, 'overview', undefined, blobs));
      continue;
    }
    const target: AlarmTarget = { cls, rectOnGrid: true };
    if (id !== undefined) target.id = id;
    if (rect) target.rect = rect;
    msg.targets.push(target);
    pushImage(msg.images, readTargetImage(tid, kind === 'face' ? 'face' : 'target', id, blobs));
  }

  addEventOnlyTargets(msg);
  return msg;
}

function readIpcEventItem(it: unknown): AlarmEventItem {
  const ev: AlarmEventItem = {};
  setStr(ev, 'eventId', get(it, 'eventId'));
  setStr(ev, 'targetId', get(it, 'targetId'));
  setStr(ev, 'status', get(it, 'status'));
  const rect = readRect(get(it, 'rect'));
  if (rect) ev.rect = rect;
  return ev;
}

// ---------------------------------------------------------------- shared pieces

function requireSmartType(cfg: Record<string, unknown>): string {
  const smartType = str(get(cfg, 'smartType'));
  if (smartType === undefined) throw new ViewtronParseError(400, 'empty_smart_type', 'alarm post with an empty smartType');
  return smartType;
}

function emptyAlarm(
  device: DeviceIdentity,
  smartType: string,
  kind: AlarmKind,
  header: AlarmDataMessage['header'],
  cfg: Record<string, unknown>,
): AlarmDataMessage {
  const msg: AlarmDataMessage = {
    family: 'alarm_data',
    device,
    smartType,
    kind,
    header,
    events: [],
    targets: [],
    plates: [],
    faces: [],
    images: [],
  };
  setStr(msg, 'currentTime', get(cfg, 'currentTime'));
  return msg;
}

/** Targets named only by a rule hit (e.g. an NVR post without targetListInfo). */
function addEventOnlyTargets(msg: AlarmDataMessage): void {
  for (const ev of msg.events) {
    if (ev.targetId === undefined) continue;
    const known = msg.targets.find((t) => t.id === ev.targetId);
    if (known) {
      if (known.rect === undefined && ev.rect !== undefined && known.rectOnGrid) known.rect = ev.rect;
      continue;
    }
    const target: AlarmTarget = { id: ev.targetId, cls: 'unknown', rectOnGrid: true };
    if (ev.rect) target.rect = ev.rect;
    msg.targets.push(target);
  }
}

function setStr<T extends object>(obj: T, key: keyof T & string, v: unknown): void {
  const s = str(v);
  if (s !== undefined) (obj as Record<string, unknown>)[key] = s;
}

export function readRect(r: unknown): Rect | undefined {
  if (r === undefined) return undefined;
  const x1 = int(get(r, 'x1'));
  const y1 = int(get(r, 'y1'));
  const x2 = int(get(r, 'x2'));
  const y2 = int(get(r, 'y2'));
  if (x1 === undefined || y1 === undefined || x2 === undefined || y2 === undefined) return undefined;
  return [x1, y1, x2, y2];
}

function readPoint(p: unknown): Point | undefined {
  const x = int(get(p, 'x'));
  const y = int(get(p, 'y'));
  return x === undefined || y === undefined ? undefined : { x, y };
}

/** IPC `boundary/item/point/{x,y}` and NVR `pointGroup/item/{x,y}`. */
function readPoints(container: unknown): Point[] {
  const out: Point[] = [];
  for (const it of items(container)) {
    const p = readPoint(get(it, 'point') ?? it);
    if (p) out.push(p);
  }
  return out;
}

function readLine(node: unknown): { kind: 'line'; start: Point; end: Point } | undefined {
  const start = readPoint(get(node, 'startPoint'));
  const end = readPoint(get(node, 'endPoint'));
  return start && end ? { kind: 'line', start, end } : undefined;
}

function readSourceImage(sdi: unknown, blobs: readonly string[]): ImageBlock | undefined {
  if (sdi === undefined) return undefined;
  return imageBlock(blobs, 'overview', get(sdi, 'sourceBase64Data'), get(sdi, 'sourceBase64Length'), getAny(sdi, ['width', 'Width']), getAny(sdi, ['height', 'Height']), undefined);
}

function readTargetImage(tid: unknown, kind: ImageKind, targetId: string | undefined, blobs: readonly string[]): ImageBlock | undefined {
  if (tid === undefined) return undefined;
  return imageBlock(blobs, kind, get(tid, 'targetBase64Data'), get(tid, 'targetBase64Length'), getAny(tid, ['Width', 'width']), getAny(tid, ['Height', 'height']), targetId);
}

function imageBlock(
  blobs: readonly string[],
  kind: ImageKind,
  data: unknown,
  length: unknown,
  width: unknown,
  height: unknown,
  targetId: string | undefined,
): ImageBlock | undefined {
  const base64 = blobText(str(data), blobs);
  // a missing element, an empty one or a declared length of 0 all mean "no image" (protocol §4)
  if (base64 === undefined || int(length) === 0) return undefined;
  const img: ImageBlock = { kind, base64 };
  const len = int(length);
  if (len !== undefined) img.declaredLength = len;
  const w = int(width);
  const h = int(height);
  // NVR LPR overviews report 0×0 (firmware bug): 0 means unknown
  if (w !== undefined && w > 0) img.width = w;
  if (h !== undefined && h > 0) img.height = h;
  if (targetId !== undefined) img.targetId = targetId;
  return img;
}

function pushImage(list: ImageBlock[], img: ImageBlock | undefined): void {
  if (img) list.push(img);
}
