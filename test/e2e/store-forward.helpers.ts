/**
 * Shared by the store-and-forward and crash e2e tests (and scripts/chaos.mjs mirrors it):
 * a camera-like keep-alive client, an MQTT collector, admin API readers, the CLI, and
 * a Standard Webhooks verifier written from the spec (not the daemon's own code).
 */
import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { CLI, type DaemonHandle } from '../harness/daemon.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { KeepAliveConnection, type RawResponse } from '../harness/camera-client.js';

/** One received MQTT message. */
export interface MqttMsg {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

export interface Collector {
  client: MqttClient;
  messages: MqttMsg[];
  /** events received (CloudEvent JSON parsed), in arrival order */
  events(): { topic: string; id: string; type: string; data: Record<string, unknown> }[];
  waitFor(pred: (m: MqttMsg[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribes (QoS 1) and records everything. `clientId` + `clean: false` gives a persistent
 * session: the broker (with persistence on) keeps the subscription and queues QoS 1
 * messages for it across the subscriber's and the broker's restarts.
 */
export async function collect(url: string, filters: string[], opts: { clientId?: string; clean?: boolean } = {}): Promise<Collector> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    clean: opts.clean ?? true,
    reconnectPeriod: 100,
    connectTimeout: 5000,
    ...(opts.clientId ? { clientId: opts.clientId } : {}),
  });
  client.on('error', () => undefined);
  const messages: MqttMsg[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() }));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`collector could not connect to ${url}`)), 10_000);
    client.once('connect', () => {
      clearTimeout(t);
      resolve();
    });
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    client,
    messages,
    events: () =>
      messages
        .filter((m) => m.topic.includes('/events/'))
        .map((m) => {
          const e = JSON.parse(m.payload) as { id: string; type: string; data: Record<string, unknown> };
          return { topic: m.topic, id: e.id, type: e.type, data: e.data };
        }),
    async waitFor(pred, timeoutMs = 20_000, what = 'condition') {
      const end = Date.now() + timeoutMs;
      while (!pred(messages)) {
        if (Date.now() > end) throw new Error(`mqtt collector: ${what} not met in ${timeoutMs} ms (${messages.length} messages)`);
        await sleep(25);
      }
    },
    close: () => client.endAsync(true),
  };
}

export interface SinkView {
  name: string;
  connected: boolean | null;
  depth: number;
  dead_letters: number;
  delivered?: number;
  dropped?: number;
  last_error: string | null;
}

export const apiState = async (d: DaemonHandle) =>
  (await (await fetch(`${d.adminUrl}/api/state`)).json()) as {
    sinks: SinkView[];
    outputs: { id: string; state: string; mode: string; reason: string }[];
    zones: { id: string; presence: boolean; count: number }[];
    storage: { writable: boolean; open: boolean; last_error: string | null };
  };

export const sinkView = async (d: DaemonHandle, name: string) => {
  const s = (await apiState(d)).sinks.find((x) => x.name === name);
  if (!s) throw new Error(`sink ${name} not in /api/state`);
  return s;
};

export const metricsText = async (d: DaemonHandle) => (await fetch(`${d.adminUrl}/metrics`)).text();

/** The value of one sample line, e.g. metric(text, 'camrelay_sink_dropped', {sink: 'webhook:down'}). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

/** Runs the built CLI (`node dist/cli.js ...`) and collects its output. */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Standard Webhooks verification as a receiver writes it (the same logic docs/sinks.md
 * shows): key = base64 after `whsec_`, HMAC-SHA256 over `${id}.${timestamp}.${body}`,
 * compared against every `v1,` entry of webhook-signature, timestamp within 5 minutes.
 */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string, nowS = Date.now() / 1000): boolean {
  const h = (n: string) => {
    const v = headers[n];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = h('webhook-id');
  const ts = h('webhook-timestamp');
  const sig = h('webhook-signature');
  if (!id || !ts || !sig) return false;
  if (Math.abs(nowS - Number(ts)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  return sig.split(' ').some((part) => {
    const [v, b64] = part.split(',');
    if (v !== 'v1' || !b64) return false;
    const got = Buffer.from(b64, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** Fails with a clear message when root is missing (tmpfs mounts, GPIO sandbox). */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root (mount); run the e2e tests as root`);
}
