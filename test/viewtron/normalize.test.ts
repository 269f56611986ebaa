import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType } from '../../src/core/event.js';
import { normalize, parseViewtron, type NormalizeContext, type NormalizeResult } from '../../src/viewtron/index.js';
import {
  body,
  ipcAlarm,
  ipcAlarmStatus,
  ipcKeepaliveEmpty,
  ipcKeepaliveXml,
  ipcTraject,
  nvrAlarm,
  nvrAlarmStatus,
  nvrKeepalive,
  tinyJpegBase64,
} from '../builders/viewtron.js';

const RX = Date.parse('2026-03-29T14:00:00.000Z');
const ctx: NormalizeContext = { receivedAt: RX, cameraId: 'gate', timezone: 'America/New_York', sourceIp: '192.168.1.57' };

function run(xml: string | Buffer, c: NormalizeContext = ctx): NormalizeResult {
  return normalize(parseViewtron(typeof xml === 'string' ? body(xml) : xml), c);
}

function single(xml: string, c: NormalizeContext = ctx) {
  const r = run(xml, c);
  expect(r.events).toHaveLength(1);
  return { r, ev: r.events[0]! };
}

describe('event types', () => {
  const ipc: [Parameters<typeof ipcAlarm>[0], EventType][] = [
    [{ smartType: 'PEA' }, 'alarm.intrusion'],
    [{ smartType: 'PEA', pea: 'tripwire' }, 'alarm.line_crossing'],
    [{ smartType: 'AOIENTRY' }, 'alarm.zone_entry'],
    [{ smartType: 'AOILEAVE' }, 'alarm.zone_exit'],
    [{ smartType: 'LOITER' }, 'alarm.loitering'],
    [{ smartType: 'PVD' }, 'alarm.parking'],
    [{ smartType: 'VEHICE' }, 'alarm.lpr'],
    [{ smartType: 'VEHICLE' }, 'alarm.lpr'],
    [{ smartType: 'VFD' }, 'alarm.face'],
    [{ smartType: 'VFD_MATCH' }, 'alarm.face'],
    [{ smartType: 'VSD' }, 'alarm.metadata'],
    [{ smartType: 'PASSLINECOUNT' }, 'alarm.counting'],
    [{ smartType: 'TRAFFIC' }, 'alarm.counting'],
    [{ smartType: 'MOTION' }, 'alarm.motion'],
    [{ smartType: 'CDD' }, 'alarm.unknown'],
  ];
  for (const [opts, type] of ipc) {
    it(`IPC ${opts.smartType}${opts.pea ? '/' + opts.pea : ''} → ${type}`, () => {
      const { ev } = single(ipcAlarm(opts));
      expect(ev.type).toBe(type);
      expect(EVENT_TYPES).toContain(ev.type);
      expect(ev.data.smart_type).toBe(opts.smartType);
    });
  }
  const nvr: [string, EventType][] = [
    ['regionIntrusion', 'alarm.intrusion'],
    ['lineCrossing', 'alarm.line_crossing'],
    ['targetCountingByLine', 'alarm.counting'],
    ['targetCountingByArea', 'alarm.counting'],
    ['videoMetadata', 'alarm.metadata'],
    ['vehicle', 'alarm.lpr'],
    ['videoFaceDetect', 'alarm.face'],
    ['somethingNew', 'alarm.unknown'],
  ];
  for (const [smartType, type] of nvr) {
    it(`NVR ${smartType} → ${type}`, () => {
      const { ev } = single(nvrAlarm({ smartType, channel: 2 }));
      expect(ev.type).toBe(type);
      expect(ev.data.channel).toBe(2);
    });
  }

  it('keepalives and traject produce no events', () => {
    for (const xml of [ipcKeepaliveEmpty(), ipcKeepaliveXml(), nvrKeepalive(), ipcTraject()]) expect(run(xml).events).toEqual([]);
  });
});

describe('event content', () => {
  it('PEA: device time, status, event id, target with 0..1 box and raw box, images pending', () => {
    const { r, ev } = single(ipcAlarm({ smartType: 'PEA', style: 'E2', eventId: 220, targets: [{ id: 20, cls: 'person', rect: [113, 0, 5511, 8472] }], images: 'jpeg' }));
    expect(ev.camera).toBe('gate');
    expect(ev.time).toBe('2026-03-29T13:58:21.902Z');
    expect(r.timeSource).toBe('device');
    expect(r.deviceTime).toBe(Date.parse('2026-03-29T13:58:21.902Z'));
    expect(r.skewMs).toBe(Date.parse('2026-03-29T13:58:21.902Z') - RX);
    expect(ev.data).toMatchObject({
      camera: 'gate',
      received_at: '2026-03-29T14:00:00.000Z',
      time_source: 'device',
      device_time_raw: '1774792701902505',
      smart_type: 'PEA',
      status: 'SMART_START',
      event_id: '220',
      source_ip: '192.168.1.57',
      device: { mac: '58:5b:69:5a:84:bb', serial: 'I421B0Z1173Q', name: 'FaceCam' },
      targets: [{ id: '20', class: 'person', box: { x1: 0.0113, y1: 0, x2: 0.5511, y2: 0.8472 }, box_raw: { x1: 113, y1: 0, x2: 5511, y2: 8472 } }],
      images: [
        { kind: 'overview', valid: false, error: 'pending' },
        { kind: 'target', valid: false, error: 'pending' },
      ],
    });
    expect(r.images).toEqual([
      { eventId: ev.id, kind: 'overview', base64: tinyJpegBase64(64, 36), declaredWidth: 64, declaredHeight: 36 },
      { eventId: ev.id, kind: 'target', base64: tinyJpegBase64(16, 16), declaredWidth: 16, declaredHeight: 16 },
    ]);
  });

  it('IPC LPR: plate, list, class car', () => {
    const { ev } = single(ipcAlarm({ smartType: 'VEHICE', plate: 'ABC1234', plateList: 'whiteList', plateColor: 'yellow' }));
    expect(ev.data).toMatchObject({ plate: 'ABC1234', plate_list: 'whiteList', plate_color: 'yellow', targets: [{ class: 'car' }] });
  });

  it('NVR LPR: plate, groupName as list, vehicle, pixel rect kept raw only', () => {
    const { ev } = single(nvrAlarm({ smartType: 'vehicle', plate: 'JP116D', group: 'whiteList', channel: 2 }));
    expect(ev.data).toMatchObject({
      channel: 2,
      plate: 'JP116D',
      plate_list: 'whiteList',
      plate_color: 'white',
      vehicle: { type: 'mpv', color: 'white', brand: 'GMC', model: 'GMC_SAVANA' },
      targets: [{ id: '104', class: 'car', box_raw: { x1: 1104, y1: 546, x2: 1232, y2: 610 } }],
    });
    expect((ev.data.targets as Record<string, unknown>[])[0]).not.toHaveProperty('box');
  });

  it('NVR face attributes', () => {
    const { ev } = single(nvrAlarm({ smartType: 'videoFaceDetect' }));
    expect(ev.data.face).toEqual({ age: 'middleAged', sex: 'male', glasses: 'unknown', mask: 'unknown' });
  });

  it('an all-zero rect means no box', () => {
    const { ev } = single(nvrAlarm({ smartType: 'targetCountingByLine' }));
    expect(ev.data.targets).toEqual([{ id: '716', class: 'person' }]);
  });

  it('unknown smartType keeps the code', () => {
    const { ev } = single(ipcAlarm({ smartType: 'FALLING' }));
    expect([ev.type, ev.data.smart_type]).toEqual(['alarm.unknown', 'FALLING']);
  });

  it('placeholders in images still produce the event and a pending image (decoding happens later)', () => {
    const { r, ev } = single(ipcAlarm({ smartType: 'VFD', images: 'placeholder' }));
    expect(ev.type).toBe('alarm.face');
    expect(r.images.map((i) => i.base64)).toEqual(['BASE64_JPEG_OVERVIEW_IMAGE', 'BASE64_JPEG_FACE_CROP']);
  });
});

describe('time handling', () => {
  it('the 20-digit NVR time falls back to receive time and is flagged', () => {
    const { r, ev } = single(nvrAlarm({ smartType: 'vehicle', currentTimeUs: '18445822972087551616' }));
    expect(ev.time).toBe('2026-03-29T14:00:00.000Z');
    expect(ev.data).toMatchObject({ time_source: 'received', device_time_raw: '18445822972087551616', device_time_problem: 'unparsable' });
    expect([r.timeSource, r.deviceTime, r.skewMs]).toEqual(['received', null, null]);
  });

  it('an unset device clock (2001) falls back but still reports the skew', () => {
    const { r, ev } = single(ipcAlarm({ smartType: 'PEA', currentTimeUs: '1000000000000000' }));
    expect(ev.time).toBe('2026-03-29T14:00:00.000Z');
    expect(ev.data.device_time_problem).toBe('too_old');
    expect(r.skewMs).toBe(1000000000000 - RX);
    expect(r.deviceTime).toBeNull();
  });

  it('IPC status time comes from dataTime in the site zone', () => {
    const r = run(ipcAlarmStatus({ dataTime: '2026-03-29 09:58:21' }));
    expect(r.events[0]?.time).toBe('2026-03-29T13:58:21.000Z');
    expect(r.timeSource).toBe('device');
    const utc = run(ipcAlarmStatus({ dataTime: '2026-03-29 09:58:21' }), { ...ctx, timezone: 'UTC' });
    expect(utc.events[0]?.time).toBe('2026-03-29T09:58:21.000Z');
  });

  it('traject reports device time and skew without events', () => {
    const r = run(ipcTraject({ currentTimeUs: String((RX - 1500) * 1000) }));
    expect(r).toEqual({ events: [], images: [], deviceTime: RX - 1500, timeSource: 'device', skewMs: -1500 });
  });
});

describe('alarm status events', () => {
  it('one alarm.status per state with field, rule and active', () => {
    const r = run(ipcAlarmStatus({ fields: [{ field: 'perimeterAlarm', id: 1, active: true }, { field: 'tripwireAlarm', id: 2, active: false }] }));
    expect(r.events.map((e) => [e.type, e.data.field, e.data.rule, e.data.active])).toEqual([
      ['alarm.status', 'perimeterAlarm', '1', true],
      ['alarm.status', 'tripwireAlarm', '2', false],
    ]);
    expect(new Set(r.events.map((e) => e.id)).size).toBe(2);
  });

  it('NVR status carries the channel; legacy is marked', () => {
    expect(run(nvrAlarmStatus({ channel: 3 })).events[0]?.data).toMatchObject({ channel: 3, field: 'perimeterAlarm', rule: '1', active: true });
    expect(run(ipcAlarmStatus({ legacy: true })).events[0]?.data.legacy).toBe(true);
  });
});

describe('stable ids', () => {
  it('a repeated post yields the same id (32 hex), whatever the receive time', () => {
    const xml = nvrAlarm({ smartType: 'regionIntrusion' });
    const a = run(xml).events[0]!;
    const b = run(xml, { ...ctx, receivedAt: RX + 5000 }).events[0]!;
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(b.id).toBe(a.id);
  });

  it('different device time, channel, device, target, status or type give different ids', () => {
    const base = run(nvrAlarm({ smartType: 'regionIntrusion' })).events[0]!.id;
    const variants = [
      nvrAlarm({ smartType: 'regionIntrusion', currentTimeUs: '1772056914605000' }),
      nvrAlarm({ smartType: 'regionIntrusion', channel: 2 }),
      nvrAlarm({ smartType: 'regionIntrusion', mac: '58:5B:69:40:F4:0E' }),
      nvrAlarm({ smartType: 'regionIntrusion', eventId: 917 }),
      nvrAlarm({ smartType: 'lineCrossing' }),
    ].map((x) => run(x).events[0]!.id);
    expect(new Set([base, ...variants]).size).toBe(6);
  });

  it('E1 posts without identity are keyed by the resolved camera', () => {
    const xml = ipcAlarm({ smartType: 'PEA' });
    expect(run(xml, { ...ctx, cameraId: 'a' }).events[0]!.id).not.toBe(run(xml, { ...ctx, cameraId: 'b' }).events[0]!.id);
  });

  it('MAC case does not change the id', () => {
    const lower = run(nvrAlarm({ smartType: 'vehicle', macCase: 'lower' })).events[0]!.id;
    const upper = run(nvrAlarm({ smartType: 'vehicle', macCase: 'upper' })).events[0]!.id;
    expect(lower).toBe(upper);
  });
});
