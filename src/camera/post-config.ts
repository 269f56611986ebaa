import { NS, asArray, buildDocument, child, describeFailure, parseConfigDoc, text } from './xml.js';

/**
 * GetHttpPostConfig / SetHttpPostConfig (viewtron-protocol.md §5.2). Pure.
 *
 * A Set body carries every httpPostV2 slot: the slots we do not touch are
 * written back exactly as the camera returned them (raw parsed nodes), so a
 * subscription for another receiver on slot 2 survives our change to slot 1.
 */

export const DATA_TYPES = ['alarmStatus', 'traject', 'smartData', 'sourceImage', 'targetImage'] as const;
export const SUBSCRIPTION_EVENTS = [
  'ALL',
  'MOTION',
  'SENSOR',
  'PERIMETER',
  'TRIPWIRE',
  'OSC',
  'AVD',
  'AOIENTRY',
  'AOILEAVE',
  'PASSLINECOUNT',
  'TRAFFIC',
  'VSD',
  'PVD',
  'LOITER',
  'ASD',
] as const;
export const MAX_SLOTS = 3;

export interface PostSlot {
  urlId: number;
  enabled: boolean;
  protocol: string;
  domain: string;
  port: number;
  path: string;
  authentication: string;
  heartbeat: boolean;
  keepaliveS: number;
  dataTypes: string[];
  events: string[];
}

export interface HttpPostV1 {
  enabled: boolean;
  protocolType?: string;
  serverIp: string;
  serverPort: number;
  keepaliveS: number;
  /** read-only on the device: true when its heartbeats succeed */
  onlineStatus?: boolean;
  url: string;
}

export interface HttpPostConfig {
  version?: string;
  v1?: HttpPostV1;
  v2?: {
    maxCount?: number;
    slots: PostSlot[];
    /** the parsed <item> nodes, by urlId, to write back untouched */
    raw: Map<number, Record<string, unknown>>;
  };
}

export class NoHttpPostV2Error extends Error {
  override name = 'NoHttpPostV2Error';
}

const bool = (v: unknown): boolean => text(v)?.toLowerCase() === 'true';
const int = (v: unknown, dflt = 0): number => {
  const n = Number.parseInt(text(v) ?? '', 10);
  return Number.isFinite(n) ? n : dflt;
};
const listItems = (node: unknown): string[] =>
  asArray(child(node, 'item') as unknown[] | undefined)
    .map((i) => text(i) ?? '')
    .filter((s) => s.length > 0);

export function slotFromItem(item: Record<string, unknown>): PostSlot {
  const url = child(item, 'url');
  return {
    urlId: int(item.urlId),
    enabled: bool(item.switch),
    protocol: text(child(url, 'protocol')) ?? 'http',
    domain: text(child(url, 'domain')) ?? '',
    port: int(child(url, 'port'), 80),
    path: text(child(url, 'path')) ?? '',
    authentication: text(child(url, 'authentication')) ?? 'none',
    heartbeat: bool(item.heatBeatSwitch),
    keepaliveS: int(item.keepaliveTimeval),
    dataTypes: listItems(item.subscribeDateType),
    events: listItems(item.subscriptionEvents),
  };
}

/** Parses a GetHttpPostConfig answer; throws with the device's errorCode when it failed. */
export function parseHttpPostConfig(xml: string): HttpPostConfig {
  const doc = parseConfigDoc(xml);
  if ('status' in doc) throw new Error(`GetHttpPostConfig failed: ${describeFailure(doc)}`);
  const c = doc.config;
  const out: HttpPostConfig = { version: c['@_version'] as string | undefined };
  const v1 = c.httpPost;
  if (v1 !== undefined) {
    out.v1 = {
      enabled: bool(child(v1, 'bSwitch')),
      protocolType: text(child(v1, 'protocolType')),
      serverIp: text(child(v1, 'serverIp')) ?? '',
      serverPort: int(child(v1, 'serverPort'), 80),
      keepaliveS: int(child(v1, 'keepaliveTimeval')),
      onlineStatus: child(v1, 'onlineStatus') === undefined ? undefined : bool(child(v1, 'onlineStatus')),
      url: text(child(v1, 'URL')) ?? '',
    };
  }
  const v2 = c.httpPostV2;
  if (v2 !== undefined) {
    const list = child(child(v2, 'postUrlConf'), 'urlList');
    const items = asArray(child(list, 'item') as Record<string, unknown>[] | undefined).filter(
      (i) => typeof i === 'object' && i !== null,
    );
    const raw = new Map<number, Record<string, unknown>>();
    const slots = items.map((i) => {
      const s = slotFromItem(i);
      raw.set(s.urlId, i);
      return s;
    });
    const maxCount = child(list, '@_maxCount');
    out.v2 = { slots, raw, maxCount: maxCount === undefined ? undefined : int(maxCount, MAX_SLOTS) };
  }
  return out;
}

export interface SubscriptionRequest {
  url: URL;
  dataTypes: string[];
  /** undefined: keep the slot's events, or ALL for a new slot */
  events?: string[];
  /** undefined: the slot already pointing at this URL, else the first free one */
  slot?: number;
  keepaliveS: number;
}

export function urlParts(u: URL): { protocol: string; domain: string; port: number; path: string } {
  const protocol = u.protocol.replace(/:$/, '');
  return {
    protocol,
    domain: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : protocol === 'https' ? 443 : 80,
    path: `${u.pathname}${u.search}` || '/',
  };
}

const isFree = (s: PostSlot): boolean => !s.enabled || s.domain === '' || s.domain === '0.0.0.0';

/** Which slot a subscription goes to (explicit, same URL, or first free). */
export function chooseSlot(cfg: HttpPostConfig, req: SubscriptionRequest): number {
  const slots = cfg.v2?.slots ?? [];
  const max = Math.min(cfg.v2?.maxCount ?? MAX_SLOTS, MAX_SLOTS);
  if (req.slot !== undefined) {
    if (!Number.isInteger(req.slot) || req.slot < 1 || req.slot > max) throw new Error(`--slot must be 1..${max}`);
    return req.slot;
  }
  const want = urlParts(req.url);
  const same = slots.find((s) => s.domain === want.domain && s.port === want.port && s.path === want.path);
  if (same) return same.urlId;
  for (let id = 1; id <= max; id++) {
    const s = slots.find((x) => x.urlId === id);
    if (!s || isFree(s)) return id;
  }
  throw new Error(
    `all ${max} httpPostV2 slots are in use (${slots.map((s) => `${s.urlId}: ${s.domain}:${s.port}${s.path}`).join(', ')}); choose one to replace with --slot`,
  );
}

export interface SubscriptionPlan {
  slotId: number;
  before?: PostSlot;
  after: PostSlot;
  /** the SetHttpPostConfig body */
  body: string;
}

function itemNode(s: PostSlot, base: Record<string, unknown> | undefined): Record<string, unknown> {
  // Start from the camera's own node so fields we do not model (e.g. credentials
  // under <url>) survive; known fields are overwritten in place, keeping order.
  const node: Record<string, unknown> = { ...(base ?? {}) };
  const url: Record<string, unknown> = { ...((base?.url as Record<string, unknown> | undefined) ?? {}) };
  node.urlId = String(s.urlId);
  node.switch = String(s.enabled);
  url.protocol = s.protocol;
  url.domain = { __cdata: s.domain };
  url.port = String(s.port);
  url.path = { __cdata: s.path };
  url.authentication = url.authentication ?? s.authentication;
  node.url = url;
  node.heatBeatSwitch = String(s.heartbeat);
  node.keepaliveTimeval = String(s.keepaliveS);
  node.subscribeDateType = { '@_type': 'list', '@_count': String(s.dataTypes.length), item: [...s.dataTypes] };
  node.subscriptionEvents = { '@_type': 'list', '@_count': String(s.events.length), item: [...s.events] };
  return node;
}

function cleanRaw(node: Record<string, unknown>): Record<string, unknown> {
  // <itemType> children in config responses describe the list, they are not data.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'itemType') continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? cleanRaw(v as Record<string, unknown>) : v;
  }
  return out;
}

/** Builds the slot we want and the SetHttpPostConfig body that writes it (other slots unchanged). */
export function planSubscription(cfg: HttpPostConfig, req: SubscriptionRequest): SubscriptionPlan {
  if (!cfg.v2) {
    throw new NoHttpPostV2Error(
      'this camera has no httpPostV2 block in GetHttpPostConfig: its firmware predates HTTP POST V2, which traject ' +
        'and per-slot subscriptions need. Configure the push in the camera web UI (Network > Advanced > HTTP ' +
        'Notification / HTTP POST), or use httpPost v1 (Push Protocol Version V1: server IP, port and URL; alarms ' +
        'only, no traject). A firmware update may add V2.',
    );
  }
  for (const d of req.dataTypes) {
    if (!(DATA_TYPES as readonly string[]).includes(d)) throw new Error(`unknown data type "${d}" (known: ${DATA_TYPES.join(', ')})`);
  }
  for (const e of req.events ?? []) {
    if (!(SUBSCRIPTION_EVENTS as readonly string[]).includes(e))
      throw new Error(`unknown subscription event "${e}" (known: ${SUBSCRIPTION_EVENTS.join(', ')})`);
  }
  const slotId = chooseSlot(cfg, req);
  const before = cfg.v2.slots.find((s) => s.urlId === slotId);
  const parts = urlParts(req.url);
  const after: PostSlot = {
    urlId: slotId,
    enabled: true,
    ...parts,
    authentication: before?.authentication ?? 'none',
    heartbeat: true,
    keepaliveS: req.keepaliveS,
    dataTypes: [...req.dataTypes],
    events: req.events ? [...req.events] : before && before.events.length ? [...before.events] : ['ALL'],
  };
  const ids = new Set([...cfg.v2.slots.map((s) => s.urlId), slotId]);
  const items = [...ids]
    .sort((a, b) => a - b)
    .map((id) => (id === slotId ? itemNode(after, cfg.v2!.raw.get(id)) : cleanRaw(cfg.v2!.raw.get(id) ?? {})));
  const body = buildDocument({
    '@_version': '1.0',
    '@_xmlns': NS,
    httpPostV2: {
      postUrlConf: {
        urlList: { '@_type': 'list', '@_count': String(items.length), item: items },
      },
    },
  });
  return { slotId, before, after, body };
}

export function describeUrl(s: Pick<PostSlot, 'protocol' | 'domain' | 'port' | 'path'>): string {
  const host = s.domain.includes(':') ? `[${s.domain}]` : s.domain;
  return `${s.protocol}://${host}:${s.port}${s.path}`;
}

/** Field-by-field differences of one slot, as "field: old -> new" lines (empty when equal). */
export function diffSlot(before: PostSlot | undefined, after: PostSlot): string[] {
  const fields: [string, (s: PostSlot) => string][] = [
    ['switch', (s) => String(s.enabled)],
    ['url', describeUrl],
    ['authentication', (s) => s.authentication],
    ['heartbeat', (s) => String(s.heartbeat)],
    ['keepalive', (s) => `${s.keepaliveS}s`],
    ['data', (s) => s.dataTypes.join(',') || '(none)'],
    ['events', (s) => s.events.join(',') || '(none)'],
  ];
  const lines: string[] = [];
  for (const [name, get] of fields) {
    const a = before ? get(before) : '(unset)';
    const b = get(after);
    if (a !== b) lines.push(`${name}: ${a} -> ${b}`);
  }
  return lines;
}

/** Which requested fields the camera did not keep (read-back check). */
export function mismatches(want: PostSlot, got: PostSlot | undefined): string[] {
  if (!got) return ['the slot is missing from the read-back'];
  const out: string[] = [];
  if (got.enabled !== want.enabled) out.push(`switch is ${got.enabled}`);
  if (got.domain !== want.domain || got.port !== want.port || got.path !== want.path || got.protocol !== want.protocol)
    out.push(`url is ${describeUrl(got)}`);
  const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  if (!sameSet(got.dataTypes, want.dataTypes)) out.push(`data is ${got.dataTypes.join(',') || '(none)'}`);
  if (!sameSet(got.events, want.events)) out.push(`events are ${got.events.join(',') || '(none)'}`);
  if (got.keepaliveS !== want.keepaliveS) out.push(`keepalive is ${got.keepaliveS}s`);
  return out;
}

export function formatSlot(s: PostSlot): string[] {
  return [
    `slot ${s.urlId}: ${s.enabled ? 'on ' : 'off'} ${describeUrl(s)}`,
    `  data: ${s.dataTypes.join(', ') || '(none)'}`,
    `  events: ${s.events.join(', ') || '(none)'}`,
    `  heartbeat: ${s.heartbeat ? `every ${s.keepaliveS}s` : 'off'}, authentication: ${s.authentication}`,
  ];
}
