import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CamEvent } from '../../src/core/event.js';
import { decodeImage, normalize, parseViewtron, ViewtronParseError, type NormalizeResult, type ViewtronMessage } from '../../src/viewtron/index.js';

/**
 * Conformance against the vendor example payloads shipped beside the project
 * (`../shared/fixtures/viewtron` from the repository root). They are read in
 * place, never copied. Expected values come from the fixtures README and the
 * protocol digest §7.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, '..', 'shared', 'fixtures', 'viewtron');
const present = existsSync(join(FIXTURES, 'examples'));
const RX = Date.parse('2026-04-01T12:00:00.000Z');

if (!present) {
  console.warn(`[viewtron conformance] fixtures folder not found at ${FIXTURES}: conformance checks are SKIPPED` + (process.env.CI === 'true' ? ' (CI=true: failing)' : ''));
}

interface Expectation {
  family: ViewtronMessage['family'];
  check: (m: ViewtronMessage, r: NormalizeResult, ev: CamEvent | undefined) => void;
}

function one(r: NormalizeResult): CamEvent {
  expect(r.events).toHaveLength(1);
  return r.events[0]!;
}

function target(ev: CamEvent, i = 0): Record<string, unknown> {
  return (ev.data.targets as Record<string, unknown>[])[i]!;
}

const EXPECTED: Record<string, Expectation> = {
  'ipc-v1x/alarm-status.xml': {
    family: 'alarm_status',
    check: (m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.status');
      expect(ev.data).toMatchObject({ field: 'vehiceAlarm', active: true, rule: '1', device: { mac: '58:5b:69:5a:84:bb', serial: 'I84BB0A8D59C', name: 'Viewtron IPC', ip: '192.168.1.57' } });
      // naive local 12:15:11 PM (noon), read in the site zone (UTC here)
      expect(ev.time).toBe('2025-11-19T12:15:11.000Z');
      expect(m.family === 'alarm_status' && m.dataTime).toBe('11-19-2025 12:15:11 PM');
    },
  },
  'ipc-v1x/face-detection.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.face');
      expect(ev.time).toBe('2024-11-19T19:40:34.584Z');
      expect(ev.data.device).toEqual({});
      expect(target(ev)).toMatchObject({ id: '15', class: 'person', box_raw: { x1: 4200, y1: 1500, x2: 5800, y2: 4200 } });
      expect(r.images.map((i) => i.kind)).toEqual(['overview', 'face']);
      expect(ev.data.face).toBeUndefined();
    },
  },
  'ipc-v1x/keepalive.xml': {
    family: 'keepalive',
    check: (m, r) => {
      expect(r.events).toEqual([]);
      expect(m).toEqual({ family: 'keepalive', device: { dialect: 'ipc', mac: '58:5b:69:5a:84:bb', serial: 'NF40D099BCM0', name: 'Device Name', ip: '192.168.1.192' } });
    },
  },
  'ipc-v1x/line-crossing.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.line_crossing');
      expect(ev.time).toBe('2019-07-19T09:21:46.584Z');
      expect(ev.data).toMatchObject({ event_id: '320', status: 'SMART_START', zone_raw: { kind: 'line', start: { x: 5000, y: 1000 }, end: { x: 5000, y: 9000 } } });
      expect(target(ev)).toMatchObject({ id: '30', class: 'person', box_raw: { x1: 3200, y1: 2100, x2: 4800, y2: 8500 } });
    },
  },
  'ipc-v1x/lpr.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.lpr');
      expect(ev.time).toBe('2024-11-19T19:40:34.584Z');
      expect(ev.data).toMatchObject({ plate: 'ABC1234', plate_list: 'whiteList', smart_type: 'VEHICE' });
      expect(ev.data.targets).toEqual([{ class: 'car' }]);
      expect(r.images.map((i) => i.kind)).toEqual(['overview', 'overview', 'plate']);
    },
  },
  'ipc-v1x/perimeter-intrusion.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.intrusion');
      expect(ev.time).toBe('2019-07-19T09:21:46.584Z');
      expect(ev.data).toMatchObject({ event_id: '220', status: 'SMART_START' });
      expect((ev.data.zone_raw as { points: unknown[] }).points).toHaveLength(4);
      expect(ev.data.targets).toEqual([{ id: '20', class: 'person', box: { x1: 0.0113, y1: 0, x2: 0.5511, y2: 0.8472 }, box_raw: { x1: 113, y1: 0, x2: 5511, y2: 8472 } }]);
    },
  },
  'ipc-v1x/video-metadata.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.metadata');
      expect(ev.time).toBe('2024-11-19T19:40:34.584Z');
      expect(ev.data.targets).toEqual([{ class: 'person' }]);
      expect(r.images.map((i) => i.kind)).toEqual(['overview', 'target']);
    },
  },
  'ipc-v1x/zone-entry.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.zone_entry');
      expect(target(ev)).toMatchObject({ id: '40', class: 'person', box_raw: { x1: 2000, y1: 3000, x2: 4000, y2: 8000 } });
    },
  },
  'ipc-v1x/zone-exit.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.zone_exit');
      expect(target(ev)).toMatchObject({ id: '45', class: 'car', box_raw: { x1: 6000, y1: 3000, x2: 8000, y2: 8000 } });
    },
  },
  'nvr-v2/alarm-status.xml': {
    family: 'alarm_status',
    check: (_m, r) => {
      // the two commented-out documents are not part of the post: exactly one event
      const ev = one(r);
      expect(ev.type).toBe('alarm.status');
      expect(ev.time).toBe('2026-02-25T22:01:54.000Z');
      expect(ev.data).toMatchObject({ field: 'perimeterAlarm', rule: '1', active: true, channel: 1, device: { mac: '58:5b:69:40:f4:0d', name: 'Device Name', ip: '192.168.0.60' } });
    },
  },
  'nvr-v2/face-detection.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.face');
      expect(ev.time).toBe('2026-02-27T17:17:22.929Z');
      expect(ev.data).toMatchObject({ channel: 1, device: { mac: '58:5b:69:12:f0:79', name: 'Office', ip: '192.168.0.50' } });
      expect(ev.data.face).toEqual({ age: 'middleAged', sex: 'male', glasses: 'unknown', mask: 'unknown' });
      // pixel-like rect: raw only
      expect(target(ev)).toEqual({ id: '50', class: 'person', box_raw: { x1: 854, y1: 176, x2: 978, y2: 300 } });
    },
  },
  'nvr-v2/keepalive.xml': {
    family: 'keepalive',
    check: (m, r) => {
      expect(r.events).toEqual([]);
      expect(m).toEqual({ family: 'keepalive', device: { dialect: 'nvr', mac: '58:5b:69:12:f0:79', name: 'Office', ip: '192.168.0.50' } });
    },
  },
  'nvr-v2/line-crossing.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.line_crossing');
      expect(ev.time).toBe('2026-02-25T22:04:50.604Z');
      expect(ev.data.zone_raw).toEqual({ kind: 'line', start: { x: 3579, y: 2550 }, end: { x: 3655, y: 9797 } });
      expect(target(ev)).toMatchObject({ id: '1309', class: 'person', box_raw: { x1: 3494, y1: 4409, x2: 4261, y2: 9791 } });
    },
  },
  'nvr-v2/region-intrusion.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.intrusion');
      expect(ev.time).toBe('2026-02-25T22:01:54.604Z');
      expect(ev.data.event_id).toBe('916');
      expect((ev.data.zone_raw as { points: unknown[] }).points).toHaveLength(4);
      expect(target(ev)).toMatchObject({ id: '716', class: 'person', box_raw: { x1: 3096, y1: 3715, x2: 4005, y2: 9861 } });
    },
  },
  'nvr-v2/target-counting-by-area.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.counting');
      expect(ev.time).toBe('2026-02-26T22:35:52.968Z');
      expect(target(ev)).toMatchObject({ id: '2204', class: 'person', box_raw: { x1: 4431, y1: 4409, x2: 4971, y2: 9791 } });
    },
  },
  'nvr-v2/target-counting-by-line.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.counting');
      expect(ev.time).toBe('2026-02-26T21:23:11.308Z');
      // all-zero event rect = no box
      expect(target(ev)).toEqual({ id: '480', class: 'person' });
    },
  },
  'nvr-v2/vehicle-lpr.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.lpr');
      expect(ev.time).toBe('2026-02-27T16:37:48.473Z');
      expect(ev.data).toMatchObject({ channel: 2, plate: 'JP116D', plate_color: 'white', vehicle: { type: 'mpv', color: 'white', brand: 'GMC', model: 'GMC_SAVANA' } });
      expect(ev.data.plate_list).toBeUndefined();
      expect(target(ev)).toMatchObject({ id: '104', class: 'car' });
    },
  },
  'nvr-v2/video-metadata.xml': {
    family: 'alarm_data',
    check: (_m, r) => {
      const ev = one(r);
      expect(ev.type).toBe('alarm.metadata');
      expect(ev.time).toBe('2026-02-26T22:39:38.273Z');
      expect(target(ev)).toMatchObject({ id: '2215', class: 'person', box_raw: { x1: 5284, y1: 4513, x2: 6079, y2: 9479 } });
    },
  },
};

function listXml(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listXml(p).map((f) => `${e.name}/${f}`));
    else if (e.name.endsWith('.xml')) out.push(e.name);
  }
  return out.sort();
}

describe('viewtron conformance with the vendor example payloads', () => {
  if (!present) {
    it('fixtures folder is present', () => {
      if (process.env.CI === 'true') throw new Error(`fixtures folder missing: ${FIXTURES}`);
      console.warn('[viewtron conformance] skipped: fixtures folder missing (not CI)');
    });
    return;
  }

  const files = listXml(join(FIXTURES, 'examples'));

  it('every example file has an expectation (and every expectation a file)', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of files) {
    it(file, () => {
      const exp = EXPECTED[file];
      expect(exp, `no expectation for ${file}`).toBeDefined();
      const msg = parseViewtron(readFileSync(join(FIXTURES, 'examples', file)), '/API');
      expect(msg.family).toBe(exp!.family);
      const r = normalize(msg, { receivedAt: RX, cameraId: 'cam-x', timezone: 'UTC' });
      for (const ev of r.events) expect(ev.id).toMatch(/^[0-9a-f]{32}$/);
      // vendor placeholders are not images: recorded as undecodable, the event stays
      for (const img of r.images) expect(decodeImage(img.base64)).toEqual({ ok: false, error: 'invalid_base64' });
      exp!.check(msg, r, r.events[0]);
    });
  }

  it('no control-side document (docs/) is taken for a push event', () => {
    const docs = listXml(join(FIXTURES, 'docs'));
    expect(docs.length).toBeGreaterThan(30);
    for (const file of docs) {
      let family: string;
      try {
        family = parseViewtron(readFileSync(join(FIXTURES, 'docs', file))).family;
      } catch (e) {
        if (!(e instanceof ViewtronParseError)) throw e;
        family = `error:${e.reason}`;
      }
      expect([file, family === 'unknown' || family.startsWith('error:')]).toEqual([file, true]);
    }
  });
});
