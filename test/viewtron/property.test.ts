import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/event.js';
import { decodeImage, normalize, parseTrajectFast, parseViewtron, ViewtronParseError } from '../../src/viewtron/index.js';
import {
  body,
  ipcAlarm,
  ipcAlarmStatus,
  ipcKeepaliveXml,
  ipcTraject,
  IPC_SMART_TYPES,
  nvrAlarm,
  nvrAlarmStatus,
  nvrKeepalive,
  NVR_SMART_TYPES,
} from '../builders/viewtron.js';

const RUNS = Number(process.env.VT_FUZZ_RUNS ?? 600);
const RX = Date.parse('2026-03-29T14:00:00.000Z');

/** Parses and normalizes; any throw other than ViewtronParseError fails the property. */
function survive(buf: Buffer): void {
  let msg;
  try {
    msg = parseViewtron(buf, '/API');
  } catch (e) {
    if (e instanceof ViewtronParseError) {
      expect([400, 415]).toContain(e.status);
      expect(e.reason).toMatch(/^[a-z0-9_]+$/);
      return;
    }
    throw e;
  }
  const r = normalize(msg, { receivedAt: RX, cameraId: 'cam-x', timezone: 'Europe/Berlin' });
  for (const ev of r.events) {
    expect(ev.id).toMatch(/^[0-9a-f]{32}$/);
    expect(EVENT_TYPES).toContain(ev.type);
    expect(Number.isNaN(Date.parse(ev.time))).toBe(false);
    JSON.stringify(ev);
  }
  for (const img of r.images) decodeImage(img.base64);
  parseTrajectFast(buf);
}

const postArb: fc.Arbitrary<string> = fc.oneof(
  fc.record({ smartType: fc.constantFrom(...IPC_SMART_TYPES), style: fc.constantFrom('E1' as const, 'E2' as const, 'E3' as const), pea: fc.constantFrom('perimeter' as const, 'tripwire' as const), images: fc.constantFrom('jpeg' as const, 'placeholder' as const, 'none' as const), declaration: fc.boolean() }).map((o) => ipcAlarm(o)),
  fc.record({ smartType: fc.constantFrom(...NVR_SMART_TYPES), channel: fc.integer({ min: 1, max: 16 }), images: fc.constantFrom('jpeg' as const, 'placeholder' as const, 'none' as const) }).map((o) => nvrAlarm(o)),
  fc.record({ legacy: fc.boolean(), dataTime: fc.constantFrom('2026-03-29 09:58:21', '11-19-2025 12:15:11 PM', 'junk', '') }).map((o) => ipcAlarmStatus(o)),
  fc.record({ field: fc.constantFrom('perimeterAlarm', 'vfdAlarm', '__proto__'), active: fc.boolean() }).map((o) => nvrAlarmStatus(o)),
  fc.constant(nvrKeepalive()),
  fc.constant(ipcKeepaliveXml()),
  fc.array(fc.record({ id: fc.nat(), cls: fc.constantFrom('person', 'car', 'motor'), rect: fc.tuple(fc.nat(10000), fc.nat(10000), fc.nat(10000), fc.nat(10000)) }), { maxLength: 4 }).map((targets) => ipcTraject({ targets })),
);

const SNIPPETS = [
  '<', '>', '</', '/>', '<item>', '</item>', '<![CDATA[', ']]>', '<!--', '-->', '&', '&amp;', '&#0;', '&#x110000;', '"', "'", '\u0000', '\uFFFF', '\uD800',
  '<__proto__>x</__proto__>', '<constructor><prototype>1</prototype></constructor>', '<toString/>', '<hasOwnProperty>1</hasOwnProperty>', '<valueOf>1</valueOf>',
  '<!DOCTYPE x>', '<?xml version="1.0"?>', '<smartType></smartType>', '<smartType>PEA</smartType>', '<messageType>alarmData</messageType>', '<alarmStatusInfo><x>true</x></alarmStatusInfo>',
  '<listInfo/>', '<rect>...</rect>', '<currentTime>18445822972087551616</currentTime>', '<channelId>-1</channelId>', '<mac>zz</mac>', 'a:b', 'xmlns:a="x"', '<item id="__proto__">true</item>',
];

const mutationsArb = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...SNIPPETS) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  ),
  { minLength: 1, maxLength: 5 },
);

function mutate(xml: string, muts: { op: string; at: number; text?: string; len?: number; value?: number }[]): Buffer {
  let s = xml;
  let buf: Buffer | undefined;
  for (const m of muts) {
    if (m.op === 'byte') {
      buf = Buffer.from(s, 'utf8');
      if (buf.length) buf[m.at % buf.length] = m.value ?? 0;
      s = buf.toString('latin1');
      return Buffer.from(s, 'latin1');
    }
    const at = s.length === 0 ? 0 : m.at % s.length;
    if (m.op === 'insert') s = s.slice(0, at) + (m.text ?? '') + s.slice(at);
    else if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + (m.len ?? 1));
    else s = s.slice(0, at);
  }
  return Buffer.from(s, 'utf8');
}

/** Random small XML documents whose element names include every hostile and meaningful name. */
const NAMES = ['config', 'DeviceInfo', 'item', 'enum', 'smartType', 'messageType', 'traject', 'deviceInfo', 'alarmStatusInfo', 'listInfo', 'perimeter', 'perInfo', 'tripwire', 'tripInfo', 'eventInfo', 'targetListInfo', 'licensePlateListInfo', 'faceListInfo', 'rect', 'x1', 'targetId', 'mac', 'currentTime', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'a.b', 'x:y'];
const TEXTS = ['', 'PEA', 'vehicle', 'alarmData', 'keepalive', 'alarmStatus', 'true', 'false', '1774792701902505', '0123', '...', 'person', '58:5B:69:40:F4:0D', '<![CDATA[x]]>'];
const treeArb: fc.Arbitrary<string> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...TEXTS)).map(([n, t]) => `<${n}>${t}</${n}>`),
    fc.tuple(fc.constantFrom(...NAMES), fc.array(tie('node'), { maxLength: 4 }), fc.option(fc.constantFrom(' id="1"', ' count="2"', ' version="2.0.0"', ' __proto__="x"', ' constructor="y"'))).map(
      ([n, kids, a]) => `<${n}${a ?? ''}>${(kids as string[]).join('')}</${n}>`,
    ),
  ),
})).node;

describe('parseViewtron + normalize never throw anything but ViewtronParseError', () => {
  it('builder posts of every family', () => {
    fc.assert(fc.property(postArb, (xml) => survive(body(xml))), { numRuns: RUNS });
  });

  it('mutated builder posts (inserted markup, deletions, truncation, raw bytes)', () => {
    fc.assert(fc.property(postArb, mutationsArb, (xml, muts) => survive(mutate(xml, muts))), { numRuns: RUNS * 3 });
  });

  it('random element trees with hostile names', () => {
    fc.assert(fc.property(fc.boolean(), treeArb, (decl, tree) => survive(body((decl ? '<?xml version="1.0" encoding="UTF-8"?>' : '') + `<config>${tree}</config>`))), { numRuns: RUNS });
  });

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => survive(Buffer.from(bytes))), { numRuns: RUNS });
  });

  it('nothing above polluted Object.prototype', () => {
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.x).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(
      ['__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', '__proto__', 'constructor', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', 'toString', 'valueOf'].sort(),
    );
  });
});
