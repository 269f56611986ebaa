/**
 * The one event model every source normalizes to and every sink serializes
 * (product.md §4). Pure: no I/O.
 */
export const EVENT_TYPES = [
  'alarm.intrusion',
  'alarm.line_crossing',
  'alarm.zone_entry',
  'alarm.zone_exit',
  'alarm.loitering',
  'alarm.parking',
  'alarm.lpr',
  'alarm.face',
  'alarm.metadata',
  'alarm.counting',
  'alarm.motion',
  'alarm.status',
  'alarm.analytics',
  'alarm.unknown',
  'presence.on',
  'presence.off',
  'target.enter',
  'target.leave',
  'output.on',
  'output.off',
  'camera.online',
  'camera.offline',
  'camera.clock_skew',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export type TargetClass = 'person' | 'car' | 'motor' | 'unknown';

/** Box on the 0..1 scale (x1,y1 top-left; x2,y2 bottom-right). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface ImageRef {
  kind: 'overview' | 'target' | 'plate' | 'face' | 'snapshot' | 'clip';
  /** path relative to the images folder; absent when the image was invalid or not kept */
  file?: string;
  bytes?: number;
  sha256?: string;
  width?: number;
  height?: number;
  valid: boolean;
  /** why the image is not kept (placeholder, invalid base64, over bounds) */
  error?: string;
}

export interface EventData {
  camera: string;
  received_at: string;
  /** 'device' when `time` is the device's own clock, 'received' when it fell back to receive time */
  time_source?: 'device' | 'received';
  [key: string]: unknown;
}

export interface CamEvent {
  /** stable: identical on every sink and every retry */
  id: string;
  type: EventType;
  camera: string;
  /** ISO 8601 UTC */
  time: string;
  data: EventData;
}

export const DATASCHEMA = 'urn:camrelay:event:v1';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  data: EventData;
}

export function toCloudEvent(ev: CamEvent, site: string): CloudEvent {
  return {
    specversion: '1.0',
    id: ev.id,
    source: `camrelay://${site}/${ev.camera}`,
    type: `camrelay.${ev.type}`,
    subject: ev.camera,
    time: ev.time,
    datacontenttype: 'application/json',
    dataschema: DATASCHEMA,
    data: ev.data,
  };
}

/** The exact bytes every sink sends for an event. */
export function serializeEvent(ev: CamEvent, site: string): string {
  return JSON.stringify(toCloudEvent(ev, site));
}
