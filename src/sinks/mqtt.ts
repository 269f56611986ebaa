import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient, type Packet } from 'mqtt';
import type { CameraState, OutputState, ZoneState } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MqttConfig } from '../config/schema.js';
import type { EventStore, StoredEvent } from '../storage/types.js';
import { expBackoffMs } from './backoff.js';
import {
  bufferPayload,
  cameraPayload,
  defaultPrefix,
  discoveryMessages,
  outputIdFromSetTopic,
  outputPayload,
  parseOutputCommand,
  topics,
  zonePayload,
  type OutputCommand,
} from './mqtt-topics.js';
import type { Sink, SinkStatus } from './types.js';

export type { OutputCommand } from './mqtt-topics.js';

export interface Inventory {
  cameras: CameraState[];
  zones: ZoneState[];
  outputs: OutputState[];
}

export interface MqttSinkDeps {
  store: EventStore;
  logger: Logger;
  clock: Clock;
  site: string;
  /** store sink name, default 'mqtt' */
  name?: string;
  inventory: () => Inventory;
  onCommand: (outputId: string, cmd: OutputCommand) => void;
  /** zone id → camera id, for the HA device block */
  zoneCamera?: (zoneId: string) => string | undefined;
  /** reconnect backoff bounds (default 1 s → 60 s) */
  backoff?: { minMs: number; maxMs: number };
  /** how often the watchdog checks the client is still trying (default 15 s) */
  watchdogMs?: number;
  /** bounded flush on stop (default 5 s) */
  stopTimeoutMs?: number;
  /** buffer depth topic refresh (default 30 s) */
  bufferIntervalMs?: number;
  random?: () => number;
  /** absolute images folder; with `images: true` the event's image files are published too */
  imagesDir?: string;
}

/**
 * A broker may drop the connection instead of answering a publish it refuses
 * (mosquitto 2.0.11 does so for an ACL-denied MQTT 5 publish). After a drop
 * with events in flight the sink sends one event at a time; the same event
 * losing the connection this many times in a row is dead-lettered, so one
 * poison event cannot block (and endlessly duplicate) the queue.
 */
const POISON_STRIKES = 3;
/** acks in a row that end one-at-a-time probing */
const PROBE_OK_TO_RESUME = 20;

/** MQTT 5 PUBACK reason codes that will never succeed on a retry. */
const PERMANENT_RC = new Set([0x87, 0x90, 0x95, 0x99]);

interface InFlight {
  seq: number;
  ev: StoredEvent;
}

/**
 * Publishes the store's backlog for sink `mqtt` at QoS 1, oldest first,
 * acking each event only on its PUBACK. The SQLite buffer is the queue:
 * nothing is published while disconnected, and every connection gets a fresh
 * mqtt.js client (reconnectPeriod 0) so mqtt.js never replays on its own.
 */
export class MqttSink implements Sink {
  readonly name: string;
  private readonly log: Logger;
  private readonly prefix: string;
  private readonly t: ReturnType<typeof topics>;
  private readonly rand: () => number;
  private readonly backoff: { minMs: number; maxMs: number };

  private client: MqttClient | null = null;
  /** bumps on every new client: late callbacks of an old connection are ignored */
  private generation = 0;
  private connected = false;
  private connecting = false;
  private connectStartedAt = 0;
  private running = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private bufferTimer: NodeJS.Timeout | null = null;

  private readonly inflight = new Map<number, InFlight>();
  /** highest seq handed to the client on this connection */
  private lastSent: number | undefined;
  /** a publish failed: stop sending and re-read the backlog once the window is empty */
  private rewind = false;
  private pumpScheduled = false;
  private holdUntil = 0;
  private holdTimer: NodeJS.Timeout | null = null;
  private ackBuf: number[] = [];
  private ackScheduled = false;

  private readonly zones = new Map<string, ZoneState>();
  private readonly outputs = new Map<string, OutputState>();
  private readonly cameras = new Map<string, CameraState>();

  private lastError: string | null = null;
  private lastSuccessAt: number | null = null;
  private lastConnectedAt: number | null = null;
  private delivered = 0;
  private deadLettered = 0;
  private lastBufferPayload = '';
  private probe = false;
  private probeOk = 0;
  private readonly strikes = new Map<number, number>();

  constructor(
    private readonly cfg: MqttConfig,
    private readonly deps: MqttSinkDeps,
  ) {
    this.name = deps.name ?? 'mqtt';
    this.log = deps.logger.child({ component: 'sink', sink: this.name });
    this.prefix = (cfg.prefix ?? defaultPrefix(deps.site)).replace(/\/+$/, '');
    this.t = topics(this.prefix);
    this.rand = deps.random ?? Math.random;
    this.backoff = deps.backoff ?? { minMs: 1000, maxMs: 60_000 };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.connect();
    const wd = this.deps.watchdogMs ?? 15_000;
    this.watchdog = setInterval(() => this.checkWatchdog(), wd);
    this.watchdog.unref();
    this.bufferTimer = setInterval(() => this.publishBuffer(false), this.deps.bufferIntervalMs ?? 30_000);
    this.bufferTimer.unref();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of [this.watchdog, this.bufferTimer]) if (t) clearInterval(t);
    for (const t of [this.reconnectTimer, this.holdTimer]) if (t) clearTimeout(t);
    this.watchdog = this.bufferTimer = this.reconnectTimer = this.holdTimer = null;
    const client = this.client;
    if (client && this.connected) {
      const deadline = Date.now() + (this.deps.stopTimeoutMs ?? 5000);
      while (this.inflight.size > 0 && this.connected && Date.now() < deadline) await sleep(20);
      this.flushAcks();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(100, deadline - Date.now()));
        client.publish(this.t.availability, 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          client.end(true);
          resolve();
        }, 1000);
        client.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } else if (client) {
      client.end(true);
    }
    this.flushAcks();
    this.dropClient();
  }

  notify(): void {
    this.schedulePump();
  }

  publishZone(z: ZoneState): void {
    this.zones.set(z.id, z);
    this.publishState(this.t.zone(z.id), zonePayload(z));
  }

  publishOutput(o: OutputState): void {
    this.outputs.set(o.id, o);
    this.publishState(this.t.output(o.id), outputPayload(o));
  }

  publishCamera(c: CameraState): void {
    this.cameras.set(c.id, c);
    this.publishState(this.t.camera(c.id), cameraPayload(c));
  }

  status(): SinkStatus {
    return {
      name: this.name,
      kind: 'mqtt',
      connected: this.connected,
      last_error: this.lastError,
      last_success_at: this.lastSuccessAt,
      last_connected_at: this.lastConnectedAt,
      reconnect_attempts: this.attempts,
      inflight: this.inflight.size,
      one_at_a_time: this.probe,
      delivered: this.delivered,
      dead_lettered: this.deadLettered,
      prefix: this.prefix,
    };
  }

  // ------------------------------------------------------------ connection

  private clientOptions(): IClientOptions {
    const c = this.cfg;
    const opts: IClientOptions = {
      protocolVersion: c.protocol_version,
      clientId: c.client_id ?? `camrelay-${this.deps.site}`,
      clean: true,
      keepalive: c.keepalive_s,
      reconnectPeriod: 0, // we drive reconnects (jittered backoff, fresh client)
      connectTimeout: 10_000,
      queueQoSZero: false,
      resubscribe: false,
      rejectUnauthorized: c.reject_unauthorized,
      will: { topic: this.t.availability, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    if (c.username !== undefined) opts.username = c.username;
    if (c.password !== undefined) opts.password = c.password;
    if (c.ca_file) opts.ca = readFileSync(c.ca_file);
    if (c.cert_file) opts.cert = readFileSync(c.cert_file);
    if (c.key_file) opts.key = readFileSync(c.key_file);
    return opts;
  }

  private connect(): void {
    if (!this.running) return;
    this.reconnectTimer = null;
    this.dropClient();
    const gen = ++this.generation;
    this.connecting = true;
    this.connectStartedAt = Date.now();
    let client: MqttClient;
    try {
      client = mqtt.connect(this.cfg.url, this.clientOptions());
    } catch (err) {
      this.connecting = false;
      this.fail(`connect: ${errMsg(err)}`);
      this.scheduleReconnect();
      return;
    }
    this.client = client;
    client.on('connect', () => {
      if (gen !== this.generation) return;
      this.onConnected(client);
    });
    client.on('error', (err) => {
      if (gen !== this.generation) return;
      this.fail(errMsg(err));
    });
    client.on('close', () => {
      if (gen !== this.generation) return;
      this.onClosed();
    });
    client.on('message', (topic, payload, packet) => {
      if (gen !== this.generation) return;
      this.onMessage(topic, payload, packet.retain);
    });
  }

  private onConnected(client: MqttClient): void {
    this.connecting = false;
    this.connected = true;
    this.attempts = 0;
    this.lastConnectedAt = this.deps.clock.now();
    this.lastError = null;
    this.log.info({ url: redactUrl(this.cfg.url), prefix: this.prefix }, 'mqtt connected');
    const v5 = this.cfg.protocol_version === 5;
    // rh: 2 = never send retained messages at subscribe: a stale retained ON must not switch a relay
    const subOpts = v5 ? { qos: 1 as const, rh: 2 } : { qos: 1 as const };
    client.subscribe(this.t.outputSetFilter, subOpts, (err) => {
      if (err) this.log.warn({ err: errMsg(err) }, 'subscribe to output commands failed');
    });
    if (this.cfg.discovery.enabled) {
      client.subscribe(`${this.cfg.discovery.prefix}/status`, { qos: 1 }, (err) => {
        if (err) this.log.warn({ err: errMsg(err) }, 'subscribe to homeassistant status failed');
      });
    }
    this.publishRetained(this.t.availability, 'online');
    this.publishAllState();
    this.lastSent = undefined;
    this.rewind = false;
    this.inflight.clear();
    this.schedulePump();
  }

  private onClosed(): void {
    const was = this.connected;
    this.connected = false;
    this.connecting = false;
    // whatever was in flight is not acked: it stays pending in the store and is re-read on the next connect
    if (this.running && this.inflight.size > 0) this.countStrike();
    this.inflight.clear();
    this.lastSent = undefined;
    this.flushAcks();
    if (was) this.log.warn({ err: this.lastError }, 'mqtt connection lost');
    this.scheduleReconnect();
  }

  private countStrike(): void {
    if (this.probe && this.inflight.size === 1) {
      const seq = [...this.inflight.keys()][0]!;
      const n = (this.strikes.get(seq) ?? 0) + 1;
      this.strikes.set(seq, n);
      if (n >= POISON_STRIKES) {
        this.strikes.delete(seq);
        this.deadLetter(seq, `broker closed the connection each time this event was published (${n} times): poison event`);
      }
    }
    if (!this.probe) this.log.warn('connection lost with events in flight: publishing one at a time until acks flow again');
    this.probe = true;
    this.probeOk = 0;
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = expBackoffMs(this.attempts, this.backoff.minMs, this.backoff.maxMs, this.rand);
    this.attempts++;
    this.log.debug({ delay_ms: delay, attempt: this.attempts }, 'mqtt reconnect scheduled');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref?.();
  }

  /** Recreates the client if it ever stops trying (no timer, not connecting, not connected). */
  private checkWatchdog(): void {
    if (!this.running || this.connected) return;
    const stuckConnecting = this.connecting && Date.now() - this.connectStartedAt > 30_000;
    if ((!this.connecting && !this.reconnectTimer) || stuckConnecting) {
      this.log.warn({ stuck_connecting: stuckConnecting }, 'mqtt watchdog: recreating client');
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.connect();
    }
  }

  private dropClient(): void {
    const c = this.client;
    this.client = null;
    this.connected = false;
    this.generation++;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => {}); // a late socket error must not crash the process
      c.end(true);
    }
  }

  private fail(msg: string): void {
    this.lastError = msg;
    this.log.debug({ err: msg }, 'mqtt error');
  }

  // ------------------------------------------------------------ events

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const client = this.client;
    if (!this.running || !this.connected || !client) return;
    if (this.rewind) {
      if (this.inflight.size > 0) return;
      this.rewind = false;
      this.lastSent = undefined;
    }
    const now = this.deps.clock.now();
    if (now < this.holdUntil) return;
    const room = (this.probe ? 1 : this.cfg.max_inflight) - this.inflight.size;
    if (room <= 0) return;
    let batch: StoredEvent[];
    try {
      batch = this.deps.store.pending(this.name, room, this.lastSent);
    } catch (err) {
      this.fail(`store: ${errMsg(err)}`);
      this.hold(1000);
      return;
    }
    if (batch.length === 0) {
      this.publishBuffer(false);
      return;
    }
    const maxAgeMs = this.cfg.max_age_s * 1000;
    const gen = this.generation;
    for (const ev of batch) {
      this.lastSent = ev.seq;
      const age = now - ev.stored_at;
      if (age >= maxAgeMs) {
        this.deadLetter(ev.seq, `max_age: ${Math.round(age / 1000)} s old (max_age_s ${this.cfg.max_age_s})`);
        continue;
      }
      const opts: IClientPublishOptions = { qos: 1, retain: false };
      if (this.cfg.protocol_version === 5) {
        opts.properties = { messageExpiryInterval: Math.max(1, Math.ceil((maxAgeMs - age) / 1000)) };
      }
      this.inflight.set(ev.seq, { seq: ev.seq, ev });
      client.publish(this.t.event(ev.event.camera, ev.event.type), ev.body, opts, (err, packet) =>
        this.onPuback(gen, ev.seq, err, packet),
      );
    }
    // keep filling the window while it has room (dead-lettered events freed slots)
    this.schedulePump();
  }

  private onPuback(gen: number, seq: number, err: Error | undefined, packet: Packet | undefined): void {
    const entry = this.inflight.get(seq);
    if (gen !== this.generation || !entry) return;
    this.inflight.delete(seq);
    const rc = (packet as { reasonCode?: number } | undefined)?.reasonCode ?? (err as { code?: number } | undefined)?.code;
    if (!err && !(typeof rc === 'number' && rc >= 0x80)) {
      this.ackBuf.push(seq);
      this.scheduleAckFlush();
      this.strikes.delete(seq);
      if (this.probe && ++this.probeOk >= PROBE_OK_TO_RESUME) this.probe = false;
      if (this.cfg.images && this.deps.imagesDir) void this.publishImages(entry.ev);
      this.delivered++;
      this.lastSuccessAt = this.deps.clock.now();
      this.schedulePump();
      return;
    }
    const msg = `publish seq ${seq} not delivered: ${err ? errMsg(err) : `reason code 0x${rc?.toString(16)}`}`;
    this.fail(msg);
    if (typeof rc === 'number' && PERMANENT_RC.has(rc)) {
      this.log.error({ seq, reason_code: rc }, 'broker rejected event permanently: dead-lettered');
      this.deadLetter(seq, msg);
      this.schedulePump();
      return;
    }
    this.log.warn({ seq, err: msg }, 'publish failed; will retry in order');
    // stop sending, let the window drain, then re-read from the oldest pending event. Events
    // already out in the window may have been accepted ahead of this one: strict order under
    // transient refusals needs max_inflight 1 (documented); ids let consumers dedupe/reorder.
    this.rewind = true;
    this.hold(expBackoffMs(0, this.backoff.minMs, this.backoff.maxMs, this.rand));
  }

  private hold(ms: number): void {
    this.holdUntil = this.deps.clock.now() + ms;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.holdUntil = 0;
      this.schedulePump();
    }, ms);
    this.holdTimer.unref?.();
  }

  private deadLetter(seq: number, reason: string): void {
    try {
      this.flushAcks();
      this.deps.store.deadLetter(this.name, seq, reason);
      this.deadLettered++;
      this.log.warn({ seq, reason }, 'event dead-lettered');
    } catch (err) {
      this.fail(`store: ${errMsg(err)}`);
    }
  }

  private scheduleAckFlush(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    // PUBACKs arrive in bursts: one store transaction per burst, not per event
    setImmediate(() => {
      this.ackScheduled = false;
      this.flushAcks();
    });
  }

  private flushAcks(): void {
    if (this.ackBuf.length === 0) return;
    const seqs = this.ackBuf;
    this.ackBuf = [];
    try {
      this.deps.store.ack(this.name, seqs);
    } catch (err) {
      // not acked = redelivered later (at least once); never lost
      this.fail(`store ack: ${errMsg(err)}`);
    }
  }

  /**
   * Best effort, after the event itself was acked: the latest image of each
   * kind per camera, retained at QoS 0 (a Home Assistant MQTT camera can show
   * it). Never queued while offline; the event JSON references the file anyway.
   */
  private async publishImages(ev: StoredEvent): Promise<void> {
    const images = (ev.event.data as { images?: unknown }).images;
    if (!Array.isArray(images)) return;
    const root = resolve(this.deps.imagesDir!);
    for (const img of images as { kind?: unknown; file?: unknown; valid?: unknown }[]) {
      if (!img || typeof img.file !== 'string' || img.valid === false || typeof img.kind !== 'string') continue;
      const path = resolve(root, img.file);
      if (!path.startsWith(root + sep)) continue;
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch {
        continue; // pruned already: nothing to show
      }
      const c = this.client;
      if (!c || !this.connected) return;
      c.publish(this.t.image(ev.event.camera, img.kind), bytes, { qos: 0, retain: true });
    }
  }

  // ------------------------------------------------------------ state

  private publishRetained(topic: string, payload: string): void {
    const c = this.client;
    if (!c || !this.connected) return;
    c.publish(topic, payload, { qos: 1, retain: true }, (err) => {
      if (err) this.log.debug({ topic, err: errMsg(err) }, 'retained publish failed');
    });
  }

  /** State is only published while connected; the latest state is re-sent on every connect. */
  private publishState(topic: string, payload: string): void {
    this.publishRetained(topic, payload);
  }

  private publishAllState(): void {
    let inv: Inventory = { cameras: [], zones: [], outputs: [] };
    try {
      inv = this.deps.inventory();
    } catch (err) {
      this.log.warn({ err: errMsg(err) }, 'inventory failed');
    }
    for (const c of inv.cameras) this.cameras.set(c.id, c);
    for (const z of inv.zones) this.zones.set(z.id, z);
    for (const o of inv.outputs) this.outputs.set(o.id, o);
    if (this.cfg.discovery.enabled) {
      const msgs = discoveryMessages({
        site: this.deps.site,
        prefix: this.prefix,
        discoveryPrefix: this.cfg.discovery.prefix,
        cameras: [...this.cameras.values()],
        zones: [...this.zones.values()],
        outputs: [...this.outputs.values()],
        ...(this.deps.zoneCamera ? { zoneCamera: this.deps.zoneCamera } : {}),
        images: this.cfg.images && this.deps.imagesDir !== undefined,
      });
      for (const m of msgs) this.publishRetained(m.topic, m.payload);
    }
    for (const c of this.cameras.values()) this.publishRetained(this.t.camera(c.id), cameraPayload(c));
    for (const z of this.zones.values()) this.publishRetained(this.t.zone(z.id), zonePayload(z));
    for (const o of this.outputs.values()) this.publishRetained(this.t.output(o.id), outputPayload(o));
    this.publishBuffer(true);
  }

  private publishBuffer(force: boolean): void {
    if (!this.connected) return;
    let payload: string;
    try {
      const s = this.deps.store.sinkStats(this.name);
      // the SQLite store reports the oldest queued event's stored_at (ms epoch), not an age
      const age = s.oldest_undelivered_ms === null ? null : Math.max(0, Math.round((this.deps.clock.now() - s.oldest_undelivered_ms) / 1000));
      payload = bufferPayload(s.depth, age);
    } catch {
      return;
    }
    if (!force && payload === this.lastBufferPayload) return;
    this.lastBufferPayload = payload;
    this.publishRetained(this.t.buffer, payload);
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (this.cfg.discovery.enabled && topic === `${this.cfg.discovery.prefix}/status`) {
      if (!retained && payload.toString().trim() === 'online') {
        this.log.info('home assistant came online: re-publishing discovery and state');
        this.publishAllState();
      }
      return;
    }
    const id = outputIdFromSetTopic(this.prefix, topic);
    if (id === null) return;
    if (retained) {
      // a retained command is history, not an instruction (3.1.1 has no retain handling)
      this.log.warn({ output: id }, 'ignored retained output command');
      return;
    }
    const cmd = parseOutputCommand(payload);
    if (!cmd) {
      this.log.warn({ output: id, payload: payload.toString().slice(0, 200) }, 'ignored invalid output command');
      return;
    }
    try {
      this.deps.onCommand(id, cmd);
    } catch (err) {
      this.log.error({ output: id, err: errMsg(err) }, 'output command handler failed');
    }
  }
}

function errMsg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
