import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdminContext, DaemonStateView } from '../../src/admin/context.js';
import { createAdminServer, type AdminServer } from '../../src/admin/server.js';
import { createStatusPage, type StatusPage, type StatusPageDeps } from '../../src/admin/status-page/index.js';
import { storageSchema } from '../../src/config/schema.js';
import { Bus, type OutputState, type ZoneState } from '../../src/core/bus.js';
import { systemClock } from '../../src/core/clock.js';
import type { CamEvent } from '../../src/core/event.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics, type Metrics } from '../../src/core/metrics.js';
import { openStore, type SqliteStore } from '../../src/storage/sqlite-store.js';
import { DEFAULT_IPC_MAC, ipcTraject } from '../builders/viewtron.js';
import { CLI, spawnDaemon } from '../harness/daemon.js';
import { openSse, openStalledSse, type SseClient } from './sse-client.js';

/**
 * The status page's SSE stream over real HTTP (the real admin server with the
 * page mounted through extraRoutes, a real SQLite store). Live input is
 * emitted on a real Bus, exactly as the pipeline does; the end-to-end path from
 * traject posts through the ingest listener is in browser.test.ts.
 */

const TOKEN = 'status-page-token-42';
let dir: string;
let imagesDir: string;
let store: SqliteStore;
const cleanups: (() => Promise<void> | void)[] = [];

const IMG_FILE = '2026-01-15/ev-img-1-overview.jpg';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camrelay-status-page-'));
  imagesDir = join(dir, 'images');
  mkdirSync(join(imagesDir, '2026-01-15'), { recursive: true });
  writeFileSync(join(imagesDir, IMG_FILE), JPEG);
  writeFileSync(join(dir, 'secret.jpg'), 'outside the images folder');
  symlinkSync(join(dir, 'secret.jpg'), join(imagesDir, '2026-01-15', 'escape.jpg'));
  store = openStore(storageSchema.parse({ data_dir: join(dir, 'db'), durability: 'normal' }), { logger: silentLogger(), clock: systemClock, site: 'sp' });
  const at = new Date().toISOString();
  const ev: CamEvent = {
    id: 'ev-img-1',
    type: 'alarm.intrusion',
    camera: 'gate',
    time: at,
    data: { camera: 'gate', received_at: at, images: [{ kind: 'overview', file: IMG_FILE, valid: true, bytes: JPEG.length }] },
  };
  await store.append([ev]);
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Rig {
  base: string;
  port: number;
  bus: Bus;
  page: StatusPage;
  zones: Map<string, ZoneState>;
  outputs: Map<string, OutputState>;
  sse(headers?: Record<string, string>): Promise<SseClient>;
}

async function rig(opts: Partial<StatusPageDeps> & { listen?: string; token?: string } = {}): Promise<Rig> {
  const bus = new Bus();
  const metrics: Metrics = createMetrics();
  const zones = new Map<string, ZoneState>([['drive', { id: 'drive', presence: false, count: 0, since: null, source: 'traject' }]]);
  const since = new Date().toISOString();
  const outputs = new Map<string, OutputState>([['light', { id: 'light', state: 'OFF', mode: 'auto', reason: 'idle', available: true, since }]]);
  const state = (): DaemonStateView => ({
    site: { id: 'sp', name: 'Status page site' },
    cameras: [{ id: 'gate', name: 'Gate', online: true, last_seen: since, clock_skew_s: 0.4 }],
    zones: [...zones.values()],
    outputs: [...outputs.values()],
    sinks: [{ name: 'mqtt', connected: true, depth: 0, oldest_age_s: null, last_error: null, dead_letters: 0 }],
    storage: store.health(),
  });
  const page = createStatusPage({ bus, state, store, imagesDir, clock: systemClock, logger: silentLogger(), ...opts });
  const ctx: AdminContext = {
    logger: silentLogger(),
    clock: systemClock,
    metrics,
    token: opts.token ?? TOKEN,
    listen: opts.listen ?? '127.0.0.1:0',
    store,
    ready: () => ({ ok: true, checks: {} }),
    state,
    override: () => ({ ok: false, status: 404, message: 'none' }),
    extraRoutes: page.routes,
    publicPath: page.isPublicPath,
  };
  const server: AdminServer = createAdminServer(ctx);
  const { port } = await server.start();
  const base = `http://127.0.0.1:${port}`;
  const clients: SseClient[] = [];
  cleanups.push(async () => {
    for (const c of clients) c.close();
    page.close();
    await server.stop();
    metrics.close();
  });
  return {
    base,
    port,
    bus,
    page,
    zones,
    outputs,
    async sse(headers) {
      const c = await openSse(`${base}/api/stream`, headers);
      clients.push(c);
      return c;
    },
  };
}

const frame = (camera: string, x: number, n = 1) => ({
  camera,
  at: Date.now(),
  targets: Array.from({ length: n }, (_, i) => ({ id: String(i + 1), cls: 'person', box: [x, 1000 + i, x + 500, 4000 + i] as const })),
});

const until = async (pred: () => boolean, timeoutMs = 5000, what = 'condition') => {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('status page SSE stream', () => {
  it('sends retry: and a full snapshot on connect, then heartbeats and batched state on change', async () => {
    const r = await rig({ heartbeatMs: 100, throttleMs: 50 });
    const c = await r.sse();
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toMatch(/^text\/event-stream/);
    const snap = await c.waitFor((m) => m.event === 'snapshot');
    expect(c.messages[0]!.event).toBe('snapshot');
    expect(c.retry).toBe(2000);
    expect(snap.data.throttle_ms).toBe(50);
    expect(snap.data.heartbeat_ms).toBe(100);
    expect(snap.data.state.zones).toEqual([{ id: 'drive', presence: false, count: 0, since: null, source: 'traject' }]);
    expect(snap.data.state.outputs[0].id).toBe('light');
    // the latest stored alarm snapshot of the camera, found in the store on connect
    expect(snap.data.images.gate.file).toBe(IMG_FILE);

    await until(() => c.comments.some((l) => l.startsWith(': hb')), 3000, 'a heartbeat comment');

    // three changes in one interval: one state message carrying the last of them
    const at = new Date().toISOString();
    r.zones.set('drive', { id: 'drive', presence: true, count: 1, since: at, source: 'traject' });
    r.bus.emit('zone', r.zones.get('drive')!);
    r.outputs.set('light', { id: 'light', state: 'ON', mode: 'auto', reason: 'rule r1: zone drive occupied', available: true, since: at });
    r.bus.emit('output', r.outputs.get('light')!);
    r.bus.emit('zone', r.zones.get('drive')!);
    const st = await c.waitFor((m) => m.event === 'state');
    expect(st.data.state.zones[0].presence).toBe(true);
    expect(st.data.state.outputs[0]).toMatchObject({ state: 'ON', reason: 'rule r1: zone drive occupied' });
    await new Promise((res) => setTimeout(res, 150));
    expect(c.messages.filter((m) => m.event === 'state').length).toBe(1);
  });

  it('coalesces traject: at most one frame per camera per throttle interval, and the latest one wins', async () => {
    const throttleMs = 100;
    const r = await rig({ throttleMs, heartbeatMs: 60_000, refreshMs: 60_000 });
    const c = await r.sse();
    await c.waitFor((m) => m.event === 'snapshot');
    const t0 = Date.now();
    let x = 0;
    // ~200 frames per camera per second, two cameras, for 1.2 s: far more than 7 Hz
    while (Date.now() - t0 < 1200) {
      for (let k = 0; k < 5; k++) {
        x++;
        r.bus.emit('traject', frame('gate', x));
        r.bus.emit('traject', frame('yard', 20_000 - x));
      }
      await new Promise((res) => setTimeout(res, 5));
    }
    const emitted = x;
    const elapsed = Date.now() - t0;
    await c.waitFor((m) => m.event === 'traject' && m.data.camera === 'gate' && m.data.targets[0].box[0] === emitted, 2000);
    await c.waitFor((m) => m.event === 'traject' && m.data.camera === 'yard' && m.data.targets[0].box[0] === 20_000 - emitted, 2000);
    for (const cam of ['gate', 'yard']) {
      const frames = c.messages.filter((m) => m.event === 'traject' && m.data.camera === cam);
      expect(frames.length).toBeGreaterThanOrEqual(2);
      // server stamps: consecutive frames of a camera are a full interval apart (1 ms for clock rounding)
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.data.t - frames[i - 1]!.data.t).toBeGreaterThanOrEqual(throttleMs - 1);
      // and there can be no more of them than intervals in the run (+1 for the flush after the last emit)
      expect(frames.length).toBeLessThanOrEqual(Math.floor(elapsed / throttleMs) + 2);
      expect(frames.length).toBeLessThan(emitted / 10);
    }
  });

  it('a reconnecting client gets a fresh snapshot; nobody watching means no bus listeners', async () => {
    const r = await rig({ throttleMs: 50 });
    expect(r.bus.listenerCount('traject')).toBe(0);
    const a = await r.sse();
    await a.waitFor((m) => m.event === 'snapshot');
    expect(r.bus.listenerCount('traject')).toBe(1);
    r.bus.emit('traject', frame('gate', 3000));
    await a.waitFor((m) => m.event === 'traject');
    a.close();
    await until(() => r.page.stats().clients === 0, 3000, 'the server to notice the disconnect');
    expect(r.bus.listenerCount('traject')).toBe(0);
    expect(r.bus.listenerCount('zone')).toBe(0);

    // changed while disconnected: the reconnect's snapshot has it
    r.zones.set('drive', { id: 'drive', presence: true, count: 2, since: new Date().toISOString(), source: 'traject' });
    const b = await r.sse();
    const snap = await b.waitFor((m) => m.event === 'snapshot');
    expect(snap.data.state.zones[0]).toMatchObject({ presence: true, count: 2 });
    expect(b.messages[0]!.event).toBe('snapshot');
    expect(r.page.stats().clients).toBe(1);
  });

  it('drops a client that does not read instead of buffering for it; others keep streaming', async () => {
    const maxClientBufferBytes = 64 * 1024;
    const r = await rig({ throttleMs: 20, maxClientBufferBytes, heartbeatMs: 60_000 });
    const good = await r.sse();
    await good.waitFor((m) => m.event === 'snapshot');
    const stalled = await openStalledSse('127.0.0.1', r.port);
    cleanups.push(() => void stalled.destroy());
    await until(() => r.page.stats().clients === 2, 3000, 'two clients');
    // big flushes (40 cameras x 60 targets) until the kernel buffers of the stalled socket are full
    let x = 0;
    const end = Date.now() + 20_000;
    while (r.page.stats().dropped === 0 && Date.now() < end) {
      x++;
      for (let cam = 0; cam < 40; cam++) r.bus.emit('traject', frame(`cam${cam}`, x % 9000, 60));
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(r.page.stats().dropped).toBe(1);
    expect(r.page.stats().clients).toBe(1);
    expect(good.closed).toBe(false);
    // the stalled socket was closed by the server: reading it now reaches its end
    stalled.resume();
    await Promise.race([stalled.closedByPeer, new Promise((_, rej) => setTimeout(() => rej(new Error('stalled socket still open')), 5000))]);
    // the well-behaved client is still served
    const before = good.messages.length;
    r.bus.emit('traject', frame('gate', 4242));
    await good.waitFor((m) => m.event === 'traject' && m.data.camera === 'gate' && m.data.targets[0].box[0] === 4242, 3000);
    expect(good.messages.length).toBeGreaterThan(before);
    expect(good.closed).toBe(false);
  });
});

describe('status page SSE stream against the real daemon', () => {
  it('traject posted fast through the ingest listener reaches the stream coalesced', async () => {
    if (!existsSync(CLI)) {
      if (process.env.CI === 'true') throw new Error(`${CLI} is missing: run \`npm run build\` first`);
      console.warn(`SKIPPED real-daemon stream test: ${CLI} is missing (run \`npm run build\`)`);
      return;
    }
    const d = await spawnDaemon({
      config: {
        cameras: [{ id: 'gate', mac: DEFAULT_IPC_MAC }],
        zones: [{ id: 'drive', camera: 'gate' }],
      },
    });
    cleanups.push(async () => void (await d.stop('SIGKILL')));
    const c = await openSse(`${d.adminUrl}/api/stream`);
    cleanups.push(() => c.close());
    const snap = await c.waitFor((m) => m.event === 'snapshot');
    const throttle = snap.data.throttle_ms as number;
    expect(throttle).toBe(200);
    // 150 posts back to back on one keep-alive connection: far above 7 Hz
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const t0 = Date.now();
    for (let i = 1; i <= 150; i++) {
      const xml = ipcTraject({ targets: [{ id: 9, cls: 'person', rect: [i * 10, 2000, i * 10 + 800, 9000] }] });
      await new Promise<void>((ok, fail) => {
        const req = httpRequest(`${d.ingestUrl}/API`, { method: 'POST', agent, headers: { 'content-type': 'application/xml' } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? ok() : fail(new Error(`ingest answered ${res.statusCode}`))));
        });
        req.on('error', fail);
        req.end(xml);
      });
    }
    const elapsed = Date.now() - t0;
    agent.destroy();
    // the last frame always arrives (coalescing keeps the latest)
    await c.waitFor((m) => m.event === 'traject' && m.data.targets[0]?.box[0] === 1500, 3000);
    const frames = c.messages.filter((m) => m.event === 'traject' && m.data.camera === 'gate');
    expect(frames.length).toBeLessThanOrEqual(Math.floor(elapsed / throttle) + 2);
    expect(frames.length).toBeLessThan(150);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.data.t - frames[i - 1]!.data.t).toBeGreaterThanOrEqual(throttle - 1);
    const st = await c.waitFor((m) => m.event === 'state' && m.data.state.zones[0]?.presence === true, 3000);
    expect(st.data.state.zones[0].id).toBe('drive');
  });
});

describe('status page routes', () => {
  it('a build without the page files still serves the API; / says what is missing', async () => {
    const r = await rig({ assetsDir: join(dir, 'no-such-assets') });
    const res = await fetch(`${r.base}/`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/copy-assets/);
    const c = await r.sse();
    expect((await c.waitFor((m) => m.event === 'snapshot')).data.state.site.id).toBe('sp');
  });

  it('refuses streams beyond maxClients with 503', async () => {
    const r = await rig({ maxClients: 1 });
    const a = await r.sse();
    expect(a.status).toBe(200);
    const b = await r.sse();
    expect(b.status).toBe(503);
    expect(b.headers['retry-after']).toBe('10');
    expect(r.page.stats().clients).toBe(1);
  });

  it('serves the page and its files without a token on loopback, and the API with the admin auth rules', async () => {
    const r = await rig();
    const page = await fetch(`${r.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('/status-page/app.js');
    expect(html).not.toMatch(/https?:\/\//); // no CDN, no external font
    const js = await fetch(`${r.base}/status-page/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect((await fetch(`${r.base}/status-page/nope.js`)).status).toBe(404);
    // HEAD on the stream answers and does not hold a stream open
    expect((await fetch(`${r.base}/api/stream`, { method: 'HEAD' })).status).toBe(200);
    expect(r.page.stats().clients).toBe(0);

    const cfg = await fetch(`${r.base}/api/status-page/config`);
    expect(cfg.status).toBe(200);
    expect(((await cfg.json()) as { site: { id: string } }).site.id).toBe('sp');
    // mutations need the token (the admin server's rule); the stream is GET-only
    expect((await fetch(`${r.base}/api/stream`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${r.base}/api/stream`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it('off loopback: the page shell loads, but the stream, config and images need the bearer token', async () => {
    const r = await rig({ listen: '0.0.0.0:0' });
    expect((await fetch(`${r.base}/`)).status).toBe(200);
    expect((await fetch(`${r.base}/status-page/app.css`)).status).toBe(200);
    expect((await fetch(`${r.base}/api/status-page/config`)).status).toBe(401);
    expect((await fetch(`${r.base}/images/${IMG_FILE}`)).status).toBe(401);
    const denied = await r.sse();
    expect(denied.status).toBe(401);
    expect(r.page.stats().clients).toBe(0);
    const ok = await r.sse({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    await ok.waitFor((m) => m.event === 'snapshot');
    const img = await fetch(`${r.base}/images/${IMG_FILE}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(img.status).toBe(200);
  });

  it('serves stored snapshots from the images folder only (no traversal, no symlink escape)', async () => {
    const r = await rig();
    const img = await fetch(`${r.base}/images/${IMG_FILE}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await img.arrayBuffer()).equals(JPEG)).toBe(true);
    for (const bad of [
      '/images/..%2Fsecret.jpg',
      '/images/2026-01-15/..%2F..%2Fsecret.jpg',
      '/images/%2E%2E/secret.jpg',
      '/images/2026-01-15/escape.jpg',
      '/images/2026-01-15/missing.jpg',
      '/images/2026-01-15/ev-img-1-overview.jpg%00.png',
      `/images/${encodeURIComponent(join(imagesDir, IMG_FILE))}`,
    ]) {
      const res = await fetch(`${r.base}${bad}`);
      expect(res.status, bad).toBe(404);
      expect(await res.text()).not.toContain('outside the images folder');
    }
  });
});
