import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCamera, type FakeCamera, type FakeSlot } from './fake-camera.js';
import { runCli } from './io.js';

const PASSWORD = 'S3cret-pass!';
let dir: string;
let pwFile: string;
let wrongFile: string;
let cam: FakeCamera | undefined;

const otherSlot: FakeSlot = {
  urlId: 2,
  enabled: true,
  domain: 'vms.example.lan',
  port: 9000,
  path: '/events/in',
  keepalive: 60,
  data: ['smartData', 'sourceImage'],
  events: ['MOTION', 'AVD'],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'camrelay-camera-'));
  pwFile = join(dir, 'pw');
  wrongFile = join(dir, 'wrong');
  writeFileSync(pwFile, PASSWORD + '\n');
  writeFileSync(wrongFile, 'not-the-password\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await cam?.close();
  cam = undefined;
});

const subscribeArgs = (port: number, file = pwFile, extra: string[] = []) => [
  'camera',
  'subscribe',
  '--host',
  '127.0.0.1',
  '--port',
  String(port),
  '--user',
  'admin',
  '--password-file',
  file,
  '--url',
  'http://192.168.7.20:8080/API',
  ...extra,
];

const parse = (xml: string) =>
  new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (n) => n === 'item' }).parse(xml);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('camera subscribe', () => {
  it('with Basic auth writes the chosen slot, keeps the other slots, reads back and reminds the installer', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD, slots: [otherSlot] });
    const r = await runCli(subscribeArgs(cam.port, pwFile, ['--events', 'PERIMETER,TRIPWIRE', '--data', 'traject,alarmStatus,smartData']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cam.setBodies).toHaveLength(1);
    const body = cam.setBodies[0]!;
    // vendor shape: declaration, namespace, list attributes, CDATA for domain and path
    expect(body.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(body).toContain('xmlns="http://www.ipc.com/ver10"');
    expect(body).toContain('<domain><![CDATA[192.168.7.20]]></domain>');
    expect(body).toContain('<path><![CDATA[/API]]></path>');
    expect(body).toMatch(/<subscribeDateType type="list" count="3">/);
    const items = parse(body).config.httpPostV2.postUrlConf.urlList.item as Record<string, any>[];
    expect(items.map((i) => i.urlId)).toEqual(['1', '2']);
    const mine = items[0]!;
    expect(mine.switch).toBe('true');
    expect(mine.url.domain).toBe('192.168.7.20');
    expect(mine.url.port).toBe('8080');
    expect(mine.subscribeDateType.item).toEqual(['traject', 'alarmStatus', 'smartData']);
    expect(mine.subscriptionEvents.item).toEqual(['PERIMETER', 'TRIPWIRE']);
    expect(mine.keepaliveTimeval).toBe('30');
    const kept = items[1]!;
    expect(kept.url.domain).toBe('vms.example.lan');
    expect(kept.url.port).toBe('9000');
    expect(kept.url.path).toBe('/events/in');
    expect(kept.subscribeDateType.item).toEqual(['smartData', 'sourceImage']);
    expect(kept.subscriptionEvents.item).toEqual(['MOTION', 'AVD']);
    // the camera state after the change still has slot 2 untouched
    expect(cam.slots.find((s) => s.urlId === 2)).toEqual(otherSlot);
    expect(cam.log.map((l) => l.path)).toEqual(['/GetHttpPostConfig', '/SetHttpPostConfig', '/GetHttpPostConfig']);
    expect(cam.log.every((l) => l.authorization?.startsWith('Basic '))).toBe(true);
    expect(r.stdout).toContain('url: (unset) -> http://192.168.7.20:8080/API');
    expect(r.stdout).toContain('Smart track data');
    expect(r.stdout).toMatch(/reboot the camera/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('with Digest auth (qop=auth, verified server-side) re-subscribes the slot already posting to the URL', async () => {
    const mineBefore: FakeSlot = { ...otherSlot, urlId: 3, domain: '192.168.7.20', port: 8080, path: '/API', data: ['smartData'], events: ['PERIMETER'] };
    cam = await startFakeCamera({ auth: 'digest', user: 'admin', password: PASSWORD, slots: [otherSlot, mineBefore] });
    const r = await runCli(subscribeArgs(cam.port));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(cam.digestOk).toBe(3);
    expect(cam.log.every((l) => l.authorization?.startsWith('Digest '))).toBe(true);
    const items = parse(cam.setBodies[0]!).config.httpPostV2.postUrlConf.urlList.item as Record<string, any>[];
    expect(items.map((i) => i.urlId)).toEqual(['2', '3']);
    expect(items[1]!.subscribeDateType.item).toEqual(['alarmStatus', 'traject', 'smartData', 'sourceImage', 'targetImage']);
    // events not given: the slot's own events are kept
    expect(items[1]!.subscriptionEvents.item).toEqual(['PERIMETER']);
    expect(r.stdout).toContain('httpPostV2 slot 3');
    expect(r.stdout).toContain('data: smartData -> alarmStatus,traject,smartData,sourceImage,targetImage');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('wrong password: exit 1 with "authentication failed for user admin"', async () => {
    cam = await startFakeCamera({ auth: 'digest', user: 'admin', password: PASSWORD });
    const r = await runCli(subscribeArgs(cam.port, wrongFile));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('authentication failed for user admin');
    expect(cam.setBodies).toHaveLength(0);
    expect(r.stderr).not.toContain('not-the-password');
  });

  it('unreachable camera: exit 1 with "cannot reach host:port"', async () => {
    const port = await freePort();
    const r = await runCli(subscribeArgs(port));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach 127.0.0.1:${port}`);
  });

  it('a camera that accepts the connection but never answers: exit 1 with "cannot reach" after --timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runCli([...subscribeArgs(port), '--timeout', '0.5']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot reach 127.0.0.1:${port}`);
    } finally {
      silent.close();
    }
  });

  it('firmware without httpPostV2: exit 1 with the explanation and no write', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD, v2: false });
    const r = await runCli(subscribeArgs(cam.port));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no httpPostV2 block');
    expect(r.stderr).toMatch(/web UI/);
    expect(r.stderr).toMatch(/httpPost v1/);
    expect(cam.setBodies).toHaveLength(0);
  });

  it('a failed status XML from SetHttpPostConfig: exit 1 with the errorCode', async () => {
    cam = await startFakeCamera({
      auth: 'basic',
      user: 'admin',
      password: PASSWORD,
      setAnswer: '<?xml version="1.0" encoding="UTF-8"?>\n<config status="failed" errorCode="4" errorDesc="Parameter Error"/>\n',
    });
    const r = await runCli(subscribeArgs(cam.port));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('errorCode 4 (Parameter Error)');
  });

  it('a camera that does not keep the change: exit 1 naming what differs', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD, ignoreSet: true });
    const r = await runCli(subscribeArgs(cam.port));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('did not keep the change on slot 1');
  });

  it('--dry-run prints the body and writes nothing; password from CAMRELAY_CAMERA_PASSWORD', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD, slots: [otherSlot] });
    const args = subscribeArgs(cam.port).filter((a, i, all) => a !== '--password-file' && all[i - 1] !== '--password-file');
    const r = await runCli([...args, '--dry-run'], { CAMRELAY_CAMERA_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    expect(cam.setBodies).toHaveLength(0);
    expect(r.stdout).toContain('<httpPostV2>');
    expect(r.stdout).toContain('dry run');
  });

  it('refuses a password on the command line (exit 2)', async () => {
    const r = await runCli(['camera', 'subscribe', '--host', 'h', '--user', 'admin', '--password', 'x', '--url', 'http://a/API']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('passwords are not accepted on the command line');
  });

  it('rejects unknown events and data types before writing', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD });
    const r = await runCli(subscribeArgs(cam.port, pwFile, ['--events', 'PERIMETER,FIRE']));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown subscription event "FIRE"');
    expect(cam.setBodies).toHaveLength(0);
  });
});

describe('camera status', () => {
  it('prints device info and every slot with the v1 block (Digest)', async () => {
    cam = await startFakeCamera({ auth: 'digest', user: 'admin', password: PASSWORD, slots: [otherSlot] });
    const r = await runCli(['camera', 'status', '--host', '127.0.0.1', '--port', String(cam.port), '--user', 'admin', '--password-file', pwFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name:     Gate East');
    expect(r.stdout).toContain('model:    TEST-IPC-4MP');
    expect(r.stdout).toContain('mac:      58:5b:69:aa:00:07');
    // text values stay text: a serial's leading zeros survive
    expect(r.stdout).toContain('serial:   00421TESTSN7');
    expect(r.stdout).toContain('firmware: 5.3.1.4242B250101.TEST');
    expect(r.stdout).toContain('api:      2.0.0');
    expect(r.stdout).toContain('slot 2: on  http://vms.example.lan:9000/events/in');
    expect(r.stdout).toContain('events: MOTION, AVD');
    expect(r.stdout).toContain('httpPost v1: off 10.1.2.3:8000/legacy, heartbeat 60s, online: no');
    // slot 2 has no traject: no checkbox note
    expect(r.stdout).not.toContain('Smart track data');
  });

  it('reminds of the "Smart track data" checkbox when a slot subscribes traject', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD, slots: [{ ...otherSlot, data: ['traject', 'smartData'] }] });
    const r = await runCli(['camera', 'status', '--host', '127.0.0.1', '--port', String(cam.port), '--user', 'admin', '--password-file', pwFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Smart track data');
  });

  it('--json gives machine-readable output', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD, slots: [otherSlot] });
    const r = await runCli(['camera', 'status', '--host', '127.0.0.1', '--port', String(cam.port), '--user', 'admin', '--password-file', pwFile, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.device.sn).toBe('00421TESTSN7');
    expect(j.httpPostV2.slots[0].events).toEqual(['MOTION', 'AVD']);
    expect(j.httpPost.onlineStatus).toBe(false);
  });

  it('without credentials against a camera that requires them: exit 1 saying a login is needed', async () => {
    cam = await startFakeCamera({ auth: 'basic', user: 'admin', password: PASSWORD });
    const r = await runCli(['camera', 'status', '--host', '127.0.0.1', '--port', String(cam.port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('requires a login');
  });
});
