import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { IngestServer, type IngestRequest } from '../../src/ingest/server.js';
import { requestPath } from '../../src/ingest/net.js';

const OK = { status: 200, body: '<ok/>' };
let servers: IngestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.stop(100);
  servers = [];
});

async function start(ingest: Record<string, unknown> = {}, seen: IngestRequest[] = []) {
  const cfg = validateConfig({ ingest: { listen: '127.0.0.1:0', ...ingest } }).config.ingest;
  const metrics = createMetrics();
  const s = new IngestServer(cfg, {
    logger: silentLogger(),
    metrics,
    now: () => Date.now(),
    viewtron: (r) => {
      seen.push(r);
      return OK;
    },
    hooks: (source, rest, r) => ({ status: 202, body: JSON.stringify({ source, rest, bytes: r.body.length }), contentType: 'application/json' }),
  });
  await s.start();
  servers.push(s);
  return { s, url: `http://127.0.0.1:${s.address!.port}`, metrics, seen };
}

/** Sends raw bytes on one TCP connection and returns everything the server sent back. */
function raw(port: number, data: string | Buffer, waitMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (d) => (out += d.toString()));
    sock.on('error', reject);
    sock.on('close', () => resolve(out));
    sock.write(data);
    setTimeout(() => sock.end(), waitMs);
  });
}

const refused = async (m: ReturnType<typeof createMetrics>, reason: string) =>
  (await m.ingestRefused.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe('ingest listener (real HTTP on loopback)', () => {
  it('reads the path of origin-form and absolute-form (NVR) request lines', () => {
    expect(requestPath('/API')).toBe('/API');
    expect(requestPath('/API?x=1')).toBe('/API');
    expect(requestPath('http://10.0.0.5:8080/API')).toBe('/API');
    expect(requestPath('garbage')).toBe('/');
  });

  it('answers an absolute-form NVR request and several posts on one keep-alive connection', async () => {
    const { s, seen } = await start();
    const port = s.address!.port;
    const body = '<config version="2.0.0"/>';
    const nvr = await raw(
      port,
      `POST http://10.0.0.5:${port}/API HTTP/1.1\r\nHost: 10.0.0.5\r\nContent-Type: application/soap+xml; charset=utf-8\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(nvr).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(nvr).toContain('Content-Length: 5');
    expect(seen[0]!.path).toBe('/API');
    expect(seen[0]!.body.toString()).toBe(body);
    const three = [1, 2, 3].map((i) => `POST /API HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nab${i}`).join('');
    const out = await raw(port, three);
    expect(out.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    expect(seen.slice(1).map((r) => r.body.toString())).toEqual(['ab1', 'ab2', 'ab3']);
  });

  it('refuses bodies over max_body_bytes with 413, declared or streamed', async () => {
    const { url, s, metrics, seen } = await start({ max_body_bytes: 2048 });
    const r = await fetch(url + '/API', { method: 'POST', body: 'x'.repeat(4096) });
    expect(r.status).toBe(413);
    expect((await r.json()) as object).toHaveProperty('error');
    // chunked: no Content-Length, the limit still applies while streaming
    const chunked = await raw(s.address!.port, `POST /API HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n${'y'.repeat(4096)}\r\n0\r\n\r\n`);
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(seen).toHaveLength(0);
    expect(await refused(metrics, 'too_large')).toBe(2);
  });

  it('refuses sources outside allowed_cidrs with 403', async () => {
    const { url, metrics } = await start({ allowed_cidrs: ['10.0.0.0/8'] });
    const r = await fetch(url + '/API', { method: 'POST', body: '' });
    expect(r.status).toBe(403);
    expect(await refused(metrics, 'source_not_allowed')).toBe(1);
    const ok = await start({ allowed_cidrs: ['127.0.0.0/8'] });
    expect((await fetch(ok.url + '/API', { method: 'POST', body: '' })).status).toBe(200);
  });

  it('requires basic auth when configured (401 with a challenge), but not for /hooks', async () => {
    const { url } = await start({ basic_auth: { username: 'cam', password: 'pass-word-1' } });
    const no = await fetch(url + '/API', { method: 'POST', body: '' });
    expect(no.status).toBe(401);
    expect(no.headers.get('www-authenticate')).toMatch(/^Basic/);
    const bad = await fetch(url + '/API', { method: 'POST', body: '', headers: { Authorization: 'Basic ' + Buffer.from('cam:nope').toString('base64') } });
    expect(bad.status).toBe(401);
    const good = await fetch(url + '/API', { method: 'POST', body: '', headers: { Authorization: 'Basic ' + Buffer.from('cam:pass-word-1').toString('base64') } });
    expect(good.status).toBe(200);
    const hook = await fetch(url + '/hooks/gaard/secret', { method: 'POST', body: '{}' });
    expect(hook.status).toBe(202);
    expect(await hook.json()).toEqual({ source: 'gaard', rest: 'secret', bytes: 2 });
  });

  it('405 for other methods, 404 for paths outside ingest.paths', async () => {
    const { url } = await start({ paths: ['/API', '/SendAlarmStatus'] });
    expect((await fetch(url + '/API')).status).toBe(405);
    expect((await fetch(url + '/other', { method: 'POST', body: '' })).status).toBe(404);
    expect((await fetch(url + '/SendAlarmStatus', { method: 'POST', body: '' })).status).toBe(200);
  });

  it('drops a slowloris connection that never finishes its headers', async () => {
    const { s, metrics } = await start({ headers_timeout_ms: 300, request_timeout_ms: 400 });
    const t0 = Date.now();
    const out = await new Promise<string>((resolve) => {
      const sock = connect(s.address!.port, '127.0.0.1');
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
      sock.write('POST /API HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => sock.writable && sock.write('X-a: b\r\n'), 100);
      sock.on('close', () => clearInterval(drip));
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(out).toMatch(/408|^$/);
    expect(await refused(metrics, 'timeout')).toBeGreaterThanOrEqual(1);
  });

  it('refuses connections past max_connections and counts them', async () => {
    const { s, metrics } = await start({ max_connections: 2 });
    const port = s.address!.port;
    const hold = () =>
      new Promise<import('node:net').Socket>((resolve) => {
        const c = connect(port, '127.0.0.1', () => resolve(c));
      });
    const a = await hold();
    const b = await hold();
    const third = await raw(port, 'POST /API HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    expect(third).toBe('');
    expect(await refused(metrics, 'max_connections')).toBe(1);
    a.destroy();
    b.destroy();
  });

  it('a handler that throws answers 500 and the listener keeps serving', async () => {
    const cfg = validateConfig({ ingest: { listen: '127.0.0.1:0' } }).config.ingest;
    let n = 0;
    const s = new IngestServer(cfg, {
      logger: silentLogger(),
      metrics: createMetrics(),
      now: () => Date.now(),
      viewtron: () => {
        if (n++ === 0) throw new Error('boom');
        return OK;
      },
    });
    await s.start();
    servers.push(s);
    const url = `http://127.0.0.1:${s.address!.port}/API`;
    expect((await fetch(url, { method: 'POST', body: 'a' })).status).toBe(500);
    expect((await fetch(url, { method: 'POST', body: 'a' })).status).toBe(200);
  });
});
