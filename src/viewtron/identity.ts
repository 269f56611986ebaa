import type { CameraConfig } from '../config/schema.js';
import type { DeviceIdentity } from './types.js';

const MAC_SEP_RE = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/;
const MAC_BARE_RE = /^[0-9a-f]{12}$/;

/**
 * `58:5B:69:40:F4:0D`, `78-24-AF-44-89-01`, `585b6940f40d` → `58:5b:69:40:f4:0d`.
 * Anything that is not six hex octets gives undefined.
 */
export function normalizeMac(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim().toLowerCase();
  const m = MAC_SEP_RE.exec(s);
  if (m) return `${m[1]}:${m[2]}:${m[3]}:${m[4]}:${m[5]}:${m[6]}`;
  if (MAC_BARE_RE.test(s)) return s.replace(/(..)(?!$)/g, '$1:');
  return undefined;
}

function sameText(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
}

/**
 * Maps a posting device to a configured camera id.
 *
 * Order: MAC, then serial, then name (names are user-editable, so last). For an
 * NVR post with a channel, a camera matching the NVR's identity *and*
 * `nvr_channel` wins; a matching camera without `nvr_channel` stands for the
 * whole NVR. Unknown devices get a stable id derived from MAC (else serial, else
 * name), plus `-ch<N>` for NVR channels: `cam-585b695a84bb-ch2`.
 *
 * E1-style IPC alarm posts and empty keepalives carry no identity at all: with
 * `sourceIp`, a camera whose `host` is that address is taken, and an unknown
 * one gets `cam-ip-192-168-1-57`. Without identity or address: `cam-unknown`.
 */
export function resolveCamera(
  device: DeviceIdentity,
  cameras: readonly CameraConfig[],
  sourceIp?: string,
): { id: string; known: boolean } {
  const mac = normalizeMac(device.mac);
  const channel = device.channel;
  const matchers: ((c: CameraConfig) => boolean)[] = [
    (c) => mac !== undefined && normalizeMac(c.mac) === mac,
    (c) => sameText(c.serial, device.serial),
    (c) => c.mac === undefined && c.serial === undefined && sameText(c.name, device.name),
  ];
  for (const match of matchers) {
    if (channel !== undefined) {
      const exact = cameras.find((c) => c.nvr_channel === channel && match(c));
      if (exact) return { id: exact.id, known: true };
      const whole = cameras.find((c) => c.nvr_channel === undefined && match(c));
      if (whole) return { id: whole.id, known: true };
    } else {
      const hit = cameras.find((c) => c.nvr_channel === undefined && match(c));
      if (hit) return { id: hit.id, known: true };
    }
  }
  const anonymous = mac === undefined && !device.serial && !device.name;
  if (anonymous && sourceIp !== undefined) {
    const ip = sourceIp.replace(/^::ffff:/, '');
    const byHost = cameras.find((c) => c.host !== undefined && c.host.replace(/:\d+$/, '') === ip && (channel === undefined || c.nvr_channel === undefined || c.nvr_channel === channel));
    if (byHost) return { id: byHost.id, known: true };
  }
  let base: string;
  if (mac !== undefined) base = mac.replace(/:/g, '');
  else if (device.serial && slug(device.serial)) base = slug(device.serial);
  else if (device.name && slug(device.name)) base = slug(device.name);
  else if (sourceIp !== undefined && slug(sourceIp.replace(/^::ffff:/, ''))) base = 'ip-' + slug(sourceIp.replace(/^::ffff:/, ''));
  else base = 'unknown';
  return { id: `cam-${base}${channel !== undefined ? `-ch${channel}` : ''}`, known: false };
}

/**
 * Every configured camera whose MAC/serial (or, lacking both, name) matches the
 * device, whatever its `nvr_channel`: an NVR keepalive (no channel) vouches for
 * all cameras behind that NVR.
 */
export function camerasOfDevice(device: DeviceIdentity, cameras: readonly CameraConfig[]): CameraConfig[] {
  const mac = normalizeMac(device.mac);
  return cameras.filter(
    (c) =>
      (mac !== undefined && normalizeMac(c.mac) === mac) ||
      sameText(c.serial, device.serial) ||
      (c.mac === undefined && c.serial === undefined && sameText(c.name, device.name)),
  );
}
