import { afterEach, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { KeepAliveConnection } from '../harness/camera-client.js';
import { ipcAlarm, ipcAlarmStatus, ipcKeepaliveXml, ipcTraject, nvrAlarm, nvrKeepalive } from '../builders/viewtron.js';

const SUCCESS =
  '<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><status>success</status></config>';

let daemons: DaemonHandle[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop('SIGKILL');
  daemons = [];
});

/** Stored events via the admin API, as { type (without the camrelay. prefix), id, data }. */
export const events = async (d: DaemonHandle, q = '') =>
  ((await (await fetch(`${d.adminUrl}/api/events?limit=200${q}`)).json()) as { events: { event: { type: string; id: string; data: Record<string, unknown> } }[] }).events.map(
    (e) => ({ ...e.event, type: e.event.type.replace(/^camrelay\./, '') }),
  );

describe('ingest end to end (real daemon process)', () => {
  it('answers keepalive, traject, status and alarm posts on one keep-alive connection', async () => {
    const d = await spawnDaemon({
      config: {
        cameras: [{ id: 'cam1', mac: '58:5b:69:5a:84:bb' }],
        zones: [{ id: 'drive', camera: 'cam1', target_timeout_ms: 300, off_delay_s: 0 }],
      },
    });
    daemons.push(d);
    const c = new KeepAliveConnection(d.ingestPort);
    const replies = [
      await c.post(''),
      await c.post(ipcKeepaliveXml({ mac: '58:5B:69:5A:84:BB' })),
      await c.post(ipcTraject({ mac: '58:5b:69:5a:84:bb', targets: [{ id: 7, cls: 'person', rect: [4000, 3000, 5000, 9000] }] })),
      await c.post(ipcAlarmStatus({ mac: '58:5b:69:5a:84:bb' })),
      await c.post(ipcAlarm({ smartType: 'PEA', style: 'E2', mac: '58:5b:69:5a:84:bb', eventId: 31, images: 'jpeg' })),
      await c.post(ipcAlarm({ smartType: 'VEHICE', style: 'E2', mac: '58:5b:69:5a:84:bb', plate: '0123', plateList: 'whiteList' })),
    ];
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.body).toBe(SUCCESS);
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(SUCCESS));
    }
    expect(c.open).toBe(true);
    c.close();
    const evs = await events(d);
    const types = evs.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['alarm.status', 'alarm.intrusion', 'alarm.lpr']));
    const lpr = evs.find((e) => e.type === 'alarm.lpr')!;
    expect(lpr.data.plate).toBe('0123'); // leading zero kept: values are never coerced to numbers
    expect(lpr.data.camera).toBe('cam1');
    const intrusion = evs.find((e) => e.type === 'alarm.intrusion')!;
    const images = intrusion.data.images as { valid: boolean; file?: string; sha256?: string }[];
    expect(images.some((i) => i.valid && i.file && i.sha256)).toBe(true);
    // traject → presence: the zone went on (stored asynchronously, off the hot path)
    await expect.poll(async () => (await events(d)).map((e) => e.type)).toContain('presence.on');
  });

  it('answers NVR posts with absolute-form request lines, one connection per post', async () => {
    const d = await spawnDaemon({ config: { cameras: [{ id: 'gate', mac: '58:5B:69:40:F4:0D', nvr_channel: 2 }] } });
    daemons.push(d);
    for (const body of [nvrKeepalive(), nvrAlarm({ smartType: 'vehicle', channel: 2, plate: 'JP116D', group: 'whiteList' })]) {
      const c = new KeepAliveConnection(d.ingestPort);
      const r = await c.post(body, '/API', `http://10.1.2.3:${d.ingestPort}/API`);
      expect(r.status).toBe(200);
      expect(r.body).toBe(SUCCESS);
      c.close();
    }
    const lpr = (await events(d, '&type=alarm.lpr'))[0]!;
    expect(lpr.data.plate).toBe('JP116D');
    expect(lpr.data.camera).toBe('gate');
    expect(lpr.data.plate_list).toBe('whiteList');
  });

  it('an alarm answered 200 is in SQLite: kill -9 right after the response and find it after restart', async () => {
    const d = await spawnDaemon();
    const c = new KeepAliveConnection(d.ingestPort);
    const r = await c.post(ipcAlarm({ smartType: 'PEA', style: 'E2', eventId: 9001, currentTimeUs: '1774792701902505' }));
    expect(r.status).toBe(200);
    d.child.kill('SIGKILL');
    await d.exited;
    const again = await spawnDaemon({ dir: d.dir });
    daemons.push(again);
    const evs = await events(again, '&type=alarm.intrusion');
    expect(evs).toHaveLength(1);
  });

  it('refuses malformed XML with 400, quarantines it, and keeps serving the connection', async () => {
    const d = await spawnDaemon();
    daemons.push(d);
    const c = new KeepAliveConnection(d.ingestPort);
    const bad = await c.post('<?xml version="1.0"?><config><smartType>PEA</smartType>');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toBeTruthy();
    const doctype = await c.post('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><config>&a;</config>');
    expect(doctype.status).toBeGreaterThanOrEqual(400);
    const unknown = await c.post('<?xml version="1.0"?><somethingElse><a>1</a></somethingElse>');
    expect(unknown.status).toBe(200);
    const good = await c.post(ipcAlarm({ smartType: 'PEA', style: 'E2', eventId: 5 }));
    expect(good.status).toBe(200);
    c.close();
    const metrics = await (await fetch(`${d.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/camrelay_quarantine_total\{[^}]*\} [1-9]/);
    expect(d.logs.some((l) => /refused post/.test(l.msg))).toBe(true);
    // the good post around the bad ones was stored
    expect((await events(d, '&type=alarm.intrusion')).length).toBe(1);
  });
});
