import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { runSimulation } from '../../src/simulate/run.js';
import { runCli } from '../camera/io.js';

interface Rec {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** one id per TCP connection */
  conn: number;
}

const SUCCESS = '<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><status>success</status></config>';

/** A receiver that records every post and which TCP connection it came on. */
async function recorder(status: (r: Rec) => number = () => 200): Promise<{ url: string; recs: Rec[]; close(): Promise<void> }> {
  const recs: Rec[] = [];
  const sockets = new Set<Socket>();
  const ids = new WeakMap<Socket, number>();
  let next = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Rec = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), conn: ids.get(req.socket)! };
      recs.push(rec);
      res.writeHead(status(rec), { 'content-type': 'application/xml' });
      res.end(SUCCESS);
    });
  });
  server.on('connection', (s) => {
    ids.set(s, next++);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/API`,
    recs,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.map((o) => o.close()));
  open = [];
});
async function start(status?: (r: Rec) => number) {
  const r = await recorder(status);
  open.push(r);
  return r;
}

const START = Date.UTC(2026, 3, 1, 8, 0, 0);

/** Posts per connection, in arrival order, keyed by the camera MAC the connection carried. */
function perCamera(recs: Rec[]): Map<string, string[]> {
  const byConn = new Map<number, string[]>();
  for (const r of recs) byConn.set(r.conn, [...(byConn.get(r.conn) ?? []), r.body]);
  const out = new Map<string, string[]>();
  for (const bodies of byConn.values()) {
    const mac = bodies.map((b) => /58:5b:69:[0-9a-f:]{8}/.exec(b)?.[0]).find(Boolean) ?? 'unknown';
    out.set(mac, bodies);
  }
  return out;
}

describe('runSimulation against a real HTTP receiver', () => {
  it('IPC mode: one keep-alive connection per camera, origin-form /API, application/xml, XML bodies or empty keepalives', async () => {
    const srv = await start();
    const s = await runSimulation({ url: srv.url, cameras: 3, durationS: 1.5, seed: 9, startTimeMs: START, images: 'jpeg' });
    expect(srv.recs.length).toBe(s.sent);
    expect(s.ok).toBe(s.sent);
    expect(new Set(srv.recs.map((r) => r.conn)).size).toBe(3);
    expect(perCamera(srv.recs).size).toBe(3);
    for (const r of srv.recs) {
      expect(r.url).toBe('/API');
      expect(r.headers['content-type']).toMatch(/^application\/xml/);
      expect(r.headers.connection ?? 'keep-alive').toMatch(/keep-alive/i);
      if (r.body === '') expect(r.headers['content-length']).toBe('0');
      else expect(XMLValidator.validate(r.body)).toBe(true);
    }
    expect(s.byKind.keepalive.sent).toBe(3); // one at the start of each camera
    expect(s.byKind.traject.sent).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed and start time give the same bodies per camera; another seed differs', async () => {
    const a = await start();
    await runSimulation({ url: a.url, cameras: 2, durationS: 1.2, seed: 1234, startTimeMs: START, images: 'jpeg' });
    const b = await start();
    await runSimulation({ url: b.url, cameras: 2, durationS: 1.2, seed: 1234, startTimeMs: START, images: 'jpeg' });
    const c = await start();
    await runSimulation({ url: c.url, cameras: 2, durationS: 1.2, seed: 4321, startTimeMs: START, images: 'jpeg' });
    const pa = perCamera(a.recs);
    const pb = perCamera(b.recs);
    expect([...pa.keys()].sort()).toEqual([...pb.keys()].sort());
    for (const [mac, bodies] of pa) {
      const other = pb.get(mac)!;
      // the last post may fall either side of the end of the run on a busy machine
      const n = Math.min(bodies.length, other.length);
      expect(n).toBeGreaterThanOrEqual(5);
      expect(other.slice(0, n)).toEqual(bodies.slice(0, n));
    }
    const pc = perCamera(c.recs);
    const first = (m: Map<string, string[]>) => [...m.values()].flatMap((x) => x.filter((b) => b.includes('<traject')).slice(0, 3));
    expect(first(pc)).not.toEqual(first(pa));
  });

  it('sends traject at roughly the asked rate (count over the run, not timing-precise)', async () => {
    const srv = await start();
    // the loiter scenario has a target in view from ~0.2 s for 25 s or more
    const s = await runSimulation({ url: srv.url, cameras: 1, durationS: 2, rate: 10, scenario: 'loiter', seed: 3, startTimeMs: START });
    const traject = srv.recs.filter((r) => r.body.includes('<traject type="list"'));
    expect(traject.length).toBe(s.byKind.traject.sent);
    expect(traject.length).toBeGreaterThanOrEqual(14);
    expect(traject.length).toBeLessThanOrEqual(21);
  });

  it('NVR mode: absolute-form request line, soap+xml, Connection: close, a new connection per post, v2.0 bodies', async () => {
    const srv = await start();
    const s = await runSimulation({ url: srv.url, cameras: 4, nvr: true, durationS: 2, scenario: 'burst', seed: 5, startTimeMs: START, images: 'none' });
    expect(srv.recs.length).toBe(s.sent);
    expect(srv.recs.length).toBeGreaterThanOrEqual(2);
    const { port } = new URL(srv.url);
    for (const r of srv.recs) {
      expect(r.url).toBe(`http://127.0.0.1:${port}/API`);
      expect(r.headers['content-type']).toMatch(/^application\/soap\+xml/);
      expect(r.headers.connection).toBe('close');
      expect(r.body).toContain('<config version="2.0.0"');
      expect(r.body).not.toContain('<traject');
    }
    expect(new Set(srv.recs.map((r) => r.conn)).size).toBe(srv.recs.length);
    expect(s.byKind.keepalive.sent).toBe(1);
    expect(s.byKind.alarmData.sent).toBeGreaterThan(0);
  });

  it('counts response codes per kind and transport errors', async () => {
    const srv = await start((r) => (r.body === '' || r.body.includes('<DeviceInfo>') ? 503 : 200));
    const s = await runSimulation({ url: srv.url, cameras: 2, durationS: 1, seed: 2, startTimeMs: START });
    expect(s.byKind.keepalive.status).toEqual({ '503': 2 });
    expect(s.byKind.traject.status['200']).toBe(s.byKind.traject.sent);
    expect(s.failed).toBe(2);
    expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p50);

    await srv.close();
    open = open.filter((o) => o !== srv);
    const down = await runSimulation({ url: srv.url, cameras: 1, durationS: 0.5, seed: 2, startTimeMs: START });
    expect(down.ok).toBe(0);
    expect(Object.keys(down.status).every((k) => k.startsWith('error:'))).toBe(true);
    expect(down.status['error:ECONNREFUSED']).toBeGreaterThan(0);
  });

  it('stops cleanly on abort when no duration is given', async () => {
    const srv = await start();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 700);
    const s = await runSimulation({ url: srv.url, cameras: 2, seed: 1, startTimeMs: START }, { signal: ac.signal });
    expect(s.ended).toBe('stopped');
    expect(s.sent).toBeGreaterThan(0);
    expect(s.elapsedS).toBeLessThan(5);
    const n = srv.recs.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(srv.recs.length).toBe(n); // nothing posted after the stop
  });
});

describe('camrelay simulate (CLI)', () => {
  it('--json prints a machine-readable summary', async () => {
    const srv = await start();
    const r = await runCli(['simulate', '--url', srv.url, '--cameras', '2', '--duration', '1', '--seed', '77', '--images', 'placeholder', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.seed).toBe(77);
    expect(s.cameras).toBe(2);
    expect(s.sent).toBe(srv.recs.length);
    expect(s.byKind.traject.status['200']).toBeGreaterThan(0);
    expect(typeof s.latencyMs.p99).toBe('number');
  });

  it('prints the per-kind table; exit 1 when nothing was accepted; usage errors exit 2', async () => {
    const srv = await start(() => 500);
    const r = await runCli(['simulate', '--url', srv.url, '--cameras', '1', '--duration', '0.5', '--seed', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/keepalive\s+1\s+\d+/);
    expect(r.stdout).toContain('500:');
    const bad = await runCli(['simulate', '--url', srv.url, '--cameras', '1', '--scenario', 'dance']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scenario must be one of');
  });
});
