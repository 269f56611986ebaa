import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { MqttSink, type Inventory, type OutputCommand } from '../../src/sinks/mqtt.js';
import { mqttSchema, type MqttConfig } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { EventStore } from '../../src/storage/types.js';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  dup: boolean;
}

/** An independent observer client (not the code under test). */
export async function observer(url: string, filters: string[], opts: IClientOptions = {}) {
  const client = mqtt.connect(url, { reconnectPeriod: 200, ...opts });
  const msgs: Received[] = [];
  client.on('message', (topic, payload, packet) => msgs.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos, dup: packet.dup }));
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  if (filters.length) await client.subscribeAsync(filters, { qos: 1 });
  return { client, msgs, close: () => client.endAsync(true) };
}

export function mqttCfg(url: string, over: Partial<Record<keyof MqttConfig, unknown>> = {}): MqttConfig {
  return mqttSchema.parse({ url, ...over });
}

export function makeSink(
  cfg: MqttConfig,
  store: EventStore,
  over: {
    clock?: Clock;
    inventory?: () => Inventory;
    onCommand?: (id: string, c: OutputCommand) => void;
    site?: string;
    imagesDir?: string;
  } = {},
): MqttSink {
  store.registerSink('mqtt');
  return new MqttSink(cfg, {
    store,
    logger: silentLogger(),
    clock: over.clock ?? { now: () => Date.now() },
    site: over.site ?? 'test',
    inventory: over.inventory ?? (() => ({ cameras: [], zones: [], outputs: [] })),
    onCommand: over.onCommand ?? (() => {}),
    backoff: { minMs: 100, maxMs: 500 },
    watchdogMs: 1000,
    ...(over.imagesDir ? { imagesDir: over.imagesDir } : {}),
  });
}

export type { MqttClient };
