import { z } from 'zod';
import type { CameraState, OutputState, ZoneState } from '../core/bus.js';

/**
 * Pure MQTT topic, payload and Home Assistant discovery builders
 * (product.md §5). No client, no I/O.
 */

/** MQTT topic levels must not contain wildcards or separators. */
export function topicLevel(s: string): string {
  return s.replace(/[+#/\u0000]/g, '_');
}

export function defaultPrefix(site: string): string {
  return `camrelay/${topicLevel(site)}`;
}

export const topics = (prefix: string) => ({
  availability: `${prefix}/availability`,
  event: (camera: string, type: string) => `${prefix}/events/${topicLevel(camera)}/${topicLevel(type)}`,
  camera: (id: string) => `${prefix}/cameras/${topicLevel(id)}/availability`,
  zone: (id: string) => `${prefix}/zones/${topicLevel(id)}/state`,
  output: (id: string) => `${prefix}/outputs/${topicLevel(id)}/state`,
  outputSet: (id: string) => `${prefix}/outputs/${topicLevel(id)}/set`,
  outputSetFilter: `${prefix}/outputs/+/set`,
  buffer: `${prefix}/buffer`,
  image: (camera: string, kind: string) => `${prefix}/cameras/${topicLevel(camera)}/image/${topicLevel(kind)}`,
});

export function zonePayload(z: ZoneState): string {
  return JSON.stringify({ presence: z.presence, count: z.count, since: z.since });
}

export function outputPayload(o: OutputState): string {
  return JSON.stringify({ state: o.state, mode: o.mode, reason: o.reason });
}

export function cameraPayload(c: CameraState): 'online' | 'offline' {
  // null = configured but never posted: not reachable as far as we know
  return c.online === true ? 'online' : 'offline';
}

export function bufferPayload(depth: number, oldestAgeS: number | null): string {
  return JSON.stringify({ depth, oldest_age_s: oldestAgeS });
}

// ---------------------------------------------------------------- commands

export interface OutputCommand {
  state: 'on' | 'off' | 'auto';
  for_s?: number;
}

const stateWord = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['on', 'off', 'auto']));

const jsonCommand = z
  .object({
    state: stateWord,
    for_s: z.number().positive().max(7 * 24 * 3600).optional(),
  })
  .strict();

/** Parses `ON`, `OFF`, `AUTO` or `{"state":"ON","for_s":30}`; null when invalid. */
export function parseOutputCommand(payload: Buffer | string): OutputCommand | null {
  const text = payload.toString().trim();
  if (text.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return null;
    }
    const r = jsonCommand.safeParse(raw);
    if (!r.success) return null;
    return r.data.for_s === undefined ? { state: r.data.state } : { state: r.data.state, for_s: r.data.for_s };
  }
  const r = stateWord.safeParse(text);
  return r.success ? { state: r.data } : null;
}

/** `{prefix}/outputs/{id}/set` → id, or null for any other topic. */
export function outputIdFromSetTopic(prefix: string, topic: string): string | null {
  const head = `${prefix}/outputs/`;
  if (!topic.startsWith(head) || !topic.endsWith('/set')) return null;
  const id = topic.slice(head.length, -'/set'.length);
  return id.length > 0 && !id.includes('/') ? id : null;
}

// ---------------------------------------------------------------- discovery

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

export interface DiscoveryInput {
  site: string;
  prefix: string;
  discoveryPrefix: string;
  cameras: CameraState[];
  zones: ZoneState[];
  outputs: OutputState[];
  /** which camera a zone belongs to (for the device block); absent = the box */
  zoneCamera?: (zoneId: string) => string | undefined;
  /** images are published: add an MQTT camera entity (overview image) per camera */
  images?: boolean;
}

function uid(site: string, ...parts: string[]): string {
  return ['camrelay', site, ...parts].map((p) => p.replace(/[^A-Za-z0-9_-]/g, '_')).join('_');
}

/** Retained HA discovery configs; availability is tied to `{prefix}/availability`. */
export function discoveryMessages(inp: DiscoveryInput): DiscoveryMessage[] {
  const t = topics(inp.prefix);
  const node = uid(inp.site);
  const box = {
    identifiers: [node],
    name: `camrelay ${inp.site}`,
    manufacturer: 'camrelay',
    model: 'edge relay',
  };
  const camDevice = (id: string, name?: string) => ({
    identifiers: [uid(inp.site, 'camera', id)],
    name: name ?? id,
    manufacturer: 'Viewtron',
    via_device: node,
  });
  const availability = {
    availability_topic: t.availability,
    payload_available: 'online',
    payload_not_available: 'offline',
  };
  const out: DiscoveryMessage[] = [];
  const d = inp.discoveryPrefix;
  const names = new Map(inp.cameras.map((c) => [c.id, c.name]));

  for (const c of inp.cameras) {
    const id = uid(inp.site, 'camera', c.id);
    out.push({
      topic: `${d}/binary_sensor/${node}/${id}/config`,
      payload: JSON.stringify({
        name: 'Connectivity',
        unique_id: id,
        object_id: id,
        device_class: 'connectivity',
        state_topic: t.camera(c.id),
        payload_on: 'online',
        payload_off: 'offline',
        ...availability,
        device: camDevice(c.id, c.name),
      }),
    });
  }
  if (inp.images) {
    for (const c of inp.cameras) {
      const id = uid(inp.site, 'camera', c.id, 'image');
      out.push({
        topic: `${d}/camera/${node}/${id}/config`,
        payload: JSON.stringify({
          name: 'Last alarm image',
          unique_id: id,
          object_id: id,
          topic: t.image(c.id, 'overview'),
          ...availability,
          device: camDevice(c.id, c.name),
        }),
      });
    }
  }
  for (const z of inp.zones) {
    const id = uid(inp.site, 'zone', z.id);
    const cam = inp.zoneCamera?.(z.id);
    out.push({
      topic: `${d}/binary_sensor/${node}/${id}/config`,
      payload: JSON.stringify({
        name: `Zone ${z.id}`,
        unique_id: id,
        object_id: id,
        device_class: 'occupancy',
        state_topic: t.zone(z.id),
        value_template: "{{ 'ON' if value_json.presence else 'OFF' }}",
        payload_on: 'ON',
        payload_off: 'OFF',
        json_attributes_topic: t.zone(z.id),
        ...availability,
        device: cam && cam !== '*' ? camDevice(cam, names.get(cam)) : box,
      }),
    });
  }
  for (const o of inp.outputs) {
    const id = uid(inp.site, 'output', o.id);
    out.push({
      topic: `${d}/switch/${node}/${id}/config`,
      payload: JSON.stringify({
        name: `Output ${o.id}`,
        unique_id: id,
        object_id: id,
        command_topic: t.outputSet(o.id),
        payload_on: 'ON',
        payload_off: 'OFF',
        state_topic: t.output(o.id),
        value_template: '{{ value_json.state }}',
        state_on: 'ON',
        state_off: 'OFF',
        json_attributes_topic: t.output(o.id),
        ...availability,
        device: box,
      }),
    });
  }
  const bid = uid(inp.site, 'buffer_depth');
  out.push({
    topic: `${d}/sensor/${node}/${bid}/config`,
    payload: JSON.stringify({
      name: 'Buffer depth',
      unique_id: bid,
      object_id: bid,
      state_topic: t.buffer,
      value_template: '{{ value_json.depth }}',
      unit_of_measurement: 'events',
      state_class: 'measurement',
      entity_category: 'diagnostic',
      json_attributes_topic: t.buffer,
      ...availability,
      device: box,
    }),
  });
  return out;
}
