import type { TargetClass } from '../core/event.js';

/** Who sent a post, as far as the body says. */
export interface DeviceIdentity {
  dialect: 'ipc' | 'nvr';
  /** lowercase, colon separated */
  mac?: string;
  serial?: string;
  name?: string;
  ip?: string;
  /** NVR camera port (`deviceInfo/channelId`) */
  channel?: number;
}

/** [x1, y1, x2, y2] exactly as sent (integers). */
export type Rect = [number, number, number, number];

export interface Point {
  x: number;
  y: number;
}

export interface TrajectTarget {
  id: string;
  cls: TargetClass;
  /** on the 0..10000 grid */
  rect: Rect;
}

/** What the alarm is about, independent of dialect and spelling. */
export type AlarmKind =
  | 'intrusion'
  | 'line_crossing'
  | 'zone_entry'
  | 'zone_exit'
  | 'loitering'
  | 'parking'
  | 'lpr'
  | 'face'
  | 'metadata'
  | 'counting'
  | 'motion'
  | 'unknown';

export type ImageKind = 'overview' | 'target' | 'plate' | 'face';

/** One base64 image found in a post (not decoded here). */
export interface ImageBlock {
  kind: ImageKind;
  base64: string;
  /** `*Base64Length` as sent (length of the base64 text) */
  declaredLength?: number;
  width?: number;
  height?: number;
  targetId?: string;
}

/** A rule hit inside an alarm post (IPC perInfo/tripInfo item, NVR eventInfo item). */
export interface AlarmEventItem {
  eventId?: string;
  targetId?: string;
  /** SMART_START / SMART_PROCEDURE / SMART_STOP (IPC only) */
  status?: string;
  rect?: Rect;
  zone?: { kind: 'area'; points: Point[] } | { kind: 'line'; start: Point; end: Point };
}

export interface AlarmTarget {
  id?: string;
  cls: TargetClass;
  rect?: Rect;
  /** true when `rect` is on the 0..10000 grid (false: pixel-like NVR plate/face rects) */
  rectOnGrid: boolean;
}

export interface PlateInfo {
  number: string;
  targetId?: string;
  /** IPC `vehicleListType` (whiteList/blackList/temporaryList) or NVR `groupName` */
  list?: string;
  color?: string;
  confidence?: string;
  direction?: string;
  carOwner?: string;
  vehicle?: { type?: string; color?: string; brand?: string; model?: string };
}

export interface FaceInfo {
  targetId?: string;
  age?: string;
  sex?: string;
  glasses?: string;
  mask?: string;
}

export interface AlarmStatusState {
  field: string;
  /** rule number (`id` attribute) */
  id?: string;
  active: boolean;
}

export interface KeepaliveMessage {
  family: 'keepalive';
  device: DeviceIdentity;
}

export interface TrajectMessage {
  family: 'traject';
  device: DeviceIdentity;
  currentTime?: string;
  targets: TrajectTarget[];
}

export interface AlarmStatusMessage {
  family: 'alarm_status';
  device: DeviceIdentity;
  /** family D: version 1.0 or posted to /SendAlarmStatus */
  legacy: boolean;
  dataTime?: string;
  currentTime?: string;
  states: AlarmStatusState[];
}

export interface AlarmDataMessage {
  family: 'alarm_data';
  device: DeviceIdentity;
  /** exactly as sent */
  smartType: string;
  kind: AlarmKind;
  /** E1/E2/E3 IPC header styles (protocol §1.4.1) or the NVR layout */
  header: 'E1' | 'E2' | 'E3' | 'nvr';
  currentTime?: string;
  relativeTime?: string;
  events: AlarmEventItem[];
  targets: AlarmTarget[];
  plates: PlateInfo[];
  faces: FaceInfo[];
  images: ImageBlock[];
}

export interface UnknownMessage {
  family: 'unknown';
  /** short machine code: unknown_root, unknown_shape, unknown_message_type */
  reason: string;
  /** e.g. the root element or messageType seen */
  detail?: string;
  device?: DeviceIdentity;
}

export type ViewtronMessage =
  | KeepaliveMessage
  | TrajectMessage
  | AlarmStatusMessage
  | AlarmDataMessage
  | UnknownMessage;
