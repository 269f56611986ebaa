import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { startNotifySocket } from '../harness/notify-socket.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('systemd notify from the real daemon (a test socket stands in for NOTIFY_SOCKET)', () => {
  it('sends READY=1 after start-up, WATCHDOG=1 pings, and STOPPING=1 on SIGTERM', async () => {
    const sock = join(mkdtempSync(join(tmpdir(), 'camrelay-sd-')), 'notify.sock');
    const rx = await startNotifySocket(sock);
    cleanup.push(() => rx.close());
    let d: DaemonHandle | null = await spawnDaemon({ env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '600000' } });
    cleanup.push(() => d?.stop('SIGKILL'));
    await expect.poll(() => rx.datagrams.map((x) => x.msg).join('\n'), { timeout: 5000 }).toMatch(/READY=1/);
    // WatchdogSec 0.6 s → pings every 0.3 s
    await expect.poll(() => rx.datagrams.filter((x) => x.msg.includes('WATCHDOG=1')).length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const ready = rx.datagrams.findIndex((x) => x.msg.includes('READY=1'));
    const firstPing = rx.datagrams.findIndex((x) => x.msg.includes('WATCHDOG=1'));
    expect(firstPing).toBeGreaterThan(ready);
    await d.stop('SIGTERM');
    d = null;
    await expect.poll(() => rx.datagrams.some((x) => x.msg.includes('STOPPING=1')), { timeout: 5000 }).toBe(true);
  });

  it('sends nothing and runs normally without NOTIFY_SOCKET', async () => {
    const d = await spawnDaemon();
    cleanup.push(() => d.stop('SIGKILL'));
    expect((await fetch(`${d.adminUrl}/healthz`)).status).toBe(200);
    expect(d.logs.some((l) => l.level === 'error')).toBe(false);
  });
});
