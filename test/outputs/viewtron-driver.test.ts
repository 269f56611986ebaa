import { afterEach, describe, expect, test } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { outputSchema, type OutputConfig } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createDriver } from '../../src/outputs/index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Seen, res: ServerResponse, n: number) => void | Promise<void>;

const OK = '<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10" status="success"/>';
const xmlBody = (on: boolean) =>
  `<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><action><status>${on}</status></action></config>`;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(null));
  server = undefined;
});

async function device(handler: Handler): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const s = { method: req.method!, url: req.url!, headers: req.headers, body };
    seen.push(s);
    await handler(s, res, seen.length);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server!.address() as AddressInfo).port, seen };
}

function driverFor(port: number, viewtron: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    pretty: false,
    destination: new Writable({
      write(c, _e, cb) {
        lines.push(...String(c).split('\n').filter(Boolean));
        cb();
      },
    }),
  });
  const cfg: OutputConfig = outputSchema.parse({ id: 'siren', driver: 'viewtron', viewtron: { host: '127.0.0.1', port, ...viewtron }, ...extra });
  const d = createDriver(cfg, { logger, clock: new ManualClock(), retryDelayMs: () => 0 });
  return { d, logs: () => lines.map((l) => JSON.parse(l) as { level: string; msg: string }) };
}

const basicOk = (user: string, pass: string) => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

/** Server-side Digest check, computed here independently of src/outputs/digest.ts. */
function digestValid(header: string | undefined, method: string, realm: string, nonce: string, user: string, pass: string): boolean {
  if (!header?.startsWith('Digest ')) return false;
  const p: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[m[1]!] = m[2] ?? m[3]!;
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const ha1 = md5(`${user}:${realm}:${pass}`);
  const ha2 = md5(`${method}:${p.uri}`);
  return p.username === user && p.realm === realm && p.nonce === nonce && p.qop === 'auth' && p.response === md5(`${ha1}:${nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
}

describe('viewtron output driver (real HTTP on 127.0.0.1)', () => {
  test('ManualAlarmOut with Basic: safe (false) at init, then true/false; XML body and headers as the device expects', async () => {
    const { port, seen } = await device((req, res) => {
      if (req.headers.authorization !== basicOk('admin', 's3cret!')) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="IPC"' }).end();
        return;
      }
      res.end(OK);
    });
    const { d, logs } = driverFor(port, { password: 's3cret!', channel: 2, auth: 'basic' });
    await d.init();
    await d.set(true);
    await d.set(false);
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/ManualAlarmOut/2', xmlBody(false)],
      ['POST', '/ManualAlarmOut/2', xmlBody(true)],
      ['POST', '/ManualAlarmOut/2', xmlBody(false)],
    ]);
    expect(seen[0]!.headers['content-type']).toBe('application/xml; charset="UTF-8"');
    expect(d.available()).toEqual({ ok: true });
    expect(d.state()).toBe(false);
    const warns = logs().filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(/perimeter alarm cycle ends.*NVR output or an external relay/);
    expect(JSON.stringify(logs())).not.toContain('s3cret!');
  });

  test('auth auto: Basic first, then Digest (MD5, qop=auth) on a Digest challenge; the nonce is reused with nc 2', async () => {
    const realm = 'NVR';
    const nonce = randomBytes(8).toString('hex');
    const { port, seen } = await device((req, res) => {
      if (!digestValid(req.headers.authorization, req.method, realm, nonce, 'admin', 'pw')) {
        res.writeHead(401, { 'www-authenticate': `Digest realm="${realm}", nonce="${nonce}", qop="auth", opaque="op1"` }).end();
        return;
      }
      res.end(OK);
    });
    const { d } = driverFor(port, { password: 'pw' });
    await d.set(true);
    expect(seen.map((s) => s.headers.authorization?.split(' ')[0])).toEqual(['Basic', 'Digest']);
    expect(seen[1]!.headers.authorization).toContain('uri="/ManualAlarmOut"');
    expect(seen[1]!.headers.authorization).toContain('opaque="op1"');
    expect(seen[1]!.body).toBe(xmlBody(true));
    await d.set(false);
    expect(seen).toHaveLength(3);
    expect(seen[2]!.headers.authorization).toContain('nc=00000002');
    expect(d.state()).toBe(false);
  });

  test('wrong password: refused without retries, reported', async () => {
    const { port, seen } = await device((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Digest realm="x", nonce="n", qop="auth"' }).end();
    });
    const { d } = driverFor(port, { password: 'bad', auth: 'digest', retries: 3 });
    await expect(d.set(true)).rejects.toThrow(/output "siren": 127\.0\.0\.1: authentication refused \(HTTP 401 after digest auth\)/);
    expect(seen).toHaveLength(2); // challenge + one digest attempt
    expect(d.available().ok).toBe(false);
    expect(d.state()).toBeNull();
  });

  test('timeouts are retried `retries` times, then fail; a later success clears the error', async () => {
    let slow = 99;
    const { port, seen } = await device(async (_req, res) => {
      if (slow-- > 0) await new Promise((r) => setTimeout(r, 600));
      if (!res.destroyed) res.end(OK);
    });
    const { d, logs } = driverFor(port, { password: 'pw', auth: 'basic', timeout_ms: 150, retries: 2 });
    await expect(d.set(true)).rejects.toThrow(/no answer within 150 ms \(after 3 attempts\)/);
    expect(seen).toHaveLength(3);
    expect(d.available()).toEqual({ ok: false, error: 'no answer within 150 ms (after 3 attempts)' });
    expect(logs().filter((l) => /retrying/.test(l.msg))).toHaveLength(2);
    slow = 1;
    await d.set(true);
    expect(seen).toHaveLength(5);
    expect(d.available()).toEqual({ ok: true });
  });

  test('HTTP 500 is retried; a status="failed" answer is a failure and not retried', async () => {
    const { port, seen } = await device((_req, res, n) => {
      if (n === 1) res.writeHead(500).end();
      else if (n === 2) res.end(OK);
      else res.end('<?xml version="1.0" encoding="UTF-8"?><config version="1.0" status="failed" errorCode="5" errorDesc="Permission denied"/>');
    });
    const { d } = driverFor(port, { password: 'pw', auth: 'basic', retries: 2 });
    await d.set(true);
    expect(seen).toHaveLength(2);
    await expect(d.set(false)).rejects.toThrow(/device refused \/ManualAlarmOut: errorCode 5 \(Permission denied\)/);
    expect(seen).toHaveLength(3);
  });

  test('NVR virtual alarm: GET /TriggerVirtualAlarm/{id} on; off is a logged no-op', async () => {
    const { port, seen } = await device((_req, res) => {
      res.end('<?xml version="1.0" encoding="UTF-8"?><config version="2.0.0" status="success" errorCode="0" errorDesc="Successful"/>');
    });
    const { d, logs } = driverFor(port, { password: 'pw', auth: 'basic', kind: 'virtual_alarm', virtual_alarm_id: 17 });
    await d.init(); // safe = off: nothing to send
    await d.set(true);
    await d.set(false);
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', '/TriggerVirtualAlarm/17']]);
    expect(logs().some((l) => /no "off"/.test(l.msg))).toBe(true);
    expect(logs().some((l) => l.level === 'warn')).toBe(false); // the IPC warning is for alarm_out only
  });

  test('unreachable device at init: logged, reported by available(), no throw', async () => {
    const { port } = await device((_req, res) => {
      res.end(OK);
    });
    server!.close();
    server!.closeAllConnections();
    const { d, logs } = driverFor(port, { password: 'pw', retries: 0 });
    await d.init();
    expect(d.available().ok).toBe(false);
    expect(logs().some((l) => l.level === 'error' && /could not drive the safe state/.test(l.msg))).toBe(true);
  });
});
