import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { jpegSize } from '../../src/simulate/jpeg.js';
import { ipcPlan, nvrPlan, type PlannedPost, type PlanOptions } from '../../src/simulate/plan.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  isArray: (name) => name === 'item',
});

const base: PlanOptions = {
  seed: 42,
  scenario: 'mixed',
  rate: 7,
  images: 'jpeg',
  startMs: Date.UTC(2026, 2, 29, 13, 58, 0),
  keepaliveS: 30,
  alarmHoldS: 10,
  durationMs: 240_000,
};

const collect = (g: Generator<PlannedPost>) => [...g];
const asArr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const num = (v: unknown) => Number(typeof v === 'object' && v !== null ? (v as Record<string, unknown>)['#text'] : v);

function checkGridRect(r: Record<string, unknown>) {
  for (const k of ['x1', 'y1', 'x2', 'y2']) {
    const v = num(r[k]);
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(10000);
  }
  expect(num(r.x2)).toBeGreaterThanOrEqual(num(r.x1));
  expect(num(r.y2)).toBeGreaterThanOrEqual(num(r.y1));
}

function checkJpeg(b64: string, w: unknown, h: unknown) {
  const buf = Buffer.from(b64, 'base64');
  expect(buf.toString('base64')).toBe(b64); // valid base64, nothing lost
  expect(buf.subarray(0, 2).toString('hex')).toBe('ffd8');
  expect(buf.subarray(-2).toString('hex')).toBe('ffd9');
  const size = jpegSize(buf);
  expect(size).toEqual({ width: num(w), height: num(h) });
}

describe('IPC payloads (camera direct, httpPostV2)', () => {
  // several cameras so every alarm kind of the mixed scenario appears
  const posts = [1, 2, 3, 4, 5, 6].flatMap((i) => collect(ipcPlan(i, base)));
  const by = (kind: string, detail?: string) => posts.filter((p) => p.kind === kind && (detail === undefined || p.detail === detail));

  it('covers every IPC family the simulator claims', () => {
    expect(by('keepalive', 'empty').length).toBeGreaterThan(0);
    expect(by('keepalive', 'xml').length).toBeGreaterThan(0);
    expect(by('traject').length).toBeGreaterThan(100);
    expect(by('alarmStatus').length).toBeGreaterThan(0);
    for (const d of ['PEA', 'PEA/tripwire', 'VEHICE', 'VFD', 'LOITER']) expect(by('alarmData', d).length, d).toBeGreaterThan(0);
  });

  it('every non-empty body is well-formed XML', () => {
    for (const p of posts) {
      if (p.body === '') continue;
      expect(XMLValidator.validate(p.body), p.detail).toBe(true);
    }
  });

  it('keepalive: empty body (A) or <DeviceInfo> root with DeviceNo., SN, macAddress (B)', () => {
    for (const p of by('keepalive', 'empty')) expect(p.body).toBe('');
    for (const p of by('keepalive', 'xml')) {
      const d = parser.parse(p.body);
      expect(d.config).toBeUndefined();
      expect(d.DeviceInfo.DeviceName).toMatch(/^sim-cam-\d+$/);
      expect(d.DeviceInfo['DeviceNo.']).toBe('1');
      expect(d.DeviceInfo.SN).toMatch(/^SIMC\d{8}$/);
      expect(d.DeviceInfo.macAddress).toMatch(/^58:5b:69:00:[0-9a-f]{2}:[0-9a-f]{2}$/);
    }
  });

  it('traject (F): config 1.7, traject type=list with matching count, no smartType, identity, grid rects, string classes', () => {
    // every 7th post: parsing thousands of bodies adds nothing but time
    for (const p of by('traject').filter((_, i) => i % 7 === 0)) {
      const c = parser.parse(p.body).config;
      expect(c['@_version']).toBe('1.7');
      expect(c['@_xmlns']).toBe('http://www.ipc.com/ver10');
      expect(c.smartType).toBeUndefined();
      expect(c.subscribeOption['#text']).toBe('FEATURE_RESULT');
      expect(c.currentTime['#text']).toMatch(/^\d{16}$/);
      expect(c.mac['#text']).toMatch(/^58:5b:69:/);
      expect(c.traject['@_type']).toBe('list');
      const items = asArr(c.traject.item);
      expect(Number(c.traject['@_count'])).toBe(items.length);
      expect(items.length).toBeGreaterThan(0);
      for (const it of items) {
        expect(it.targetId['#text']).toMatch(/^\d+$/);
        expect(['person', 'car', 'motor']).toContain(it.targetType['#text']);
        expect(it.trajectlength['@_count']).toBe('0');
        checkGridRect(it.rect);
      }
      expect(p.body).toContain('<traject type="list"'); // the substring the vendor SDK routes on
    }
  });

  it('alarm status (C): alarmStatusInfo/<field> type=boolean id=1, dataTime in one of the two layouts, deviceInfo with deviceNo.', () => {
    for (const p of by('alarmStatus')) {
      const c = parser.parse(p.body).config;
      const [field, node] = Object.entries(c.alarmStatusInfo)[0] as [string, Record<string, string>];
      expect(['perimeterAlarm', 'tripwireAlarm', 'vehiceAlarm', 'VFDAlarm']).toContain(field);
      expect(node['@_type']).toBe('boolean');
      expect(node['@_id']).toBe('1');
      expect(['true', 'false']).toContain(node['#text']);
      expect(c.dataTime).toMatch(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\d\d-\d\d-\d{4} \d\d:\d\d:\d\d [AP]M)$/);
      expect(c.deviceInfo['deviceNo.']).toBe('1');
      expect(c.deviceInfo.sn).toMatch(/^SIMC/);
    }
  });

  it('alarm status goes on before it goes off, per camera and field', () => {
    const state = new Map<string, boolean>();
    for (const p of posts.filter((x) => x.kind === 'alarmStatus')) {
      const [field, on] = p.detail.split('=');
      const key = `${p.camera}/${field}`;
      const want = on === 'true';
      expect(state.get(key) ?? false, key).toBe(!want);
      state.set(key, want);
    }
  });

  it('PEA intrusion (E): smartType PEA, perimeter/perInfo with boundary and status, overview + crop with capitalised Width/Height', () => {
    for (const p of by('alarmData', 'PEA')) {
      const c = parser.parse(p.body).config;
      expect(c.smartType['#text']).toBe('PEA');
      expect(c.smartType['@_type']).toBe('openAlramObj');
      const item = c.perimeter.perInfo.item[0];
      expect(['SMART_START', 'SMART_PROCEDURE']).toContain(item.status['#text']);
      expect(Number(item.boundary['@_count'])).toBe(item.boundary.item.length);
      checkGridRect(item.rect);
      checkJpeg(c.sourceDataInfo.sourceBase64Data['#text'], c.sourceDataInfo.width, c.sourceDataInfo.height);
      const li = c.listInfo.item[0];
      expect(li.targetId['#text']).toBe(item.targetId['#text']);
      expect(['1', '4']).toContain(li.targetImageData.targetType['#text']);
      checkJpeg(li.targetImageData.targetBase64Data['#text'], li.targetImageData.Width, li.targetImageData.Height);
      expect(Number(li.targetImageData.targetBase64Length['#text'])).toBe(li.targetImageData.targetBase64Data['#text'].length);
    }
  });

  it('PEA tripwire: tripwire/tripInfo with line/startPoint and endPoint', () => {
    for (const p of by('alarmData', 'PEA/tripwire')) {
      const c = parser.parse(p.body).config;
      expect(c.smartType['#text']).toBe('PEA');
      const item = c.tripwire.tripInfo.item[0];
      expect(item.line.startPoint.x['#text']).toBe('5000');
      expect(item.line.endPoint.y['#text']).toBe('9000');
    }
  });

  it('VEHICE (LPR): listInfo count=2, item[0] overview only, item[1] plate (text kept) + list + plate crop', () => {
    const plates: string[] = [];
    for (const p of by('alarmData', 'VEHICE')) {
      const c = parser.parse(p.body).config;
      expect(c.smartType['#text']).toBe('VEHICE');
      expect(c.listInfo['@_count']).toBe('2');
      const [overview, plate] = c.listInfo.item;
      expect(overview.plateNumber).toBeUndefined();
      expect(overview.targetImageData.targetType['#text']).toBe('2');
      expect(plate.plateNumber['#text']).toMatch(/^[0-9A-Z]{6,7}$/);
      plates.push(plate.plateNumber['#text']);
      if (plate.vehicleListType) expect(['whiteList', 'blackList', 'temporaryList']).toContain(plate.vehicleListType['#text']);
      checkJpeg(plate.targetImageData.targetBase64Data['#text'], plate.targetImageData.Width, plate.targetImageData.Height);
      expect(num(plate.targetImageData.Width)).toBe(150);
    }
    expect(plates.length).toBeGreaterThan(0);
  });

  it('VFD face and LOITER have their shapes', () => {
    for (const p of by('alarmData', 'VFD')) {
      const c = parser.parse(p.body).config;
      expect(c.smartType['#text']).toBe('VFD');
      expect(num(c.listInfo.item[0].targetImageData.Width)).toBe(200);
    }
    for (const p of by('alarmData', 'LOITER')) {
      const c = parser.parse(p.body).config;
      expect(c.smartType['#text']).toBe('LOITER');
      expect(c.perimeter.perInfo.item[0].boundary.item.length).toBe(4);
      expect(c.listInfo['@_type']).toBeUndefined(); // as on the vendor's LOITER page
    }
  });

  it('images none: smartData without sourceDataInfo or targetImageData; placeholder: vendor placeholders', () => {
    const none = collect(ipcPlan(1, { ...base, images: 'none', scenario: 'walk', durationMs: 30_000 })).filter((p) => p.kind === 'alarmData');
    expect(none.length).toBeGreaterThan(0);
    for (const p of none) {
      expect(p.body).not.toContain('sourceDataInfo');
      expect(p.body).not.toContain('targetImageData');
    }
    const ph = collect(ipcPlan(1, { ...base, images: 'placeholder', scenario: 'walk', durationMs: 30_000 })).filter((p) => p.kind === 'alarmData');
    expect(ph[0]!.body).toContain('BASE64_JPEG_OVERVIEW_IMAGE');
  });
});

describe('NVR v2.0 payloads', () => {
  const posts = collect(nvrPlan(6, base));
  const by = (kind: string, detail?: string) => posts.filter((p) => p.kind === kind && (detail === undefined || p.detail === detail));

  it('covers keepalive, alarmStatus and every alarmData structure; never traject', () => {
    expect(by('traject')).toHaveLength(0);
    expect(by('keepalive').length).toBeGreaterThanOrEqual(24);
    expect(by('alarmStatus').length).toBeGreaterThan(0);
    for (const d of ['regionIntrusion', 'lineCrossing', 'vehicle', 'videoFaceDetect']) expect(by('alarmData', d).length, d).toBeGreaterThan(0);
  });

  it('all bodies: config version 2.0.0, namespace, messageType, uppercase NVR MAC, no type attributes', () => {
    for (const p of posts) {
      expect(XMLValidator.validate(p.body)).toBe(true);
      const c = parser.parse(p.body).config;
      expect(c['@_version']).toBe('2.0.0');
      expect(c['@_xmlns']).toBe('http://www.ipc.com/ver10');
      expect(c.messageType).toBe(p.kind);
      expect(c.deviceInfo.mac).toMatch(/^58:5B:69:F0:00:01$/);
      expect(p.body).not.toContain(' type="');
    }
  });

  it('keepalive has no channelId; alarm posts carry the channel', () => {
    for (const p of by('keepalive')) expect(parser.parse(p.body).config.deviceInfo.channelId).toBeUndefined();
    for (const p of [...by('alarmStatus'), ...by('alarmData')]) expect(parser.parse(p.body).config.deviceInfo.channelId).toBe(String(p.camera));
  });

  it('alarmStatus: <field><item id=rule>true|false</item>, whole-second µs currentTime', () => {
    for (const p of by('alarmStatus')) {
      const c = parser.parse(p.body).config;
      const [field, node] = Object.entries(c.alarmStatusInfo)[0] as [string, { item: { '@_id': string; '#text': string }[] }];
      expect(['perimeterAlarm', 'vfdAlarm']).toContain(field);
      expect(node.item[0]!['@_id']).toBe('1');
      expect(['true', 'false']).toContain(node.item[0]!['#text']);
      expect(c.currentTime).toMatch(/^\d{10}000000$/);
    }
  });

  it('regionIntrusion/lineCrossing: eventInfo (area pointGroup or tripwire directionLine) + sourceDataInfo + targetListInfo with string class', () => {
    for (const p of [...by('alarmData', 'regionIntrusion'), ...by('alarmData', 'lineCrossing')]) {
      const c = parser.parse(p.body).config;
      expect(c.smartType).toBe(p.detail);
      const ev = c.eventInfo.item[0];
      if (p.detail === 'regionIntrusion') {
        expect(ev.boundary).toBe('area');
        expect(ev.pointGroup.item.length).toBe(4);
      } else {
        expect(ev.boundary).toBe('tripwire');
        expect(ev.directionLine.startPoint.x).toBe('5000');
      }
      expect(ev.status).toBeUndefined();
      const t = c.targetListInfo.item[0];
      expect(t.targetId).toBe(ev.targetId);
      expect(['person', 'motor']).toContain(t.targetType);
      checkJpeg(t.targetImageData.targetBase64Data, t.targetImageData.width, t.targetImageData.height);
      checkJpeg(c.sourceDataInfo.sourceBase64Data, c.sourceDataInfo.width, c.sourceDataInfo.height);
    }
  });

  it('vehicle: licensePlateListInfo with plate, car attributes and plate crop; no eventInfo/targetListInfo; overview 0x0', () => {
    for (const p of by('alarmData', 'vehicle')) {
      const c = parser.parse(p.body).config;
      expect(c.eventInfo).toBeUndefined();
      expect(c.targetListInfo).toBeUndefined();
      expect(c.sourceDataInfo.width).toBe('0');
      const it = c.licensePlateListInfo.item[0];
      expect(it.licensePlateAttribute.licensePlateNumber).toMatch(/^[0-9A-Z]{6,7}$/);
      expect(it.carAttribute.brand).toBeTruthy();
      expect(it.targetImageData.width).toBe('128');
    }
  });

  it('videoFaceDetect: faceListInfo with age/sex/glasses/mask and a 184x184 crop', () => {
    for (const p of by('alarmData', 'videoFaceDetect')) {
      const it = parser.parse(p.body).config.faceListInfo.item[0];
      expect(it.age).toBeTruthy();
      expect(['male', 'female', 'unknown']).toContain(it.sex);
      checkJpeg(it.targetImageData.targetBase64Data, it.targetImageData.width, it.targetImageData.height);
      expect(it.targetImageData.width).toBe('184');
    }
  });

  it('images none: targetListInfo is still present (the class is always available)', () => {
    const ps = collect(nvrPlan(2, { ...base, images: 'none', scenario: 'walk', durationMs: 30_000 })).filter((p) => p.kind === 'alarmData');
    expect(ps.length).toBeGreaterThan(0);
    for (const p of ps) {
      const c = parser.parse(p.body).config;
      expect(c.targetListInfo.item[0].targetType).toBeTruthy();
      expect(c.sourceDataInfo).toBeUndefined();
    }
  });
});
