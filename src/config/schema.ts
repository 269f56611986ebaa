import { z } from 'zod';

/**
 * The config schema (product.md §7). One zod schema per area, composed at the
 * bottom. Every optional key has a default, so `{}` is a valid config: the
 * built-in defaults of product.md §2.
 *
 * Secrets: a key named in SECRET_KEYS may instead be given as `<key>_file`
 * (path to a file holding it) or `<key>_env` (name of an environment variable);
 * load.ts resolves those before validation and masks them wherever printed.
 */
export const SECRET_KEYS = ['password', 'token', 'secret', 'secrets', 'path_secret'] as const;

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected "host:port", e.g. "0.0.0.0:8080"');

const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected an IP address or CIDR such as "10.0.0.0/24"');

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids use letters, digits, "_", "." and "-" (max 64)');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected "HH:MM" (24 h)');

const grid = z.number().min(0).max(10000);

export const siteSchema = z
  .object({
    id: id.default('site'),
    name: z.string().default('camrelay site'),
    latitude: z.number().min(-90).max(90).optional(),
    longitude: z.number().min(-180).max(180).optional(),
    timezone: z
      .string()
      .default('UTC')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'unknown IANA timezone (e.g. "Europe/Berlin", "America/New_York")'),
  })
  .strict();

export const ingestSchema = z
  .object({
    listen: listen.default('0.0.0.0:8080'),
    /** accepted paths for Viewtron posts; empty = any path except /hooks/* */
    paths: z.array(z.string().startsWith('/')).default([]),
    max_body_bytes: z.number().int().min(1024).default(4 * 1024 * 1024),
    headers_timeout_ms: z.number().int().min(100).default(10_000),
    request_timeout_ms: z.number().int().min(100).default(30_000),
    keepalive_timeout_ms: z.number().int().min(100).default(75_000),
    max_connections: z.number().int().min(1).default(512),
    /** source addresses allowed to post; empty = everyone */
    allowed_cidrs: z.array(cidr).default([]),
    basic_auth: z.object({ username: z.string().min(1), password: z.string().min(1) }).strict().optional(),
    /** device clock off by more than this raises camera.clock_skew (once per hour) */
    clock_skew_threshold_s: z.number().min(1).default(120),
    quarantine_max_rows: z.number().int().min(1).default(1000),
  })
  .strict();

export const adminSchema = z
  .object({
    listen: listen.default('127.0.0.1:8081'),
    /** bearer token for mutating calls (and all calls when not on loopback) */
    token: z.string().min(8).optional(),
    /** readyz fails when no camera posted for this long (0 = off) */
    ready_requires_post_within_s: z.number().int().min(0).default(0),
  })
  .strict();

export const storageSchema = z
  .object({
    data_dir: z.string().default('./data'),
    database: z.string().default('camrelay.db'),
    images_dir: z.string().default('images'),
    durability: z.enum(['full', 'normal']).default('full'),
    group_commit_ms: z.number().min(0).max(1000).default(2),
    max_db_mb: z.number().min(1).default(1024),
    max_event_age_days: z.number().min(0.001).default(30),
    wal_checkpoint_mb: z.number().min(1).default(64),
    /**
     * SQLite page cache of the writer connection. better-sqlite3 builds SQLite with a 16 MB
     * default that fills as the database grows; appends and acks touch only the newest pages and
     * the indexes' right edges, and the OS caches the file anyway.
     */
    cache_mb: z.number().min(0.25).max(1024).default(2),
    /** how often size/age bounds and the WAL size are checked (also once at start) */
    maintain_interval_s: z.number().min(1).default(5),
    images: z
      .object({
        keep: z.boolean().default(true),
        max_total_mb: z.number().min(1).default(2048),
        max_count: z.number().int().min(1).default(20_000),
        max_age_days: z.number().min(0.001).default(14),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const cameraSchema = z
  .object({
    id,
    name: z.string().optional(),
    mac: z.string().optional(),
    serial: z.string().optional(),
    /** for cameras behind an NVR: the NVR's MAC/serial above plus the channel */
    nvr_channel: z.number().int().min(1).optional(),
    /** the camera's address: names posts that carry no identity (IPC "E1" alarm posts, empty keepalives) */
    host: z.string().optional(),
    /** expected keepalive interval; learnt from traffic when absent */
    keepalive_s: z.number().min(1).optional(),
  })
  .strict()
  .refine((c) => c.mac || c.serial || c.name, 'a camera needs mac, serial or name to be recognised');

export const zoneSchema = z
  .object({
    id,
    camera: z.union([id, z.literal('*')]),
    /** polygon on the 0..10000 grid; default the whole frame */
    polygon: z.array(z.tuple([grid, grid])).min(3).optional(),
    classes: z.array(z.enum(['person', 'car', 'motor'])).min(1).default(['person', 'car', 'motor']),
    min_box: z.object({ w: grid.default(0), h: grid.default(0) }).strict().prefault({}),
    anchor: z.enum(['bottom_center', 'center', 'any']).default('bottom_center'),
    enter_frames: z.number().int().min(1).default(1),
    enter_ms: z.number().int().min(0).default(0),
    target_timeout_ms: z.number().int().min(100).default(1000),
    off_delay_s: z.number().min(0).default(5),
    /** fallback for cameras without traject: alarm status / alarm posts hold the zone */
    fallback: z
      .object({
        alarm_status: z.boolean().default(true),
        alarm_events: z.boolean().default(true),
        alarm_hold_s: z.number().min(0).default(20),
      })
      .strict()
      .prefault({}),
    offline_policy: z.enum(['hold', 'off', 'on']).default('off'),
  })
  .strict();

const viewtronOutput = z
  .object({
    host: z.string(),
    port: z.number().int().min(1).max(65535).default(80),
    username: z.string().default('admin'),
    password: z.string().optional(),
    auth: z.enum(['auto', 'basic', 'digest']).default('auto'),
    kind: z.enum(['alarm_out', 'virtual_alarm']).default('alarm_out'),
    channel: z.number().int().min(1).optional(),
    virtual_alarm_id: z.number().int().min(1).optional(),
    timeout_ms: z.number().int().min(100).default(3000),
    retries: z.number().int().min(0).default(2),
  })
  .strict()
  .refine((v) => v.kind !== 'virtual_alarm' || v.virtual_alarm_id !== undefined, {
    message: 'kind virtual_alarm needs virtual_alarm_id (NVR virtual alarm inputs follow the physical ones: 16 inputs → 17)',
    path: ['virtual_alarm_id'],
  });

export const outputSchema = z
  .object({
    id,
    name: z.string().optional(),
    driver: z.enum(['gpio', 'gpiod', 'viewtron', 'simulated']).default('simulated'),
    /** BCM line number (gpio, gpiod) */
    pin: z.number().int().min(0).max(511).optional(),
    /** explicit sysfs number, overriding the gpiochip base mapping */
    sysfs_number: z.number().int().min(0).optional(),
    /** gpiod: chip label or name (default: the chip that has the line) */
    chip: z.string().optional(),
    active_low: z.boolean().default(false),
    safe_state: z.enum(['off', 'on']).default('off'),
    min_on_s: z.number().min(0).default(0),
    max_on_s: z.number().min(0).default(0),
    min_off_s: z.number().min(0).default(0),
    interlock: z.array(id).default([]),
    viewtron: viewtronOutput.optional(),
  })
  .strict()
  .refine((o) => !['gpio', 'gpiod'].includes(o.driver) || o.pin !== undefined || o.sysfs_number !== undefined, {
    message: 'gpio/gpiod outputs need `pin` (BCM number)',
    path: ['pin'],
  })
  .refine((o) => o.driver !== 'viewtron' || o.viewtron !== undefined, {
    message: 'viewtron outputs need a `viewtron:` block (host, credentials)',
    path: ['viewtron'],
  });

const eventFilter = z
  .object({
    types: z.array(z.string()).default([]),
    cameras: z.array(z.string()).default([]),
    classes: z.array(z.string()).default([]),
    plate_lists: z.array(z.string()).default([]),
    plates: z.array(z.string()).default([]),
    labels: z.array(z.string()).default([]),
    sources: z.array(z.string()).default([]),
    min_confidence: z.number().min(0).max(1).optional(),
  })
  .strict();

const day = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const ruleSchema = z
  .object({
    id,
    outputs: z.array(id).min(1),
    when: z
      .object({
        presence: z.object({ zones: z.array(id).min(1), mode: z.enum(['any', 'all']).default('any') }).strict().optional(),
        event: eventFilter.optional(),
      })
      .strict()
      .refine((w) => w.presence || w.event, 'a rule needs `presence` or `event` in `when`'),
    schedule: z
      .object({
        days: z.array(day).default(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
        from: hhmm.optional(),
        to: hhmm.optional(),
        dark_only: z.boolean().default(false),
        sunset_offset_min: z.number().default(0),
        sunrise_offset_min: z.number().default(0),
      })
      .strict()
      .optional(),
    action: z.enum(['hold', 'pulse']).default('hold'),
    hold_s: z.number().min(0).default(0),
    pulse_s: z.number().min(0).default(10),
    retrigger: z.boolean().default(true),
  })
  .strict();

export const mqttSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected mqtt://, mqtts://, ws:// or wss:// URL'),
    protocol_version: z.union([z.literal(4), z.literal(5)]).default(4),
    client_id: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    ca_file: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    reject_unauthorized: z.boolean().default(true),
    prefix: z.string().optional(),
    max_inflight: z.number().int().min(1).max(1000).default(64),
    max_age_s: z.number().min(1).default(7 * 24 * 3600),
    keepalive_s: z.number().int().min(5).default(30),
    images: z.boolean().default(false),
    discovery: z
      .object({ enabled: z.boolean().default(true), prefix: z.string().default('homeassistant') })
      .strict()
      .prefault({}),
  })
  .strict();

export const webhookSchema = z
  .object({
    id,
    url: z.string().url(),
    /** Standard Webhooks secret(s) `whsec_<base64>`; several during rotation */
    secret: z.string().optional(),
    secrets: z.array(z.string()).optional(),
    filter: eventFilter.pick({ types: true, cameras: true }).prefault({}),
    timeout_ms: z.number().int().min(100).default(10_000),
    concurrency: z.number().int().min(1).max(64).default(1),
    max_age_s: z.number().min(1).default(24 * 3600),
    /** retry delays; the last one repeats until max_age */
    retry_schedule_s: z.array(z.number().min(0)).min(1).default([0, 5, 300, 1800, 7200, 18000, 36000]),
    circuit_failures: z.number().int().min(1).default(5),
    batch_max: z.number().int().min(1).max(1000).default(1),
    images: z.enum(['reference', 'base64']).default('reference'),
    ca_file: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const sourceSchema = z
  .object({
    id,
    kind: z.enum(['gaard', 'turing', 'videodb', 'generic']),
    secret: z.string().optional(),
    /** required extra path segment: POST /hooks/{id}/{path_secret} */
    path_secret: z.string().min(8).optional(),
    allowed_cidrs: z.array(cidr).default([]),
    /** the platform's camera ids → configured camera ids */
    camera_map: z.record(z.string(), z.string()).default({}),
    max_body_bytes: z.number().int().min(1024).default(1024 * 1024),
    /** generic: JSON paths (dot notation) of the fields */
    fields: z
      .object({
        id: z.string().default('id'),
        time: z.string().optional(),
        camera: z.string().optional(),
        type: z.string().optional(),
        class: z.string().optional(),
        confidence: z.string().optional(),
        label: z.string().optional(),
      })
      .strict()
      .prefault({}),
    /** generic: how the body is signed */
    signature: z
      .object({
        scheme: z.enum(['none', 'hmac-sha256', 'standard-webhooks']).default('none'),
        header: z.string().default('x-signature'),
        encoding: z.enum(['hex', 'base64']).default('hex'),
      })
      .strict()
      .prefault({}),
    download_media: z
      .object({
        enabled: z.boolean().default(false),
        max_bytes: z.number().int().min(1024).default(20 * 1024 * 1024),
        timeout_ms: z.number().int().min(100).default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const logSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** human-readable lines; 'auto' = when stdout is a TTY */
    pretty: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  })
  .strict();

export const configSchema = z
  .object({
    site: siteSchema.prefault({}),
    ingest: ingestSchema.prefault({}),
    admin: adminSchema.prefault({}),
    storage: storageSchema.prefault({}),
    cameras: z.array(cameraSchema).default([]),
    zones: z.array(zoneSchema).default([]),
    outputs: z.array(outputSchema).default([]),
    rules: z.array(ruleSchema).default([]),
    mqtt: mqttSchema.optional(),
    webhooks: z.array(webhookSchema).default([]),
    sources: z.array(sourceSchema).default([]),
    log: logSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Cross references: a typo in an id must fail at check-config, not at 2 a.m.
    const uniq = (list: { id: string }[], key: string) => {
      const seen = new Set<string>();
      list.forEach((x, i) => {
        if (seen.has(x.id)) ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `duplicate id "${x.id}"` });
        seen.add(x.id);
      });
    };
    uniq(c.cameras, 'cameras');
    uniq(c.zones, 'zones');
    uniq(c.outputs, 'outputs');
    uniq(c.rules, 'rules');
    uniq(c.webhooks, 'webhooks');
    uniq(c.sources, 'sources');
    const cams = new Set(c.cameras.map((x) => x.id));
    const zones = new Set(c.zones.map((x) => x.id));
    const outs = new Set(c.outputs.map((x) => x.id));
    c.zones.forEach((z, i) => {
      if (z.camera !== '*' && !cams.has(z.camera))
        ctx.addIssue({ code: 'custom', path: ['zones', i, 'camera'], message: `unknown camera "${z.camera}"` });
    });
    c.outputs.forEach((o, i) =>
      o.interlock.forEach((x, j) => {
        if (!outs.has(x)) ctx.addIssue({ code: 'custom', path: ['outputs', i, 'interlock', j], message: `unknown output "${x}"` });
      }),
    );
    c.rules.forEach((r, i) => {
      r.outputs.forEach((x, j) => {
        if (!outs.has(x)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'outputs', j], message: `unknown output "${x}"` });
      });
      r.when.presence?.zones.forEach((x, j) => {
        if (!zones.has(x))
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'when', 'presence', 'zones', j], message: `unknown zone "${x}"` });
      });
      if (r.schedule?.dark_only && (c.site.latitude === undefined || c.site.longitude === undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'schedule', 'dark_only'],
          message: 'dark_only needs site.latitude and site.longitude',
        });
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type SiteConfig = Config['site'];
export type IngestConfig = Config['ingest'];
export type AdminConfig = Config['admin'];
export type StorageConfig = Config['storage'];
export type CameraConfig = Config['cameras'][number];
export type ZoneConfig = Config['zones'][number];
export type OutputConfig = Config['outputs'][number];
export type RuleConfig = Config['rules'][number];
export type MqttConfig = NonNullable<Config['mqtt']>;
export type WebhookConfig = Config['webhooks'][number];
export type SourceConfig = Config['sources'][number];
export type LogConfig = Config['log'];

export function parseListen(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}
