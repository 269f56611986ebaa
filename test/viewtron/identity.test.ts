import { describe, expect, it } from 'vitest';
import type { CameraConfig } from '../../src/config/schema.js';
import { camerasOfDevice, normalizeMac, resolveCamera } from '../../src/viewtron/index.js';

describe('normalizeMac', () => {
  it('accepts colon, dash, bare and any case', () => {
    expect(normalizeMac('58:5B:69:40:F4:0D')).toBe('58:5b:69:40:f4:0d');
    expect(normalizeMac('78-24-AF-44-89-01')).toBe('78:24:af:44:89:01');
    expect(normalizeMac(' 585b6940f40d ')).toBe('58:5b:69:40:f4:0d');
  });
  it('refuses anything else', () => {
    for (const bad of ['', '58:5b:69:40:f4', 'zz:5b:69:40:f4:0d', '58:5b:69:40:f4:0d:00', 'nonsense']) expect(normalizeMac(bad)).toBeUndefined();
    expect(normalizeMac(undefined)).toBeUndefined();
  });
});

const cameras: CameraConfig[] = [
  { id: 'gate', mac: '58:5B:69:5A:84:BB' },
  { id: 'yard', serial: 'I421B0Z1173Q' },
  { id: 'lobby', name: 'Lobby Cam' },
  { id: 'nvr-ch2', mac: '58-5b-69-40-f4-0d', nvr_channel: 2 },
  { id: 'nvr-whole', mac: '58:5b:69:40:f4:0d' },
];

describe('resolveCamera', () => {
  it('matches by MAC (any spelling), serial, then name', () => {
    expect(resolveCamera({ dialect: 'ipc', mac: '58:5b:69:5a:84:bb' }, cameras)).toEqual({ id: 'gate', known: true });
    expect(resolveCamera({ dialect: 'ipc', serial: 'i421b0z1173q' }, cameras)).toEqual({ id: 'yard', known: true });
    expect(resolveCamera({ dialect: 'ipc', name: 'lobby cam' }, cameras)).toEqual({ id: 'lobby', known: true });
  });

  it('NVR posts: channel-specific camera first, then the whole-NVR camera', () => {
    expect(resolveCamera({ dialect: 'nvr', mac: '58:5b:69:40:f4:0d', channel: 2 }, cameras)).toEqual({ id: 'nvr-ch2', known: true });
    expect(resolveCamera({ dialect: 'nvr', mac: '58:5b:69:40:f4:0d', channel: 3 }, cameras)).toEqual({ id: 'nvr-whole', known: true });
    expect(resolveCamera({ dialect: 'nvr', mac: '58:5b:69:40:f4:0d' }, cameras)).toEqual({ id: 'nvr-whole', known: true });
  });

  it('unknown devices get stable ids from MAC, else serial, else name, plus the channel', () => {
    expect(resolveCamera({ dialect: 'ipc', mac: '58:5b:69:5a:84:bc' }, cameras)).toEqual({ id: 'cam-585b695a84bc', known: false });
    expect(resolveCamera({ dialect: 'nvr', mac: '58:5b:69:5a:84:bc', channel: 2 }, cameras)).toEqual({ id: 'cam-585b695a84bc-ch2', known: false });
    expect(resolveCamera({ dialect: 'ipc', serial: 'NF40D099BCM0' }, cameras)).toEqual({ id: 'cam-nf40d099bcm0', known: false });
    expect(resolveCamera({ dialect: 'ipc', name: 'Front Door #2' }, cameras)).toEqual({ id: 'cam-front-door-2', known: false });
    expect(resolveCamera({ dialect: 'ipc' }, [])).toEqual({ id: 'cam-unknown', known: false });
  });

  it('generated ids satisfy the config id rule', () => {
    const idRule = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
    for (const d of [{ serial: '!!weird serial??' }, { name: 'x'.repeat(200) }, { mac: 'AA:BB:CC:DD:EE:FF' }]) {
      expect(resolveCamera({ dialect: 'nvr', channel: 16, ...d }, []).id).toMatch(idRule);
    }
  });

  it('devices without identity (E1 posts) are matched by source address, else get an address id', () => {
    const withHost: CameraConfig[] = [...cameras, { id: 'drive', mac: '11:22:33:44:55:66', host: '192.168.1.57' }];
    expect(resolveCamera({ dialect: 'ipc' }, withHost, '192.168.1.57')).toEqual({ id: 'drive', known: true });
    expect(resolveCamera({ dialect: 'ipc' }, withHost, '::ffff:192.168.1.57')).toEqual({ id: 'drive', known: true });
    expect(resolveCamera({ dialect: 'ipc' }, withHost, '192.168.1.58')).toEqual({ id: 'cam-ip-192-168-1-58', known: false });
    // identity in the body wins over the address
    expect(resolveCamera({ dialect: 'ipc', mac: '58:5b:69:5a:84:bb' }, withHost, '192.168.1.57')).toEqual({ id: 'gate', known: true });
  });

  it('camerasOfDevice lists every camera behind an NVR', () => {
    expect(camerasOfDevice({ dialect: 'nvr', mac: '58:5B:69:40:F4:0D' }, cameras).map((c) => c.id)).toEqual(['nvr-ch2', 'nvr-whole']);
  });
});
