import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, spawnDaemon, type DaemonHandle } from '../harness/daemon.js';

export const SUCCESS =
  '<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><status>success</status></config>';

export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'Content-Type': 'application/xml', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let daemons: DaemonHandle[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop('SIGKILL');
  daemons = [];
});

describe('daemon lifecycle (real process)', () => {
  it('with no config it runs on the built-in defaults, answers /API and /healthz, and stops cleanly on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'camrelay-defaults-'));
    const env = { ...process.env };
    delete env.CAMRELAY_CONFIG;
    const child = spawn(process.execPath, [CLI, 'run'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      for (let i = 0; i < 100 && !out.includes('camrelay ready'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('running on built-in defaults');
      expect(out).toContain('camrelay ready');
      const r = await post('http://127.0.0.1:8080/API', '');
      expect(r.status).toBe(200);
      expect(r.body).toBe(SUCCESS);
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(SUCCESS));
      const h = await fetch('http://127.0.0.1:8081/healthz');
      expect(h.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('stopped cleanly');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('finishes an in-flight request on SIGTERM and refuses new connections afterwards', async () => {
    const d = await spawnDaemon();
    daemons.push(d);
    // A request whose body is still arriving when the signal comes.
    const u = new URL(d.ingestUrl + '/API');
    const pending = new Promise<number>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/API', method: 'POST', headers: { 'Content-Length': '0' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    d.child.kill('SIGTERM');
    expect(await pending).toBe(200);
    const { code } = await d.exited;
    expect(code).toBe(0);
    await expect(post(d.ingestUrl + '/API', '')).rejects.toThrow();
    const order = d.logs.filter((l) => l.component === 'daemon' || l.msg === 'stopped cleanly').map((l) => l.msg);
    expect(order).toContain('stopped cleanly');
  });

  it('a second signal forces exit while the graceful stop is stuck', async () => {
    // A camera alarm output that answers at start-up and then hangs holds the graceful stop
    // (returning the output to its safe state); the second signal must not wait for it.
    let hang = false;
    const cam = createServer((req, res) => {
      // once the daemon is up, requests hang until the test ends
      if (!hang) res.end('<config status="success"/>');
    });
    await new Promise<void>((r) => cam.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (cam.address() as { port: number }).port;
      const d = await spawnDaemon({
        config: {
          outputs: [{ id: 'siren', driver: 'viewtron', viewtron: { host: '127.0.0.1', port, auth: 'basic', password: 'x-secret-1', timeout_ms: 20000, retries: 0 } }],
        },
      });
      daemons.push(d);
      hang = true;
      d.child.kill('SIGTERM');
      await d.waitForLog((l) => l.msg === 'stopping');
      await new Promise((r) => setTimeout(r, 500));
      expect(d.child.exitCode).toBeNull(); // still stuck in the graceful stop
      const t0 = Date.now();
      d.child.kill('SIGTERM');
      const { code } = await d.exited;
      expect(code).toBe(130);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(d.logs.some((l) => /second signal/.test(l.msg))).toBe(true);
    } finally {
      cam.closeAllConnections();
      cam.close();
    }
  });

  it('exits 1 with the errors when the config is invalid', async () => {
    const d = spawnDaemon({ config: { storage: { durability: 'sometimes' } } });
    await expect(d).rejects.toThrow(/exited before ready \(code 1/);
  });
});
