import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';
import { probeGpioSandbox, startGpioSandbox, type GpioSandbox } from '../harness/gpio-sandbox.js';

/** A cloud verdict drives the same relay a camera alarm would (real daemon, real onoff, fake sysfs). */
const SIREN = 512 + 22;
const PATH_SECRET = 'p4th-s3cret-videodb';
let sb: GpioSandbox;
let d: DaemonHandle;

const alert = (id: string, confidence: number) =>
  JSON.stringify({
    event_id: id,
    label: 'intrusion',
    confidence,
    explanation: 'A person climbs the fence near the loading bay.',
    timestamp: '2026-11-23T02:31:45.120Z',
    start_time: '2026-11-23T02:31:38.000Z',
    end_time: '2026-11-23T02:31:52.000Z',
    stream_url: 'https://stream.example/rts-1/clip.m3u8',
    player_url: 'https://console.example/player?url=rts-1',
  });

beforeAll(async () => {
  const why = await probeGpioSandbox();
  if (why) throw new Error(`sources e2e needs the GPIO sandbox: ${why}`);
  sb = await startGpioSandbox({ chips: [{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }] });
  d = await spawnDaemon({
    spawnFn: (c, a, o) => sb.spawn(c, a, o),
    config: {
      sources: [{ id: 'vdb', kind: 'videodb', path_secret: PATH_SECRET }],
      outputs: [{ id: 'siren', driver: 'gpio', pin: 22 }],
      rules: [{ id: 'cloud-intrusion', outputs: ['siren'], when: { event: { sources: ['vdb'], labels: ['intrusion'], min_confidence: 0.9 } }, action: 'pulse', pulse_s: 0.5 }],
    },
  });
}, 60_000);

afterAll(async () => {
  await d?.stop('SIGKILL');
  await sb?.stop();
});

const hook = (body: string, secret = PATH_SECRET) => fetch(`${d.ingestUrl}/hooks/vdb/${secret}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

describe('VideoDB "intrusion ≥ 0.9" → pulse the siren (real daemon, fake GPIO)', () => {
  it('a low-confidence verdict is stored but does not switch the siren', async () => {
    const r = await hook(alert('evt-low', 0.5));
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 300));
    expect(sb.writes().filter((w) => w.gpio === SIREN && w.file === 'value')).toEqual([]);
  });

  it('a confident verdict pulses the siren once; the platform retrying the same alert does not re-pulse', async () => {
    const r = await hook(alert('evt-high', 0.97));
    expect(r.status).toBe(200);
    await sb.waitFor(() => sb.rawLevel(SIREN) === 1, 2000); // active high: on
    await sb.waitFor(() => sb.rawLevel(SIREN) === 0, 3000);
    const again = await hook(alert('evt-high', 0.97));
    expect(again.status).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe('duplicate');
    await new Promise((res) => setTimeout(res, 300));
    expect(sb.writes().filter((w) => w.gpio === SIREN && w.file === 'value').map((w) => w.raw)).toEqual([1, 0]);
  });

  it('a wrong path secret is a 404 and changes nothing', async () => {
    expect((await hook(alert('evt-x', 0.99), 'wrong-secret-123')).status).toBe(404);
  });
});
