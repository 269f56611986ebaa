import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraAvailability } from '../../src/cameras/availability.js';
import { AdminExposureError } from '../../src/admin/auth.js';
import { combineChecks, storageReadyCheck, type AdminContext, type OverrideCommand, type ReadyCheck } from '../../src/admin/context.js';
import { createAdminServer, type AdminServer } from '../../src/admin/server.js';
import type { OutputState } from '../../src/core/bus.js';
import { ManualClock } from '../../src/core/clock.js';
import type { CamEvent, EventType } from '../../src/core/event.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics, type Metrics } from '../../src/core/metrics.js';
import { storageSchema } from '../../src/config/schema.js';
import { openStore, type SqliteStore } from '../../src/storage/sqlite-store.js';
import { parsePrometheusText } from './prom-text.js';

const TOKEN = 'test-admin-token-123';
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

let dir: string;
let store: SqliteStore;
const clock = new ManualClock(T0);
const servers: AdminServer[] = [];
const metricsList: Metrics[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camrelay-admin-'));
  store = openStore(storageSchema.parse({ data_dir: dir, durability: 'normal' }), { logger: silentLogger(), clock, site: 'testsite' });
  // 30 events: cameras alternate gate/yard, types cycle, one minute apart
  const types: EventType[] = ['alarm.intrusion', 'alarm.line_crossing', 'presence.on'];
  const events: CamEvent[] = Array.from({ length: 30 }, (_, i) => {
    const at = new Date(T0 + i * 60_000).toISOString();
    const camera = i % 2 === 0 ? 'gate' : 'yard';
    return { id: `ev-${i}`, type: types[i % 3]!, camera, time: at, data: { camera, received_at: at, n: i } };
  });
  await store.append(events);
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  while (servers.length) await servers.pop()!.stop();
  while (metricsList.length) metricsList.pop()!.close();
});

interface Harness {
  base: string;
  ctx: AdminContext;
  overrides: { id: string; cmd: OverrideCommand }[];
  checks: Record<string, ReadyCheck>;
  metrics: Metrics;
}

async function startAdmin(opts: { token?: string; listen?: string; extra?: AdminContext['extraRoutes'] } = {}): Promise<Harness> {
  const metrics = createMetrics();
  metricsList.push(metrics);
  const availability = new CameraAvailability([{ id: 'gate', name: 'Gate' }, { id: 'yard', name: 'Yard' }]);
  availability.seen('gate', 'post', clock.now(), { skew_s: 2 });
  const outputs = new Map<string, OutputState>([
    ['light', { id: 'light', state: 'OFF', mode: 'auto', reason: 'idle', available: true, since: new Date(T0).toISOString() }],
    ['siren', { id: 'siren', state: 'OFF', mode: 'auto', reason: 'idle', available: false, since: new Date(T0).toISOString() }],
  ]);
  const overrides: Harness['overrides'] = [];
  const checks: Record<string, ReadyCheck> = { ingest_listener: { ok: true } };
  const ctx: AdminContext = {
    logger: silentLogger(),
    clock,
    metrics,
    token: opts.token,
    listen: opts.listen ?? '127.0.0.1:0',
    store,
    ready: () => combineChecks({ storage: storageReadyCheck(store.health()), ...checks }),
    state: () => ({
      site: { id: 'testsite', name: 'Test site' },
      cameras: availability.states(),
      zones: [{ id: 'drive', presence: false, count: 0, since: null, source: 'traject' }],
      outputs: [...outputs.values()],
      sinks: [{ name: 'mqtt', connected: true, depth: 0, oldest_age_s: null, last_error: null, dead_letters: 0 }],
      storage: store.health(),
    }),
    override: (id, cmd) => {
      const o = outputs.get(id);
      if (!o) return { ok: false, status: 404, message: `unknown output "${id}"` };
      if (!o.available) return { ok: false, status: 409, message: `output "${id}" is unavailable` };
      overrides.push({ id, cmd });
      const next: OutputState = {
        ...o,
        state: cmd.state === 'on' ? 'ON' : cmd.state === 'off' ? 'OFF' : o.state,
        mode: cmd.state === 'auto' ? 'auto' : 'manual',
        reason: `manual ${cmd.state}`,
      };
      outputs.set(id, next);
      return { ok: true, output: next };
    },
    extraRoutes: opts.extra,
  };
  const server = createAdminServer(ctx);
  const addr = await server.start();
  servers.push(server);
  return { base: `http://127.0.0.1:${addr.port}`, ctx, overrides, checks, metrics };
}

async function json(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('admin server over real HTTP (real SQLite store; daemon context stubbed in the test)', () => {
  it('GET /healthz answers liveness JSON', async () => {
    const h = await startAdmin({ token: TOKEN });
    const res = await fetch(`${h.base}/healthz`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.status).toBe('ok');
    expect(body.pid).toBe(process.pid);
  });

  it('GET /readyz is 200 with every check ok and 503 naming the failing check', async () => {
    const h = await startAdmin();
    let res = await fetch(`${h.base}/readyz`);
    expect(res.status).toBe(200);
    let body = await json(res);
    expect(body.ok).toBe(true);
    expect(body.checks).toMatchObject({ storage: { ok: true }, ingest_listener: { ok: true }, admin_listener: { ok: true } });

    h.checks.ingest_listener = { ok: false, detail: 'ingest listener not bound' };
    res = await fetch(`${h.base}/readyz`);
    expect(res.status).toBe(503);
    body = await json(res);
    expect(body.ok).toBe(false);
    expect(body.checks).toMatchObject({ ingest_listener: { ok: false, detail: 'ingest listener not bound' }, storage: { ok: true } });
  });

  it('GET /api/state carries cameras, zones, outputs, sinks and storage', async () => {
    const h = await startAdmin();
    const body = await json(await fetch(`${h.base}/api/state`));
    expect(body.site).toEqual({ id: 'testsite', name: 'Test site' });
    const cams = body.cameras as { id: string; online: boolean | null; clock_skew_s: number | null }[];
    expect(cams.map((c) => [c.id, c.online, c.clock_skew_s])).toEqual([
      ['gate', true, 2],
      ['yard', null, null],
    ]);
    expect((body.outputs as OutputState[]).map((o) => o.id)).toEqual(['light', 'siren']);
    expect((body.storage as { open: boolean }).open).toBe(true);
  });

  it('mutations need the bearer token when one is configured (401 without or wrong, 200 with)', async () => {
    const h = await startAdmin({ token: TOKEN });
    let res = await post(`${h.base}/api/outputs/light`, { state: 'on', for_s: 30 });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await json(res)).error).toMatch(/token/);
    res = await post(`${h.base}/api/outputs/light`, { state: 'on' }, { authorization: `Bearer ${TOKEN}x` });
    expect(res.status).toBe(401);
    expect(h.overrides).toEqual([]);

    res = await post(`${h.base}/api/outputs/light`, { state: 'on', for_s: 30 }, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect((await json(res)).output).toMatchObject({ id: 'light', state: 'ON', mode: 'manual' });
    expect(h.overrides).toEqual([{ id: 'light', cmd: { state: 'on', for_s: 30 } }]);
    // reads stay open on loopback
    expect((await fetch(`${h.base}/api/state`)).status).toBe(200);
  });

  it('without a token on loopback, mutations are accepted', async () => {
    const h = await startAdmin();
    const res = await post(`${h.base}/api/outputs/light`, { state: 'AUTO' });
    expect(res.status).toBe(200);
    expect(h.overrides).toEqual([{ id: 'light', cmd: { state: 'auto' } }]);
  });

  it('override answers 404 for an unknown output and 409 when the context refuses', async () => {
    const h = await startAdmin();
    let res = await post(`${h.base}/api/outputs/nope`, { state: 'on' });
    expect(res.status).toBe(404);
    expect((await json(res)).error).toBe('unknown output "nope"');
    res = await post(`${h.base}/api/outputs/siren`, { state: 'off' });
    expect(res.status).toBe(409);
    expect((await json(res)).error).toMatch(/unavailable/);
  });

  it('bad override bodies get 400 with a message; oversized 413; wrong content type 415', async () => {
    const h = await startAdmin();
    const cases: [unknown, RegExp][] = [
      ['{not json', /not valid JSON/],
      [{ state: 'maybe' }, /state must be "on", "off" or "auto"/],
      [{ state: 'auto', for_s: 10 }, /for_s/],
      [{ state: 'on', for_s: -1 }, /for_s/],
      [{ state: 'on', colour: 'red' }, /unknown parameter\(s\): colour/],
      [{}, /state/],
    ];
    for (const [body, msg] of cases) {
      const res = await post(`${h.base}/api/outputs/light`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await json(res)).error).toMatch(msg);
    }
    let res = await post(`${h.base}/api/outputs/light`, JSON.stringify({ state: 'on', pad: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatch(/65536/);
    res = await fetch(`${h.base}/api/outputs/light`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'on' });
    expect(res.status).toBe(415);
    expect(h.overrides).toEqual([]);
  });

  it('unknown path is 404 JSON, wrong method 405 with Allow', async () => {
    const h = await startAdmin();
    let res = await fetch(`${h.base}/nothing/here`);
    expect(res.status).toBe(404);
    expect((await json(res)).error).toMatch(/no such endpoint/);
    res = await fetch(`${h.base}/api/outputs/light`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    res = await fetch(`${h.base}/metrics`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect((await json(res)).error).toMatch(/DELETE not allowed/);
  });

  it('extraRoutes handles paths the server does not know (status page mount point)', async () => {
    const h = await startAdmin({
      extra: (_req, res, url) => {
        if (url.pathname !== '/status') return false;
        res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>status</h1>');
        return true;
      },
    });
    const res = await fetch(`${h.base}/status`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('<h1>status</h1>');
    expect((await fetch(`${h.base}/other`)).status).toBe(404);
  });

  it('refuses to start on a non-loopback address without a token, with a clear error', async () => {
    const metrics = createMetrics();
    metricsList.push(metrics);
    const server = createAdminServer({
      logger: silentLogger(),
      clock,
      metrics,
      listen: '0.0.0.0:0',
      store,
      ready: () => ({ ok: true, checks: {} }),
      state: () => {
        throw new Error('unused');
      },
      override: () => ({ ok: false, status: 404, message: 'unused' }),
    });
    await expect(server.start()).rejects.toThrow(AdminExposureError);
    await expect(server.start()).rejects.toThrow(/not a loopback address.*admin\.token/);
    expect(server.address()).toBeNull();
  });

  it('off loopback with a token, every endpoint but /healthz needs it', async () => {
    const h = await startAdmin({ token: TOKEN, listen: '0.0.0.0:0' });
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
    for (const p of ['/readyz', '/metrics', '/api/state', '/api/events', '/nothing']) {
      const res = await fetch(`${h.base}${p}`);
      expect(res.status, p).toBe(401);
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${h.base}/api/state`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${h.base}/metrics`, { headers: auth })).status).toBe(200);
  });

  describe('GET /api/events', () => {
    type Page = { count: number; next_before: number | null; events: { seq: number; stored_at: string; event: { id: string; type: string; subject: string; time: string; source: string } }[] };
    const page = async (base: string, qs: string): Promise<Page> => {
      const res = await fetch(`${base}/api/events${qs}`);
      expect(res.status, qs).toBe(200);
      return (await json(res)) as unknown as Page;
    };

    it('pages newest first through the whole history with next_before', async () => {
      const h = await startAdmin();
      const seen: number[] = [];
      let qs = '?limit=7';
      for (let i = 0; i < 10; i++) {
        const p = await page(h.base, qs);
        seen.push(...p.events.map((e) => e.seq));
        if (p.next_before === null) break;
        expect(p.count).toBe(7);
        qs = `?limit=7&before=${p.next_before}`;
      }
      expect(seen).toHaveLength(30);
      expect([...seen].sort((a, b) => b - a)).toEqual(seen);
      expect(new Set(seen).size).toBe(30);
      const first = await page(h.base, '?limit=1');
      expect(first.events[0]!.event).toMatchObject({ id: 'ev-29', type: 'camrelay.presence.on', source: 'camrelay://testsite/yard' });
    });

    it('filters by camera, type (with or without the camrelay. prefix), since and until', async () => {
      const h = await startAdmin();
      const gate = await page(h.base, '?camera=gate&limit=100');
      expect(gate.count).toBe(15);
      expect(gate.events.every((e) => e.event.subject === 'gate')).toBe(true);
      expect(gate.next_before).toBeNull();

      const intr = await page(h.base, '?type=alarm.intrusion&limit=100');
      expect(intr.count).toBe(10);
      expect((await page(h.base, '?type=camrelay.alarm.intrusion&limit=100')).count).toBe(10);
      const both = await page(h.base, '?type=alarm.intrusion&camera=yard');
      expect(both.events.map((e) => e.event.id).sort()).toEqual(['ev-15', 'ev-21', 'ev-27', 'ev-3', 'ev-9'].sort());

      const sinceIso = new Date(T0 + 20 * 60_000).toISOString();
      const since = await page(h.base, `?since=${encodeURIComponent(sinceIso)}&limit=100`);
      expect(since.events.map((e) => e.event.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `ev-${20 + i}`).sort());
      const window = await page(h.base, `?since=${T0 + 5 * 60_000}&until=${T0 + 7 * 60_000}`);
      expect(window.events.map((e) => e.event.id)).toEqual(['ev-7', 'ev-6', 'ev-5']);
    });

    it('rejects bad queries with 400 and a message', async () => {
      const h = await startAdmin();
      const cases: [string, RegExp][] = [
        ['?limit=abc', /limit/],
        ['?limit=0', /limit/],
        ['?limit=5000', /limit/],
        ['?since=yesterday', /neither an ISO 8601 time nor epoch milliseconds/],
        ['?type=alarm.bogus', /unknown event type "alarm.bogus"/],
        ['?colour=red', /unknown parameter\(s\): colour/],
        ['?camera=a&camera=b', /"camera" given 2 times/],
        [`?since=${T0 + 1000}&until=${T0}`, /"since" is after "until"/],
        ['?before=-3', /before/],
      ];
      for (const [qs, msg] of cases) {
        const res = await fetch(`${h.base}/api/events${qs}`);
        expect(res.status, qs).toBe(400);
        expect((await json(res)).error, qs).toMatch(msg);
      }
    });
  });

  it('GET /metrics is valid Prometheus text carrying the daemon series', async () => {
    const h = await startAdmin();
    const m = h.metrics;
    m.ingestPosts.inc({ kind: 'traject', result: 'ok' }, 3);
    m.ingestRefused.inc({ reason: 'cidr' });
    m.ingestParseFailures.inc({ reason: 'malformed_xml' });
    m.quarantine.inc({ reason: 'malformed_xml' });
    m.ingestDuration.observe({ kind: 'traject' }, 0.00005);
    m.ingestDuration.observe({ kind: 'traject' }, 0.002);
    m.cameraLastSeen.set({ camera: 'gate' }, T0 / 1000);
    m.cameraOnline.set({ camera: 'gate' }, 1);
    m.cameraClockSkew.set({ camera: 'gate' }, -3.5);
    m.zonePresence.set({ zone: 'drive' }, 1);
    m.zoneCount.set({ zone: 'drive' }, 2);
    m.outputOn.set({ output: 'light' }, 1);
    m.outputSwitches.inc({ output: 'light' });
    m.setSinkStatsProvider(() => [
      { sink: 'mqtt', depth: 4, oldest_undelivered_ms: 2500, delivered: 10, dead_letters: 1, dropped: 0, connected: false },
      { sink: 'webhook:cloud', depth: 0, oldest_undelivered_ms: null, delivered: 3, dead_letters: 0, dropped: 2 },
    ]);
    m.setStorageProvider(() => {
      const hh = store.health();
      return { db_bytes: hh.db_bytes, wal_bytes: hh.wal_bytes, writable: hh.writable, open: hh.open };
    });
    // a label value that needs escaping must still parse
    m.cameraOnline.set({ camera: 'we"ird\\cam' }, 0);

    const res = await fetch(`${h.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const fams = parsePrometheusText(await res.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      [...fams.values()]
        .flatMap((f) => f.samples)
        .find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    expect(value('camrelay_ingest_posts_total', { kind: 'traject', result: 'ok' })).toBe(3);
    expect(value('camrelay_ingest_refused_total', { reason: 'cidr' })).toBe(1);
    expect(value('camrelay_ingest_parse_failures_total', { reason: 'malformed_xml' })).toBe(1);
    expect(value('camrelay_quarantine_total', { reason: 'malformed_xml' })).toBe(1);
    expect(fams.get('camrelay_ingest_duration_seconds')?.type).toBe('histogram');
    expect(value('camrelay_ingest_duration_seconds_bucket', { kind: 'traject', le: '0.0001' })).toBe(1);
    expect(value('camrelay_ingest_duration_seconds_count', { kind: 'traject' })).toBe(2);
    expect(value('camrelay_camera_last_seen_timestamp_seconds', { camera: 'gate' })).toBe(T0 / 1000);
    expect(value('camrelay_camera_online', { camera: 'gate' })).toBe(1);
    expect(value('camrelay_camera_online', { camera: 'we"ird\\cam' })).toBe(0);
    expect(value('camrelay_camera_clock_skew_seconds', { camera: 'gate' })).toBe(-3.5);
    expect(value('camrelay_zone_presence', { zone: 'drive' })).toBe(1);
    expect(value('camrelay_zone_count', { zone: 'drive' })).toBe(2);
    expect(value('camrelay_output_on', { output: 'light' })).toBe(1);
    expect(value('camrelay_output_switches_total', { output: 'light' })).toBe(1);
    expect(value('camrelay_sink_depth', { sink: 'mqtt' })).toBe(4);
    expect(value('camrelay_sink_oldest_undelivered_age_seconds', { sink: 'mqtt' })).toBe(2.5);
    expect(value('camrelay_sink_oldest_undelivered_age_seconds', { sink: 'webhook:cloud' })).toBe(0);
    expect(value('camrelay_sink_delivered', { sink: 'webhook:cloud' })).toBe(3);
    expect(value('camrelay_sink_dead_letters', { sink: 'mqtt' })).toBe(1);
    expect(value('camrelay_sink_dropped', { sink: 'webhook:cloud' })).toBe(2);
    expect(value('camrelay_sink_connected', { sink: 'mqtt' })).toBe(0);
    expect(value('camrelay_sink_connected', { sink: 'webhook:cloud' })).toBeUndefined();
    expect(value('camrelay_storage_db_bytes')).toBeGreaterThan(0);
    expect(value('camrelay_storage_writable')).toBe(1);
    expect(value('camrelay_event_loop_lag_p50_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('camrelay_event_loop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('camrelay_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('camrelay_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // the admin server counts its own requests (the /metrics call itself is counted after it is answered)
    await fetch(`${h.base}/healthz`);
    const again = parsePrometheusText(await (await fetch(`${h.base}/metrics`)).text());
    const adminReq = again.get('camrelay_admin_requests_total')!.samples;
    expect(adminReq.find((s) => s.labels.route === 'healthz' && s.labels.status === '200')?.value).toBe(1);
    expect(adminReq.find((s) => s.labels.route === 'metrics' && s.labels.status === '200')?.value).toBe(1);
  });

  it('each createMetrics() has its own registry (no global state)', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    metricsList.push(a, b);
    a.ingestPosts.inc({ kind: 'alarm', result: 'ok' });
    const fa = parsePrometheusText(await a.registry.metrics());
    const fb = parsePrometheusText(await b.registry.metrics());
    expect(fa.get('camrelay_ingest_posts_total')!.samples).toHaveLength(1);
    expect(fb.get('camrelay_ingest_posts_total')!.samples).toHaveLength(0);
  });
});

describe('Prometheus text parser used above is strict', () => {
  it('rejects malformed expositions', () => {
    expect(() => parsePrometheusText('# TYPE a counter\na 1\n')).not.toThrow();
    expect(() => parsePrometheusText('a 1\n')).toThrow(/no TYPE/);
    expect(() => parsePrometheusText('# TYPE a counter\na{x="1} 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE a counter\na one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE a counter\na 1')).toThrow(/newline/);
    expect(() =>
      parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
    ).toThrow(/cumulative/);
  });
});
