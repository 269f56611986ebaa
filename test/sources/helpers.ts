import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import { Bus } from '../../src/core/bus.js';
import { systemClock } from '../../src/core/clock.js';
import type { CamEvent } from '../../src/core/event.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics, type Metrics } from '../../src/core/metrics.js';
import { IngestServer } from '../../src/ingest/server.js';
import { createSourceRouter, type MediaResult, type SourceRouter } from '../../src/sources/index.js';
import { openStore, type SqliteStore } from '../../src/storage/sqlite-store.js';

export interface Harness {
  url: string;
  store: SqliteStore;
  metrics: Metrics;
  router: SourceRouter;
  dataDir: string;
  /** what onEvents received */
  ruled: CamEvent[];
  /** what the bus announced as committed */
  committed: CamEvent[];
  media: { eventId: string; results: MediaResult[] }[];
  /** per hook post: ms from the request's first byte (receivedAt) to the answer being ready */
  answerMs: number[];
  post(path: string, body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown>; ms: number }>;
  close(): Promise<void>;
}

/** A real IngestServer on 127.0.0.1:0 with the source router as `hooks` and a real SQLite store in a temp dir. */
export async function startHarness(sources: unknown[], extra: Record<string, unknown> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'camrelay-sources-'));
  const { config } = validateConfig({
    ...extra,
    ingest: { listen: '127.0.0.1:0', ...((extra.ingest as object) ?? {}) },
    storage: { data_dir: dataDir, ...((extra.storage as object) ?? {}) },
    sources,
  });
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const bus = new Bus();
  const store = openStore({ ...config.storage, data_dir: dataDir }, { logger, clock: systemClock, site: config.site.id });
  const ruled: CamEvent[] = [];
  const committed: CamEvent[] = [];
  const media: Harness['media'] = [];
  bus.on('committed', (evs) => committed.push(...evs));
  const router = createSourceRouter(config, {
    store,
    logger,
    clock: systemClock,
    metrics,
    bus,
    onEvents: (evs) => ruled.push(...evs),
    onMedia: (eventId, results) => media.push({ eventId, results }),
  });
  const answerMs: number[] = [];
  const hooks: typeof router.handle = (source, rest, req) => {
    const out = router.handle(source, rest, req);
    void Promise.resolve(out).then(() => answerMs.push(Date.now() - req.receivedAt));
    return out;
  };
  const server = new IngestServer(config.ingest, { logger, metrics, now: () => Date.now(), viewtron: () => ({ status: 500, body: 'not here' }), hooks });
  await server.start();
  const url = `http://127.0.0.1:${server.address!.port}`;
  return {
    url,
    store,
    metrics,
    router,
    dataDir,
    ruled,
    committed,
    media,
    answerMs,
    async post(path, body, headers = {}) {
      const t0 = performance.now();
      const res = await request(url + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
      const text = await res.body.text();
      const ms = performance.now() - t0;
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { raw: text };
      }
      return { status: res.statusCode, json, ms };
    },
    async close() {
      await server.stop(500);
      await router.idle();
      store.close();
      metrics.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function turingSignature(body: string | Buffer, secret: string): string {
  return createHmac('md5', secret).update(body).digest('hex');
}

export function standardWebhookHeaders(id: string, tsSeconds: number, body: string, secretB64: string): Record<string, string> {
  const sig = createHmac('sha256', Buffer.from(secretB64, 'base64')).update(`${id}.${tsSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(tsSeconds), 'webhook-signature': `v1,${sig}` };
}

export async function counterValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}
