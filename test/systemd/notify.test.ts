import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createNotifier } from '../../src/systemd/notify.js';
import { startNotifySocket, type Datagram } from '../harness/notify-socket.js';

/**
 * Real datagrams (test/harness/notify-socket.ts); a child node process runs the
 * notifier with NOTIFY_SOCKET pointing at it.
 */



let dir: string;
let childJs: string;
const procs: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camrelay-notify-'));
  childJs = join(dir, 'child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./notify-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: childJs,
    logLevel: 'error',
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

async function receiver(addr: string): Promise<{ datagrams: Datagram[] }> {
  const r = await startNotifySocket(addr);
  procs.push(r.proc);
  return r;
}

async function runChild(mode: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [childJs, mode], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('sd_notify over a real AF_UNIX datagram socket', () => {
  it('sends EXTEND_TIMEOUT_USEC, READY=1 with STATUS, STATUS (newlines flattened) and STOPPING=1 via the python3 helper', async () => {
    const sock = join(dir, 'notify-ready.sock');
    const rx = await receiver(sock);
    const r = await runChild('ready', { NOTIFY_SOCKET: sock });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('transport=python3');
    await settle();
    expect(rx.datagrams.map((d) => d.msg)).toEqual(['EXTEND_TIMEOUT_USEC=20000000', 'READY=1\nSTATUS=hello', 'STATUS=line1 line2', 'STOPPING=1']);
  });

  it('supports abstract socket names (@name)', async () => {
    const addr = `@camrelay-notify-test-${process.pid}-${Date.now()}`;
    const rx = await receiver(addr);
    const r = await runChild('ready', { NOTIFY_SOCKET: addr });
    expect(r.code).toBe(0);
    await settle();
    expect(rx.datagrams.map((d) => d.msg)).toEqual(['EXTEND_TIMEOUT_USEC=20000000', 'READY=1\nSTATUS=hello', 'STATUS=line1 line2', 'STOPPING=1']);
  });

  it('falls back to systemd-notify when asked (one spawn per message; BARRIER datagrams ignored)', async () => {
    const sock = join(dir, 'notify-sn.sock');
    const rx = await receiver(sock);
    const r = await runChild('ready', { NOTIFY_SOCKET: sock, CHILD_TRANSPORT: 'systemd-notify' });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('transport=systemd-notify');
    await settle();
    const msgs = rx.datagrams.map((d) => d.msg).filter((m) => m !== 'BARRIER=1');
    // separate processes: arrival order between messages is not guaranteed
    expect(msgs.sort()).toEqual(['EXTEND_TIMEOUT_USEC=20000000', 'READY=1\nSTATUS=hello', 'STATUS=line1 line2', 'STOPPING=1'].sort());
  });

  it('pings WATCHDOG=1 while healthy and stops when the loop is blocked, starved, or a health check fails', async () => {
    const sock = join(dir, 'notify-wd.sock');
    const rx = await receiver(sock);
    // WATCHDOG_USEC 400 ms → a ping every 200 ms
    const r = await runChild('watchdog', { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' });
    // the warnings say why; one per unhealthy episode, not one per withheld ping
    // (the health-check episode withholds ~5 pings and must log once)
    const warns = r.stderr.trim().split('\n');
    expect(warns.filter((w) => /event loop stalled for \d+ ms.*watchdog ping withheld/.test(w)).length, r.stderr).toBeGreaterThanOrEqual(1);
    expect(warns.filter((w) => /health check \\"flag\\" failed/.test(w)), r.stderr).toHaveLength(1);
    expect(r.code).toBe(0);
    await settle();
    const d = rx.datagrams;
    const at = (prefix: string) => {
      const i = d.findIndex((x) => x.msg.startsWith(prefix));
      expect(i, `missing ${prefix}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const pings = (from: number, to: number) => d.slice(from + 1, to).filter((x) => x.msg === 'WATCHDOG=1').length;

    expect(d[0]!.msg).toBe('READY=1\nSTATUS=started');
    const blockStart = at('STATUS=block-start');
    const blockEnd = at('STATUS=block-end');
    const slugStart = at('STATUS=sluggish-start');
    const slugEnd = at('STATUS=sluggish-end');
    const failStart = at('STATUS=check-fail-start');
    const failEnd = at('STATUS=check-fail-end');
    const stopping = at('STOPPING=1');
    expect(stopping).toBe(d.length - 1);

    expect(pings(0, blockStart)).toBeGreaterThanOrEqual(3);
    // fully blocked loop: the receiver was listening for 1.5 s and got no ping
    expect(pings(blockStart, blockEnd)).toBe(0);
    expect(d[blockEnd]!.t - d[blockStart]!.t).toBeGreaterThanOrEqual(1.4);
    expect(pings(blockEnd, slugStart)).toBeGreaterThanOrEqual(1);
    // starved loop: it kept turning (timers ran) but every turn lagged 300 ms
    const turns = Number(/turns=(\d+)/.exec(d[slugEnd]!.msg)?.[1]);
    expect(turns).toBeGreaterThanOrEqual(4);
    expect(pings(slugStart, slugEnd)).toBe(0);
    expect(pings(slugEnd, failStart)).toBeGreaterThanOrEqual(1);
    // a registered health check failing withholds the pings too
    expect(pings(failStart, failEnd)).toBe(0);
    expect(d[failEnd]!.t - d[failStart]!.t).toBeGreaterThanOrEqual(0.9);
    expect(pings(failEnd, stopping)).toBeGreaterThanOrEqual(1);
  }, 30_000);
});

describe('notifier without systemd', () => {
  it('is a no-op without NOTIFY_SOCKET', async () => {
    const n = createNotifier({ env: {}, logger: silentLogger() });
    expect(n.enabled).toBe(false);
    expect(n.watchdogIntervalMs).toBeNull();
    n.ready('x');
    n.status('y');
    n.startWatchdog(() => true);
    n.stopping();
    expect(n.transport()).toBeNull();
    await n.stop();
  });

  it('takes the watchdog interval from WATCHDOG_USEC/2 and ignores a watchdog meant for another PID', () => {
    const env = { NOTIFY_SOCKET: join(tmpdir(), 'nowhere.sock'), WATCHDOG_USEC: '30000000' };
    expect(createNotifier({ env, logger: silentLogger() }).watchdogIntervalMs).toBe(15_000);
    expect(createNotifier({ env: { ...env, WATCHDOG_PID: String(process.pid) }, logger: silentLogger() }).watchdogIntervalMs).toBe(15_000);
    expect(createNotifier({ env: { ...env, WATCHDOG_PID: String(process.pid + 1) }, logger: silentLogger() }).watchdogIntervalMs).toBeNull();
    expect(createNotifier({ env: { NOTIFY_SOCKET: 'vsock:2:1234' }, logger: silentLogger() }).enabled).toBe(false);
  });
});
