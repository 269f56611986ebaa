import { describe, expect, it } from 'vitest';
import { parseViewtron, ViewtronParseError, type AlarmDataMessage, type ViewtronMessage } from '../../src/viewtron/index.js';
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

function parse(xml: string | Buffer, path?: string): ViewtronMessage {
  return parseViewtron(typeof xml === 'string' ? body(xml) : xml, path);
}

function alarm(xml: string): AlarmDataMessage {
  const m = parse(xml);
  if (m.family !== 'alarm_data') throw new Error(`expected alarm_data, got ${m.family}`);
  return m;
}

function parseError(xml: string | Buffer): ViewtronParseError {
  try {
    parse(xml);
  } catch (e) {
    if (e instanceof ViewtronParseError) return e;
    throw e;
  }
  throw new Error('expected a ViewtronParseError');
}

describe('keepalives (A, B, G)', () => {
  it('empty and whitespace-only bodies are IPC keepalives', () => {
    expect(parse(ipcKeepaliveEmpty())).toEqual({ family: 'keepalive', device: { dialect: 'ipc' } });
    expect(parse(Buffer.from(' \r\n'))).toEqual({ family: 'keepalive', device: { dialect: 'ipc' } });
  });

  it('<DeviceInfo> keepalive with upper-case MAC, with and without declaration', () => {
    for (const declaration of [true, false]) {
      const m = parse(ipcKeepaliveXml({ macCase: 'upper', declaration, serial: 'NF40D099BCM0', name: 'Gate', ip: '10.0.0.9' }));
      expect(m).toEqual({
        family: 'keepalive',
        device: { dialect: 'ipc', mac: '58:5b:69:5a:84:bb', serial: 'NF40D099BCM0', name: 'Gate', ip: '10.0.0.9' },
      });
    }
  });

  it('NVR keepalive has no channel', () => {
    const m = parse(nvrKeepalive({ name: 'Office', mac: '58:5B:69:12:F0:79', ip: '192.168.0.50' }));
    expect(m).toEqual({ family: 'keepalive', device: { dialect: 'nvr', mac: '58:5b:69:12:f0:79', name: 'Office', ip: '192.168.0.50' } });
  });
});

describe('alarm status (C, D, H)', () => {
  it('IPC status: field, rule id, on/off, dataTime, identity', () => {
    const m = parse(ipcAlarmStatus({ fields: [{ field: 'vehiceAlarm', id: 1, active: true }, { field: 'tripwireAlarm', id: 2, active: false }], dataTime: '11-19-2025 12:15:11 PM' }));
    expect(m).toMatchObject({
      family: 'alarm_status',
      legacy: false,
      dataTime: '11-19-2025 12:15:11 PM',
      device: { dialect: 'ipc', mac: '58:5b:69:5a:84:bb', serial: 'I84BB0A8D59C', name: 'Viewtron IPC', ip: '192.168.1.57' },
      states: [
        { field: 'vehiceAlarm', id: '1', active: true },
        { field: 'tripwireAlarm', id: '2', active: false },
      ],
    });
  });

  it('legacy v1.0 status (dashed MAC, no declaration) is marked legacy; the path alone also marks it', () => {
    const m = parse(ipcAlarmStatus({ legacy: true, field: 'motionAlarm' }));
    expect(m).toMatchObject({ family: 'alarm_status', legacy: true, dataTime: '2017-06-20 10:30:21', device: { mac: '58:5b:69:5a:84:bb' } });
    const viaPath = parse(ipcAlarmStatus({}), '/SendAlarmStatus');
    expect(viaPath).toMatchObject({ family: 'alarm_status', legacy: true });
    expect(parse(ipcAlarmStatus({}), '/API')).toMatchObject({ family: 'alarm_status', legacy: false });
  });

  it('repeated sibling status elements each count', () => {
    const xml = ipcAlarmStatus({ fields: [{ field: 'motionAlarm', id: 1, active: true }, { field: 'motionAlarm', id: 2, active: false }] });
    const m = parse(xml);
    expect(m.family === 'alarm_status' && m.states).toEqual([
      { field: 'motionAlarm', id: '1', active: true },
      { field: 'motionAlarm', id: '2', active: false },
    ]);
  });

  it('NVR status: value in <item id>, channel, currentTime', () => {
    const m = parse(nvrAlarmStatus({ field: 'passlineAlarm', id: 3, active: false, channel: 4 }));
    expect(m).toEqual({
      family: 'alarm_status',
      legacy: false,
      currentTime: '1772056914000000',
      device: { dialect: 'nvr', mac: '58:5b:69:40:f4:0d', name: 'Device Name', ip: '192.168.0.60', channel: 4 },
      states: [{ field: 'passlineAlarm', id: '3', active: false }],
    });
  });

  it('a GetAlarmStatus-style response (alarmStatusInfo without deviceInfo/dataTime) is unknown, not a status post', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><alarmStatusInfo><motionAlarm type="boolean" id="1">false</motionAlarm></alarmStatusInfo></config>`;
    expect(parse(xml)).toMatchObject({ family: 'unknown', reason: 'unknown_shape' });
  });
});

describe('IPC traject (F)', () => {
  it('targets with string classes and grid rects, identity and µs time', () => {
    const m = parse(ipcTraject({ targets: [{ id: 1, cls: 'person', rect: [1, 2, 3, 4] }, { id: 2, cls: 'car', rect: [10, 20, 30, 40] }, { id: 3, cls: 'motor' }] }));
    expect(m).toEqual({
      family: 'traject',
      currentTime: '1774792701902505',
      device: { dialect: 'ipc', mac: '58:5b:69:5a:84:bb', serial: 'I421B0Z1173Q', name: 'FaceCam' },
      targets: [
        { id: '1', cls: 'person', rect: [1, 2, 3, 4] },
        { id: '2', cls: 'car', rect: [10, 20, 30, 40] },
        { id: '3', cls: 'motor', rect: [1000, 1000, 2000, 4000] },
      ],
    });
  });

  it('recognised whatever the attribute order of the list', () => {
    expect(parse(ipcTraject({ countFirst: true })).family).toBe('traject');
  });

  it('an empty traject list gives no targets', () => {
    expect(parse(ipcTraject({ targets: [] }))).toMatchObject({ family: 'traject', targets: [] });
  });
});

describe('IPC alarm data (E) for every smartType', () => {
  const cases: [string, AlarmDataMessage['kind']][] = [
    ['VEHICE', 'lpr'],
    ['VEHICLE', 'lpr'],
    ['VFD', 'face'],
    ['VFD_MATCH', 'face'],
    ['AOIENTRY', 'zone_entry'],
    ['AOILEAVE', 'zone_exit'],
    ['LOITER', 'loitering'],
    ['PVD', 'parking'],
    ['VSD', 'metadata'],
    ['PASSLINECOUNT', 'counting'],
    ['TRAFFIC', 'counting'],
    ['MOTION', 'motion'],
    ['OSC', 'unknown'],
  ];
  for (const style of ['E1', 'E2', 'E3'] as const) {
    for (const [smartType, kind] of cases) {
      it(`${style} ${smartType} → ${kind}`, () => {
        const m = alarm(ipcAlarm({ smartType, style }));
        expect(m.smartType).toBe(smartType);
        expect(m.kind).toBe(kind);
        expect(m.header).toBe(style);
        expect(m.currentTime).toBe('1774792701902505');
        if (style === 'E2') {
          expect(m.device).toEqual({ dialect: 'ipc', mac: '58:5b:69:5a:84:bb', serial: 'I421B0Z1173Q', name: 'FaceCam' });
          expect(m.relativeTime).toBe('167998902412');
        } else {
          expect(m.device).toEqual({ dialect: 'ipc' });
        }
        expect(m.targets.length).toBeGreaterThan(0);
      });
    }
  }

  it('PEA perimeter → intrusion with zone polygon, status and one merged target', () => {
    const m = alarm(ipcAlarm({ smartType: 'PEA', targets: [{ id: 20, cls: 'person', rect: [113, 0, 5511, 8472] }], eventId: 220 }));
    expect(m.kind).toBe('intrusion');
    expect(m.events).toEqual([
      {
        eventId: '220',
        targetId: '20',
        status: 'SMART_START',
        rect: [113, 0, 5511, 8472],
        zone: { kind: 'area', points: [{ x: 1625, y: 2133 }, { x: 1725, y: 8800 }, { x: 7900, y: 8900 }, { x: 7800, y: 2200 }] },
      },
    ]);
    expect(m.targets).toEqual([{ id: '20', cls: 'person', rect: [113, 0, 5511, 8472], rectOnGrid: true }]);
    expect(m.images.map((i) => i.kind)).toEqual(['overview', 'target']);
  });

  for (const lineShape of ['line', 'bare', 'lineInfo'] as const) {
    it(`PEA tripwire (${lineShape} shape) → line_crossing with the line`, () => {
      const m = alarm(ipcAlarm({ smartType: 'PEA', pea: 'tripwire', lineShape, status: 'SMART_STOP', targets: [{ id: 30, cls: 'person', rect: [3200, 2100, 4800, 8500] }] }));
      expect(m.kind).toBe('line_crossing');
      expect(m.events[0]).toMatchObject({ status: 'SMART_STOP', targetId: '30', zone: { kind: 'line', start: { x: 5000, y: 1000 }, end: { x: 5000, y: 9000 } } });
    });
  }

  it('E1 and E2 headers parse the same event content (swapped subscribeRelation/subscribeOption)', () => {
    const e1 = alarm(ipcAlarm({ smartType: 'PEA', style: 'E1' }));
    const e2 = alarm(ipcAlarm({ smartType: 'PEA', style: 'E2' }));
    expect(e2.events).toEqual(e1.events);
    expect(e2.targets).toEqual(e1.targets);
  });

  it('LPR: plate exactly as sent (leading zeros), list, plate crop; item[0] is the overview, not a target', () => {
    const m = alarm(ipcAlarm({ smartType: 'VEHICE', plate: '0123', plateList: 'blackList', plateColor: 'blue' }));
    expect(m.plates).toEqual([{ number: '0123', list: 'blackList', color: 'blue' }]);
    expect(m.targets).toEqual([{ cls: 'car', rectOnGrid: true }]);
    expect(m.images.map((i) => i.kind)).toEqual(['overview', 'overview', 'plate']);
  });

  it('LPR without vehicleListType has no list', () => {
    const m = alarm(ipcAlarm({ smartType: 'VEHICLE' }));
    expect(m.plates[0]).toEqual({ number: 'ABC1234' });
  });

  it('VFD crops are face images; numeric classes become names', () => {
    const m = alarm(ipcAlarm({ smartType: 'VFD', targets: [{ id: 15, cls: 'person', rect: [4200, 1500, 5800, 4200] }] }));
    expect(m.images.map((i) => [i.kind, i.targetId])).toEqual([['overview', undefined], ['face', '15']]);
    const z = alarm(ipcAlarm({ smartType: 'AOILEAVE', targets: [{ id: 45, cls: 'car' }, { id: 46, cls: 'motor' }] }));
    expect(z.targets.map((t) => t.cls)).toEqual(['car', 'motor']);
  });

  it('VSD images inside <vsd>', () => {
    const m = alarm(ipcAlarm({ smartType: 'VSD' }));
    expect(m.images.map((i) => i.kind)).toEqual(['overview', 'target']);
    expect(m.targets).toEqual([{ cls: 'person', rectOnGrid: true }]);
  });

  it('no images when none are sent; declared dimensions are kept', () => {
    expect(alarm(ipcAlarm({ smartType: 'PEA', images: 'none' })).images).toEqual([]);
    const withJpeg = alarm(ipcAlarm({ smartType: 'AOIENTRY', images: 'jpeg' }));
    expect(withJpeg.images[1]).toMatchObject({ kind: 'target', width: 16, height: 16 });
  });

  it('empty smartType is a 400 empty_smart_type', () => {
    const e = parseError(ipcAlarm({ smartType: '' }));
    expect([e.status, e.reason]).toEqual([400, 'empty_smart_type']);
  });

  it('placeholder numbers (`...`) drop the rect but keep the event', () => {
    const xml = ipcAlarm({ smartType: 'PEA' }).replaceAll('<x1 type="uint32">113</x1>', '<x1>...</x1>');
    const m = alarm(xml);
    expect(m.events[0]?.rect).toBeUndefined();
    expect(m.events[0]?.eventId).toBe('220');
  });
});

describe('NVR alarm data (I) for every smartType', () => {
  const cases: [string, AlarmDataMessage['kind']][] = [
    ['regionIntrusion', 'intrusion'],
    ['lineCrossing', 'line_crossing'],
    ['targetCountingByLine', 'counting'],
    ['targetCountingByArea', 'counting'],
    ['videoMetadata', 'metadata'],
    ['vehicle', 'lpr'],
    ['videoFaceDetect', 'face'],
    ['sceneChange', 'unknown'],
  ];
  for (const [smartType, kind] of cases) {
    it(`${smartType} → ${kind}`, () => {
      const m = alarm(nvrAlarm({ smartType, channel: 3 }));
      expect(m).toMatchObject({ smartType, kind, header: 'nvr', currentTime: '1772056914604000' });
      expect(m.device).toEqual({ dialect: 'nvr', mac: '58:5b:69:40:f4:0d', name: 'Device Name', ip: '192.168.0.60', channel: 3 });
      expect(m.targets.length).toBeGreaterThan(0);
    });
  }

  it('eventInfo + targetListInfo: class from the list, box from the event, area zone', () => {
    const m = alarm(nvrAlarm({ smartType: 'regionIntrusion', targets: [{ id: 716, cls: 'car', rect: [3096, 3715, 4005, 9861] }] }));
    expect(m.targets).toEqual([{ id: '716', cls: 'car', rect: [3096, 3715, 4005, 9861], rectOnGrid: true }]);
    expect(m.events[0]?.zone?.kind).toBe('area');
  });

  it('lineCrossing has a line zone; counting by line has an all-zero rect', () => {
    expect(alarm(nvrAlarm({ smartType: 'lineCrossing' })).events[0]?.zone).toEqual({ kind: 'line', start: { x: 3579, y: 2550 }, end: { x: 3655, y: 9797 } });
    expect(alarm(nvrAlarm({ smartType: 'targetCountingByLine' })).targets[0]?.rect).toEqual([0, 0, 0, 0]);
  });

  it('a post without targetListInfo still yields the target from eventInfo', () => {
    const m = alarm(nvrAlarm({ smartType: 'regionIntrusion', noTargetList: true }));
    expect(m.targets).toEqual([{ id: '716', cls: 'unknown', rect: [3096, 3715, 4005, 9861], rectOnGrid: true }]);
  });

  it('vehicle: plate, colour, group, car attributes, pixel rect, 0×0 overview', () => {
    const m = alarm(nvrAlarm({ smartType: 'vehicle', plate: 'JP116D', group: 'whiteList', channel: 2 }));
    expect(m.device.channel).toBe(2);
    expect(m.plates).toEqual([
      { number: 'JP116D', targetId: '104', color: 'white', list: 'whiteList', vehicle: { type: 'mpv', color: 'white', brand: 'GMC', model: 'GMC_SAVANA' } },
    ]);
    expect(m.targets).toEqual([{ id: '104', cls: 'car', rect: [1104, 546, 1232, 610], rectOnGrid: false }]);
    expect(m.images[0]).toMatchObject({ kind: 'overview' });
    expect(m.images[0]?.width).toBeUndefined();
    expect(m.images[1]).toMatchObject({ kind: 'plate', width: 24, height: 8 });
  });

  it('vehicle without channelId (Node-RED claim) parses with no channel', () => {
    expect(alarm(nvrAlarm({ smartType: 'vehicle', channel: null })).device.channel).toBeUndefined();
  });

  it('videoFaceDetect: attributes as open strings', () => {
    const m = alarm(nvrAlarm({ smartType: 'videoFaceDetect', face: { age: 'child', sex: 'female', glasses: 'yes', mask: 'no' } }));
    expect(m.faces).toEqual([{ targetId: '50', age: 'child', sex: 'female', glasses: 'yes', mask: 'no' }]);
    expect(m.targets[0]).toMatchObject({ cls: 'person', rectOnGrid: false });
  });

  it('unknown messageType is unknown; alarmData without smartType is 400', () => {
    const xml = nvrKeepalive().replace('<messageType>keepalive</messageType>', '<messageType>heartbeat2</messageType>');
    expect(parse(xml)).toMatchObject({ family: 'unknown', reason: 'unknown_message_type', detail: 'heartbeat2' });
    const noType = nvrAlarm({ smartType: 'vehicle' }).replace('<smartType>vehicle</smartType>', '');
    expect(parseError(noType).reason).toBe('empty_smart_type');
  });
});

describe('malformed, hostile and unknown input', () => {
  it('truncated XML is 400 malformed_xml', () => {
    const xml = ipcTraject();
    const e = parseError(xml.slice(0, xml.length / 2));
    expect([e.status, e.reason]).toEqual([400, 'malformed_xml']);
  });

  it('DOCTYPE / ENTITY are refused before parsing', () => {
    const e = parseError('<?xml version="1.0"?><!DOCTYPE config [<!ENTITY x "aaaa">]><config>&x;</config>');
    expect([e.status, e.reason]).toEqual([400, 'doctype']);
  });

  it('non-UTF-8 bytes and other declared encodings are 415', () => {
    const latin1 = Buffer.from(ipcKeepaliveXml({ name: 'Caf\u00e9' }), 'latin1');
    expect([parseError(latin1).status, parseError(latin1).reason]).toEqual([415, 'not_utf8']);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ipcKeepaliveXml(), 'utf16le')]);
    expect(parseError(utf16).reason).toBe('not_utf8');
    const declared = ipcKeepaliveXml().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    expect([parseError(declared).status, parseError(declared).reason]).toEqual([415, 'unsupported_encoding']);
  });

  it('a UTF-8 BOM is accepted', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body(nvrKeepalive())]);
    expect(parse(withBom)).toMatchObject({ family: 'keepalive', device: { dialect: 'nvr' } });
  });

  it('an NVR relaying the IPC code PEA is still classified', () => {
    expect(alarm(nvrAlarm({ smartType: 'PEA' })).kind).toBe('intrusion');
    const line = nvrAlarm({ smartType: 'lineCrossing' }).replace('<smartType>lineCrossing</smartType>', '<smartType>PEA</smartType>');
    expect(alarm(line).kind).toBe('line_crossing');
  });

  it('non-ASCII UTF-8 names survive', () => {
    expect(parse(ipcKeepaliveXml({ name: 'Caf\u00e9 \u2192 Tor' }))).toMatchObject({ device: { name: 'Caf\u00e9 \u2192 Tor' } });
  });

  it('valid XML of an unknown root or shape is family unknown', () => {
    expect(parse('<foo><bar>1</bar></foo>')).toEqual({ family: 'unknown', reason: 'unknown_root', detail: 'foo' });
    expect(parse('<config version="1.0"><status>success</status></config>')).toMatchObject({ family: 'unknown', reason: 'unknown_shape' });
    expect(parse('<config/>')).toMatchObject({ family: 'unknown' });
  });

  it('namespace prefixes are stripped', () => {
    const xml = '<v:config xmlns:v="http://www.ipc.com/ver10" version="2.0.0"><v:messageType>keepalive</v:messageType><v:deviceInfo><v:mac>AA:BB:CC:DD:EE:FF</v:mac></v:deviceInfo></v:config>';
    expect(parse(xml)).toEqual({ family: 'keepalive', device: { dialect: 'nvr', mac: 'aa:bb:cc:dd:ee:ff' } });
  });

  it('entities in names are decoded; CDATA with surrounding whitespace is trimmed', () => {
    const xml = ipcKeepaliveXml({ name: 'A &amp; B' }).replace('<SN><![CDATA[NF40D099BCM0]]></SN>', '<SN>\n  <![CDATA[NF40D099BCM0]]>\n</SN>');
    expect(parse(xml)).toMatchObject({ device: { name: 'A & B', serial: 'NF40D099BCM0' } });
  });

  it('__proto__ / constructor / prototype tags and attributes cannot pollute prototypes', () => {
    const hostile = ipcTraject().replace(
      '<traject',
      '<__proto__><polluted>yes</polluted></__proto__><constructor><prototype><polluted>yes</polluted></prototype></constructor><hasOwnProperty>x</hasOwnProperty><toString>y</toString><traject __proto__="z"',
    );
    const m = parse(hostile);
    expect(m.family).toBe('traject');
    expect(m.family === 'traject' && m.targets.length).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const status = ipcAlarmStatus({ fields: [{ field: '__proto__', id: 1, active: true }, { field: 'constructor', id: 1, active: true }] });
    const s = parse(status);
    expect(s.family).toBe('alarm_status');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('large inline images (lifted out before XML parsing)', () => {
  const big = tinyJpegBase64(1920, 1080);

  it('a real JPEG of ~80 KB base64 comes back byte-exact, with and without CDATA, line-wrapped or not', () => {
    expect(big.length).toBeGreaterThan(10_000);
    const cdataXml = ipcAlarm({ smartType: 'PEA', images: 'placeholder' }).replace('BASE64_JPEG_OVERVIEW_IMAGE', big);
    expect(alarm(cdataXml).images[0]?.base64).toBe(big);
    const plain = nvrAlarm({ smartType: 'regionIntrusion', images: 'placeholder' }).replace('BASE64_JPEG_OVERVIEW_IMAGE', big);
    expect(alarm(plain).images[0]?.base64).toBe(big);
    const wrapped = big.replace(/(.{76})/g, '$1\n');
    const wrappedXml = nvrAlarm({ smartType: 'regionIntrusion', images: 'placeholder' }).replace('BASE64_JPEG_TARGET_CROP', `\n${wrapped}\n`);
    expect(alarm(wrappedXml).images[1]?.base64).toBe(wrapped.trim());
  });

  it('lifting does not hide malformed XML', () => {
    const junk = 'A'.repeat(1000) + '<b>' + 'A'.repeat(1000);
    const e = parseError(nvrAlarm({ smartType: 'regionIntrusion' }).replace('BASE64_JPEG_OVERVIEW_IMAGE', junk));
    expect(e.reason).toBe('malformed_xml');
    const unclosed = nvrAlarm({ smartType: 'regionIntrusion' }).replace('BASE64_JPEG_OVERVIEW_IMAGE</sourceBase64Data>', 'A'.repeat(2000));
    expect(parseError(unclosed).reason).toBe('malformed_xml');
  });

  it('non-base64 text is left to the parser unchanged', () => {
    const text = 'not base64 at all! '.repeat(40);
    const m = alarm(nvrAlarm({ smartType: 'regionIntrusion' }).replace('BASE64_JPEG_OVERVIEW_IMAGE', text));
    expect(m.images[0]?.base64).toBe(text.trim());
  });
});
