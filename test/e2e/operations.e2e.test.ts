import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { parsePrometheusText } from '../admin/prom-text.js';
import { ipcKeepaliveXml, ipcAlarm } from '../builders/viewtron.js';

let daemons: DaemonHandle[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop('SIGKILL');
  daemons = [];
});

const post = (d: DaemonHandle, body: string) => fetch(`${d.ingestUrl}/API`, { method: 'POST', body });
const state = async (d: DaemonHandle) =>
  (await (await fetch(`${d.adminUrl}/api/state`)).json()) as { cameras: { id: string; online: boolean | null }[]; outputs: { id: string; state: string; mode: string }[] };

describe('operations end to end (real daemon)', () => {
  it('a camera that goes silent is reported offline after its deadline, and online again when it posts', async () => {
    const d = await spawnDaemon({
      config: { cameras: [{ id: 'door', mac: '58:5b:69:11:22:33', keepalive_s: 1 }, { id: 'never', mac: '58:5b:69:99:99:99' }] },
    });
    daemons.push(d);
    expect((await state(d)).cameras.find((c) => c.id === 'never')!.online).toBeNull(); // never seen ≠ healthy
    expect((await post(d, ipcKeepaliveXml({ mac: '58:5b:69:11:22:33' }))).status).toBe(200);
    await expect.poll(async () => (await state(d)).cameras.find((c) => c.id === 'door')!.online).toBe(true);
    // keepalive_s 1 → deadline a few seconds later
    await expect.poll(async () => (await state(d)).cameras.find((c) => c.id === 'door')!.online, { timeout: 20_000, interval: 250 }).toBe(false);
    await post(d, ipcKeepaliveXml({ mac: '58:5b:69:11:22:33' }));
    await expect.poll(async () => (await state(d)).cameras.find((c) => c.id === 'door')!.online).toBe(true);
    const types = ((await (await fetch(`${d.adminUrl}/api/events?camera=door`)).json()) as { events: { event: { type: string } }[] }).events.map((e) => e.event.type);
    expect(types).toEqual(expect.arrayContaining(['camrelay.camera.online', 'camrelay.camera.offline']));
    const m = parsePrometheusText(await (await fetch(`${d.adminUrl}/metrics`)).text());
    expect(m.get('camrelay_camera_online')!.samples.find((s) => s.labels.camera === 'door')!.value).toBe(1);
  }, 40_000);

  it('/readyz turns red when storage is made read-only, and alarm posts get 503', async () => {
    const d = await spawnDaemon();
    daemons.push(d);
    expect((await fetch(`${d.adminUrl}/readyz`)).status).toBe(200);
    // Read-only database: as root, chmod is not enough (root ignores modes), so make the files immutable.
    const files = readdirSync(d.dataDir).filter((f) => f.startsWith('camrelay.db')).map((f) => join(d.dataDir, f));
    const { spawnSync } = await import('node:child_process');
    const ro = spawnSync('chattr', ['+i', ...files]);
    const immutable = ro.status === 0;
    if (!immutable) for (const f of files) chmodSync(f, 0o444);
    try {
      const r = await post(d, ipcAlarm({ smartType: 'PEA', style: 'E2', eventId: 77 }));
      expect(r.status).toBe(503);
      const ready = await fetch(`${d.adminUrl}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
      expect(body.checks.storage!.ok).toBe(false);
    } finally {
      if (immutable) spawnSync('chattr', ['-i', ...files]);
    }
  });

  it('the admin API refuses a mutation without the token and accepts it with the token', async () => {
    const token = 'admin-token-1234567890';
    const d = await spawnDaemon({ config: { admin: { token }, outputs: [{ id: 'light', driver: 'simulated' }] } });
    daemons.push(d);
    const body = JSON.stringify({ state: 'on', for_s: 30 });
    const no = await fetch(`${d.adminUrl}/api/outputs/light`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(no.status).toBe(401);
    expect(((await no.json()) as { error: string }).error).toBeTruthy();
    const yes = await fetch(`${d.adminUrl}/api/outputs/light`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
    expect(yes.status).toBe(200);
    const o = (await state(d)).outputs.find((x) => x.id === 'light')!;
    expect(o.state).toBe('ON');
    expect(o.mode).toBe('manual');
    expect(d.stdout()).not.toContain(token);
  });

  it('metrics parse as Prometheus text and carry the operational series', async () => {
    const d = await spawnDaemon({ config: { cameras: [{ id: 'cam', mac: '58:5b:69:00:00:01' }], zones: [{ id: 'z', camera: 'cam' }], outputs: [{ id: 'o' }] } });
    daemons.push(d);
    await post(d, ipcKeepaliveXml({ mac: '58:5b:69:00:00:01' }));
    await post(d, ipcAlarm({ smartType: 'PEA', style: 'E2', mac: '58:5b:69:00:00:01', eventId: 3 }));
    await post(d, '<config><broken');
    const m = parsePrometheusText(await (await fetch(`${d.adminUrl}/metrics`)).text());
    for (const name of [
      'camrelay_ingest_posts_total',
      'camrelay_ingest_duration_seconds',
      'camrelay_quarantine_total',
      'camrelay_camera_last_seen_timestamp_seconds',
      'camrelay_zone_presence',
      'camrelay_output_on',
      'camrelay_storage_writable',
      'camrelay_event_loop_lag_p99_seconds',
      'camrelay_process_resident_memory_bytes',
    ]) {
      expect(m.has(name), name).toBe(true);
    }
    const posts = m.get('camrelay_ingest_posts_total')!.samples;
    expect(posts.find((s) => s.labels.kind === 'alarm_data' && s.labels.result === 'ok')?.value).toBe(1);
  });
});
