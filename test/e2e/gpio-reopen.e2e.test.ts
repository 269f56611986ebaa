import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipcTraject } from '../builders/viewtron.js';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { probeGpioSandbox, startGpioSandbox, type GpioSandbox } from '../harness/gpio-sandbox.js';

/**
 * The installer's usual first-day mistake: the service user is not allowed to use
 * /sys/class/gpio yet. The real daemon runs as uid 65534 (setpriv) inside the fake sysfs tree
 * whose export file is root's; the floodlight is unavailable, /readyz says why, posts are
 * still answered. Then "the udev rule is added" (the test chmods export and, like udev does after
 * each export, the new line's files): without a restart the daemon opens the line and drives it
 * to what the rules want now.
 */
const FLOOD = 512 + 17;
const MAC = '58:5b:69:5a:84:cc';

let sb: GpioSandbox;
let d: DaemonHandle;
let udev: NodeJS.Timeout | undefined;

const post = (id: number) =>
  fetch(`${d.ingestUrl}/API`, { method: 'POST', body: ipcTraject({ mac: MAC, targets: [{ id, cls: 'person', rect: [4000, 3000, 5000, 9000] }] }), headers: { 'content-type': 'application/xml' } });
const ready = async () => {
  const r = await fetch(`${d.adminUrl}/readyz`);
  return { status: r.status, body: (await r.json()) as { checks: Record<string, { ok: boolean; detail?: string }> } };
};

beforeAll(async () => {
  const why = await probeGpioSandbox();
  if (why) throw new Error(`GPIO e2e cannot run: ${why}`); // never silently skipped: CI runs as root
  // SCHED_FIFO kernel: the daemon writes the value right after opening the line, while the fake
  // kernel may still be rewriting the value file for the direction change (a real kernel applies
  // both inside the writes); not preempted there, its check-then-rewrite cannot lose that write.
  sb = await startGpioSandbox({ chips: [{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }], kernelPriority: { fifo: 10 } });
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-e2e-reopen-'));
  mkdirSync(join(dir, 'data'));
  chmodSync(dir, 0o777);
  chmodSync(join(dir, 'data'), 0o777);
  d = await spawnDaemon({
    dir,
    spawnFn: (c, a, o) => sb.spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', c, ...a], o),
    config: {
      cameras: [{ id: 'drive', mac: MAC }],
      zones: [{ id: 'driveway', camera: 'drive', classes: ['person'], target_timeout_ms: 5000, off_delay_s: 30 }],
      outputs: [{ id: 'flood', driver: 'gpio', pin: 17, active_low: true }],
      rules: [{ id: 'flood-on-presence', outputs: ['flood'], when: { presence: { zones: ['driveway'] } } }],
    },
  });
}, 60_000);

afterAll(async () => {
  clearInterval(udev);
  await d?.stop('SIGKILL');
  await sb?.stop();
});

describe('a GPIO output that could not be opened is opened later without a restart (real daemon as uid 65534, onoff, fake sysfs)', () => {
  it('starts with the output unavailable: /readyz names the gpio group, ingest still answers, the switch fails loudly', async () => {
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body.checks['output:flood']).toEqual({ ok: false, detail: expect.stringMatching(/not writable by uid 65534 .*`gpio` group/) });
    expect((await post(100)).status).toBe(200);
    await d.waitForLog((l) => /could not switch flood on/.test(String(l.msg)), 5000);
    expect(sb.writes().filter((w) => w.gpio === FLOOD)).toEqual([]);
    // retried, but the reason is logged once, not at every attempt
    await new Promise((r) => setTimeout(r, 1500));
    expect(d.logs.filter((l) => /output flood unavailable/.test(String(l.msg)))).toHaveLength(1);
  });

  it('after the permissions are fixed it opens the line in its safe state, then drives it on for the person still in view', async () => {
    const gpio = sb.path('/sys/class/gpio');
    chmodSync(join(gpio, 'export'), 0o666);
    const done = new Set<string>();
    udev = setInterval(() => {
      // like udev's rule on "add": once per exported line, right after the kernel made it
      for (const e of readdirSync(gpio)) {
        if (!/^gpio\d+$/.test(e) || done.has(e) || !existsSync(join(gpio, e, 'active_low'))) continue;
        for (const f of ['value', 'direction', 'active_low']) chmodSync(join(gpio, e, f), 0o666);
        done.add(e);
      }
    }, 20);
    const end = Date.now() + 40_000;
    while (sb.rawLevel(FLOOD) !== 0 && Date.now() < end) {
      expect((await post(100)).status).toBe(200); // the person stays in view
      await new Promise((r) => setTimeout(r, 200));
    }
    const why = () => `daemon:\n${d.logs.map((l) => l.msg).join('\n')}\nkernel:\n${sb.writes().map((w) => JSON.stringify(w)).join('\n')}`;
    expect(sb.rawLevel(FLOOD), why()).toBe(0); // active-low: on
    const mine = sb.writes().filter((w) => w.gpio === FLOOD && w.raw !== null);
    expect(mine[0]).toMatchObject({ file: 'direction', raw: 1 }); // opened at the safe (off) level first
    expect(mine.findIndex((w) => w.raw === 0)).toBeGreaterThan(0);
    expect((await ready()).status).toBe(200);
    expect(d.logs.some((l) => /output flood is available now; driving it ON/.test(String(l.msg)))).toBe(true);
    const state = (await (await fetch(`${d.adminUrl}/api/state`)).json()) as { outputs: { id: string; state: string; available: boolean }[] };
    expect(state.outputs.find((o) => o.id === 'flood')).toMatchObject({ state: 'ON', available: true });
  }, 60_000);
});
