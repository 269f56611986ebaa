import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { EventStore } from '../storage/types.js';
import type { Inventory, MqttSink, OutputCommand } from './mqtt.js';
import type { Sink, SinkStatus } from './types.js';
import type { WebhookSink } from './webhook.js';

// Types only: createSinks() imports a sink's module (mqtt.js, undici) only when the config has that
// sink. With cloud sources and viewtron outputs also loaded on demand, a daemon configured with none
// of them is 14 MB smaller (idle RSS, docs/benchmarks.md).
export type { Inventory, MqttSink, MqttSinkDeps, OutputCommand } from './mqtt.js';
export type { WebhookSink, WebhookSinkDeps } from './webhook.js';
export { verifyStandardWebhook, signHeaders, signV1 } from './signing.js';
export type { Sink, SinkStatus } from './types.js';

/** how often idle sinks re-read their queue (replays from the CLI) */
const SINK_POLL_MS = 5000;

export interface SinkDeps {
  store: EventStore;
  logger: Logger;
  clock: Clock;
  /** absolute images folder (storage.data_dir + storage.images_dir) */
  imagesDir: string;
  inventory: () => Inventory;
  onCommand: (outputId: string, cmd: OutputCommand) => void;
}

export interface Sinks {
  all: Sink[];
  mqtt: MqttSink | null;
  webhooks: WebhookSink[];
  /** wake every sink (call on bus 'committed') */
  notify(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SinkStatus[];
}

/**
 * Builds every configured sink and registers its name with the store, so
 * events appended from now on are queued for it. Nothing connects until start().
 * Async because each sink module (and its client library) is loaded only when configured.
 */
export async function createSinks(config: Config, deps: SinkDeps): Promise<Sinks> {
  const site = config.site.id;
  const zoneCams = new Map(config.zones.map((z) => [z.id, z.camera]));
  let mqtt: MqttSink | null = null;
  if (config.mqtt) {
    const { MqttSink } = await import('./mqtt.js');
    mqtt = new MqttSink(config.mqtt, {
      store: deps.store,
      logger: deps.logger,
      clock: deps.clock,
      site,
      name: 'mqtt',
      inventory: deps.inventory,
      onCommand: deps.onCommand,
      zoneCamera: (id) => zoneCams.get(id),
      imagesDir: deps.imagesDir,
    });
  }
  const webhooks: WebhookSink[] = [];
  if (config.webhooks.length) {
    const { WebhookSink } = await import('./webhook.js');
    for (const w of config.webhooks)
      webhooks.push(new WebhookSink(w, { store: deps.store, logger: deps.logger, clock: deps.clock, site, imagesDir: deps.imagesDir }));
  }
  const all: Sink[] = [...(mqtt ? [mqtt] : []), ...webhooks];
  for (const s of all) deps.store.registerSink(s.name);
  const notify = () => all.forEach((s) => s.notify());
  // Sinks wake on 'committed'; this slow poll also picks up queue changes made by another
  // process (`camrelay queue replay` from the CLI) while no new event arrives. Cheap: one
  // pending() read per idle sink, and a sink waiting on a retry timer ignores it.
  let poll: NodeJS.Timeout | null = null;
  return {
    all,
    mqtt,
    webhooks,
    notify,
    // each start() resolves at once; an unreachable uplink never blocks the daemon
    start: async () => {
      await Promise.all(all.map((s) => s.start()));
      if (!poll && all.length) {
        poll = setInterval(notify, SINK_POLL_MS);
        poll.unref();
      }
    },
    stop: async () => {
      if (poll) clearInterval(poll);
      poll = null;
      await Promise.allSettled(all.map((s) => s.stop()));
    },
    status: () => all.map((s) => s.status()),
  };
}
