import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAlarmFast, parseViewtron, ViewtronParseError } from '../../src/viewtron/index.js';
import { parseLeanDocument } from '../../src/viewtron/xml-lean.js';
import { decodeUtf8, parseXmlDocument } from '../../src/viewtron/xml.js';
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
  tinyJpegBase64,
} from '../builders/viewtron.js';

/**
 * The lean path is held to the full parser at two levels: the document tree
 * (xml-lean.ts against fast-xml-parser + extractBlobs) and the typed message
 * (parseAlarmFast against parseViewtron). Null is always allowed; a non-null
 * answer must be exactly the full parser's.
 */

function fullDoc(buf: Buffer): unknown {
  try {
    return parseXmlDocument(decodeUtf8(buf));
  } catch (e) {
    if (e instanceof ViewtronParseError) return { error: e.reason };
    throw e;
  }
}

function fullMsg(buf: Buffer, path?: string): unknown {
  try {
    return parseViewtron(buf, path);
  } catch (e) {
    if (e instanceof ViewtronParseError) return { error: e.reason };
    throw e;
  }
}

function fastMsg(buf: Buffer, path?: string): unknown {
  try {
    return parseAlarmFast(buf, path);
  } catch (e) {
    if (e instanceof ViewtronParseError) return { error: e.reason };
    throw e;
  }
}

/** Checks both levels; true when the lean path answered. */
function agrees(buf: Buffer, path = '/API'): boolean {
  const lean = parseLeanDocument(buf);
  if (lean !== null) expect(lean).toStrictEqual(fullDoc(buf));
  const fast = fastMsg(buf, path);
  expect(fast === null).toBe(lean === null);
  if (fast !== null) expect(fast).toStrictEqual(fullMsg(buf, path));
  return lean !== null;
}

const imagesArb = fc.constantFrom('jpeg' as const, 'placeholder' as const, 'none' as const);

const postArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      smartType: fc.constantFrom(...IPC_SMART_TYPES),
      style: fc.constantFrom('E1' as const, 'E2' as const, 'E3' as const),
      pea: fc.constantFrom('perimeter' as const, 'tripwire' as const),
      lineShape: fc.constantFrom('line' as const, 'bare' as const, 'lineInfo' as const),
      images: imagesArb,
      declaration: fc.boolean(),
      eventId: fc.oneof(fc.nat(), fc.constantFrom('', 'abc', '007')),
      status: fc.constantFrom('SMART_START', 'SMART_STOP', 'SMART_PROCEDURE', ''),
      currentTimeUs: fc.constantFrom('1774792701902505', '1732045234', '', '18445822972087551616'),
      plate: fc.constantFrom('ABC1234', '0123', ''),
      plateList: fc.option(fc.constantFrom('whiteList', 'blackList')),
      mac: fc.constantFrom('58:5b:69:5a:84:bb', 'AA-BB-CC-DD-EE-FF', 'nonsense'),
      name: fc.option(fc.constantFrom('FaceCam', 'Gate 2')),
      targets: fc.array(
        fc.record({
          id: fc.oneof(fc.nat(), fc.constantFrom('', 'x7')),
          cls: fc.constantFrom('person', 'car', 'motor', 'bike'),
          rect: fc.tuple(fc.nat(10000), fc.nat(10000), fc.nat(10000), fc.nat(10000)),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map((o) => ipcAlarm({ ...o, plateList: o.plateList ?? undefined, name: o.name ?? undefined })),
  fc
    .record({
      smartType: fc.constantFrom(...NVR_SMART_TYPES),
      channel: fc.option(fc.integer({ min: 1, max: 16 })),
      images: imagesArb,
      noTargetList: fc.boolean(),
      group: fc.option(fc.constantFrom('vip', 'Black List')),
      targets: fc.array(fc.record({ id: fc.nat(), cls: fc.constantFrom('person', 'car') }), { minLength: 1, maxLength: 3 }),
    })
    .map((o) => nvrAlarm({ ...o, group: o.group ?? undefined })),
  fc.record({ legacy: fc.boolean(), dataTime: fc.constantFrom('2026-03-29 09:58:21', '11-19-2025 12:15:11 PM', 'junk', '') }).map((o) => ipcAlarmStatus(o)),
  fc
    .record({ field: fc.constantFrom('perimeterAlarm', 'vfdAlarm', 'motionAlarm', '__proto__', 'toString'), active: fc.boolean(), id: fc.constantFrom(1, 2, '') })
    .map((o) => nvrAlarmStatus(o)),
  fc.constant(nvrKeepalive()),
  fc.constant(ipcKeepaliveXml()),
  fc.constant(ipcTraject()),
);

/** An alarm post carrying real JPEGs big enough to be lifted, in the layouts devices use. */
function imagePost(layout: 'cdata' | 'plain' | 'wrapped' | 'padded', w = 320, h = 240): string {
  const big = tinyJpegBase64(w, h);
  const xml = ipcAlarm({ smartType: 'PEA', style: 'E2', images: 'jpeg' });
  const wrap = (b64: string): string => {
    switch (layout) {
      case 'cdata':
        return `<![CDATA[${b64}]]>`;
      case 'plain':
        return b64;
      case 'wrapped':
        return b64.replace(/(.{76})/g, '$1\n');
      case 'padded':
        return `\n  <![CDATA[${b64.replace(/(.{64})/g, '$1\r\n')}]]>\n`;
    }
  };
  return xml.replace(/(<(source|target)Base64Data type="string">)<!\[CDATA\[[^\]]*\]\]>/g, (_m, open: string) => open + wrap(big));
}

describe('parseAlarmFast: plain posts take the lean path and agree with the full parser', () => {
  it('every builder family and smartType', () => {
    const posts: string[] = [];
    for (const smartType of IPC_SMART_TYPES) {
      for (const style of ['E1', 'E2', 'E3'] as const) {
        for (const images of ['jpeg', 'placeholder', 'none'] as const) {
          posts.push(ipcAlarm({ smartType, style, images }), ipcAlarm({ smartType, style, images, pea: 'tripwire', lineShape: 'bare' }));
        }
      }
    }
    for (const smartType of NVR_SMART_TYPES) {
      for (const images of ['jpeg', 'placeholder', 'none'] as const) posts.push(nvrAlarm({ smartType, images }), nvrAlarm({ smartType, images, channel: null }));
    }
    posts.push(ipcAlarmStatus(), ipcAlarmStatus({ legacy: true }), nvrAlarmStatus(), nvrKeepalive(), ipcKeepaliveXml(), ipcTraject());
    for (const xml of posts) expect(agrees(body(xml)), xml.slice(0, 200)).toBe(true);
  });

  it('the legacy status path is read from the request path as the full parser reads it', () => {
    const buf = body(ipcAlarmStatus());
    expect(agrees(buf, '/SendAlarmStatus')).toBe(true);
    expect(parseAlarmFast(buf, '/SendAlarmStatus')).toMatchObject({ family: 'alarm_status', legacy: true });
  });

  it('inline JPEGs are lifted (CDATA, bare, line-wrapped, padded) and come out identical', () => {
    for (const layout of ['cdata', 'plain', 'wrapped', 'padded'] as const) {
      const buf = body(imagePost(layout));
      expect(agrees(buf), layout).toBe(true);
      const doc = parseLeanDocument(buf)!;
      expect(doc.blobs.length, layout).toBe(2);
      const msg = parseAlarmFast(buf);
      expect(msg?.family === 'alarm_data' && msg.images.map((i) => i.kind)).toEqual(['overview', 'target']);
    }
  });

  it('a large image post is answered without copying the image text', () => {
    const buf = body(imagePost('cdata', 4096, 4096));
    expect(buf.length).toBeGreaterThan(150_000);
    const doc = parseLeanDocument(buf)!;
    expect(doc).not.toBeNull();
    expect(doc).toStrictEqual(fullDoc(buf));
  });

  it('an empty smartType throws the full parser’s error', () => {
    const buf = body(ipcAlarm({ smartType: 'PEA' }).replace('>PEA</smartType>', '></smartType>'));
    expect(fastMsg(buf)).toEqual({ error: 'empty_smart_type' });
    expect(fullMsg(buf)).toEqual({ error: 'empty_smart_type' });
  });
});

describe('parseAlarmFast: anything unusual goes to the full parser', () => {
  const base = ipcAlarm({ smartType: 'PEA', style: 'E2', images: 'none' });
  const cases: [string, string][] = [
    ['non-ASCII', base.replace('FaceCam', 'Caf\u00e9')],
    ['comment', base.replace('<smartType', '<!-- c --><smartType')],
    ['DOCTYPE', base.replace('<config', '<!DOCTYPE config><config')],
    ['entity', base.replace('FaceCam', 'A &amp; B')],
    ['PI', base.replace('<smartType', '<?pi x?><smartType')],
    ['namespace prefix', base.replace('<smartType', '<a:smartType').replace('</smartType>', '</a:smartType>')],
    ['prefixed attribute', base.replace('<perimeter>', '<perimeter xsi:type="x">')],
    ['mixed content', base.replace('<perimeter>', '<perimeter>text')],
    ['two CDATA sections', base.replace('<![CDATA[FaceCam]]>', '<![CDATA[Face]]><![CDATA[Cam]]>')],
    ['text and CDATA', base.replace('<![CDATA[FaceCam]]>', 'x<![CDATA[FaceCam]]>')],
    ['CDATA with edge spaces', base.replace('<![CDATA[FaceCam]]>', '<![CDATA[ FaceCam ]]>')],
    ['hostile name', base.replace('<perimeter>', '<__proto__>1</__proto__><perimeter>')],
    ['prototype member name', base.replace('<perimeter>', '<toString>1</toString><perimeter>')],
    ['repeated attribute', base.replace('<perimeter>', '<perimeter a="1" a="2">')],
    ['repeated type attribute', base.replace('type="openAlramObj"', 'type="a" type="b"')],
    ['truncated', base.slice(0, 400)],
    ['two roots', base + '<config/>'],
    ['text after the root', base + 'x'],
    ['mismatched close', base.replace('</perimeter>', '</perimeterX>')],
    ['latin-1 declaration', base.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')],
    ['BOM', '\ufeff' + base],
    ['blob-like name', base.replace('<perimeter>', '<sourceBase64DataX>1</sourceBase64DataX><perimeter>')],
  ];
  for (const [name, xml] of cases) {
    it(name, () => {
      const buf = body(xml);
      expect(parseLeanDocument(buf)).toBeNull();
      expect(parseAlarmFast(buf)).toBeNull();
    });
  }

  it('a blob element closed with a space (extractBlobs would stop lifting) is left to the full parser', () => {
    const big = tinyJpegBase64(320, 240);
    const xml = ipcAlarm({ smartType: 'PEA', style: 'E2', images: 'jpeg' })
      .replace(/(<sourceBase64Data type="string">)<!\[CDATA\[[^\]]*\]\]><\/sourceBase64Data>/, `$1${big}</sourceBase64Data >`)
      .replace(/(<targetBase64Data type="string">)<!\[CDATA\[[^\]]*\]\]>/, `$1${big}`);
    const buf = body(xml);
    expect(parseLeanDocument(buf)).toBeNull();
    expect(agrees(buf)).toBe(false);
  });
});

/** Structure-aware mutations, including the image-lifting corner cases. */
const SNIPPETS = [
  '<', '>', '/>', '</', '<item>', '</item>', '<enum>x</enum>', '<![CDATA[x]]>', '<![CDATA[]]>', '<![CDATA[ 1 ]]>', '<!-- c -->', '&amp;', '&#x41;', ' ', '\n', '\t', '"', "'", '=',
  '<smartType>PEA</smartType>', '<smartType/>', '<messageType>alarmData</messageType>', '<traject>', '<__proto__>1</__proto__>', '<toString/>', 'a:', ':b', ' id="1"', ' type="x"', ' xmlns="y"', ' id=" 2 "',
  '<rect/>', '<x1>1</x1>', '<targetId>9</targetId>', '<mac>11:22:33:44:55:66</mac>', '\u00e9', '\u0001', '\u000b', ']]>', '<?pi x?>', '<tripwire/>', '<perimeter/>',
  '<sourceBase64Data>', '</sourceBase64Data>', '</sourceBase64Data >', '<targetBase64DataX>', 'Base64Data', '<sourceBase64Data/>',
  `<sourceBase64Data>${'A'.repeat(300)}</sourceBase64Data>`, `<targetBase64Data id="3"><![CDATA[${'QUJD'.repeat(80)}]]></targetBase64Data>`, `<sourceBase64Data> ${'QUJD'.repeat(70)}\u00a0</sourceBase64Data>`,
  '<alarmStatusInfo><motionAlarm id="1">true</motionAlarm></alarmStatusInfo>', '<deviceInfo><mac>AA:BB:CC:DD:EE:FF</mac></deviceInfo>', '<dataTime>2026-03-29 09:58:21</dataTime>',
];

type Mutation = { op: 'insert'; at: number; text: string } | { op: 'delete'; at: number; len: number } | { op: 'dup'; at: number; len: number } | { op: 'byte'; at: number; value: number };

const mutationArb: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...SNIPPETS) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ op: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  ),
  { maxLength: 4 },
);

function mutate(xml: string, muts: Mutation[]): Buffer {
  let s = xml;
  let raw: { at: number; value: number } | undefined;
  for (const m of muts) {
    const at = s.length === 0 ? 0 : m.at % s.length;
    if (m.op === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.op === 'dup') s = s.slice(0, at) + s.slice(at, at + m.len) + s.slice(at);
    else raw = m;
  }
  const buf = Buffer.from(s, 'utf8');
  if (raw && buf.length) buf[raw.at % buf.length] = raw.value;
  return buf;
}

describe('parseAlarmFast: differential against the full parser (fast-check)', () => {
  const runs = Number(process.env.VT_FUZZ_RUNS ?? 1500);

  it('generated posts of every family: the lean path answers and agrees', () => {
    let hits = 0;
    fc.assert(
      fc.property(postArb, (xml) => {
        if (agrees(body(xml))) hits++;
      }),
      { numRuns: 500 },
    );
    // only the hostile status field names (__proto__, toString) may fall back
    expect(hits).toBeGreaterThan(400);
  });

  it('mutated posts: when the lean path answers, it agrees', () => {
    let hits = 0;
    fc.assert(
      fc.property(postArb, mutationArb, (xml, muts) => {
        if (agrees(mutate(xml, muts))) hits++;
      }),
      { numRuns: runs },
    );
    expect(hits).toBeGreaterThan(runs / 10);
  });

  it('mutated image posts: when the lean path answers, it agrees', () => {
    const posts = (['cdata', 'plain', 'wrapped', 'padded'] as const).map((l) => imagePost(l, 64, 64));
    let hits = 0;
    fc.assert(
      fc.property(fc.constantFrom(...posts), mutationArb, (xml, muts) => {
        if (agrees(mutate(xml, muts))) hits++;
      }),
      { numRuns: Math.ceil(runs / 3) },
    );
    expect(hits).toBeGreaterThan(runs / 30);
  });
});

/** Random element trees: the tree builder's corner cases (attributes, repeats, empties, CDATA, whitespace). */
const NAMES = ['config', 'DeviceInfo', 'item', 'enum', 'smartType', 'messageType', 'traject', 'deviceInfo', 'alarmStatusInfo', 'listInfo', 'perimeter', 'perInfo', 'rect', 'x1', 'targetId', 'mac', 'currentTime', 'a.b', 'a-b', '_x', 'sourceBase64Data', 'targetImageData'];
const TEXTS = ['', ' ', 'PEA', 'alarmData', 'true', '0123', ' padded ', 'a\tb', 'two\nlines', '\n  x\n', '<![CDATA[x]]>', '<![CDATA[]]>', ' <![CDATA[y]]> ', '<![CDATA[a b]]>', 'vtblob:0', "it's \"q\""];
const ATTRS = ['', ' id="1"', ' count="2"', ' type="list"', ' xmlns="http://x"', " id='3'", ' id=""', ' id=" 4 "', ' version="1.0"', ' type="a" id="5"', '\tid="6"\n', ' a.b="7"'];
const treeArb: fc.Arbitrary<string> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...ATTRS), fc.constantFrom(...TEXTS)).map(([n, a, t]) => `<${n}${a}>${t}</${n}>`),
    fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...ATTRS)).map(([n, a]) => `<${n}${a}/>`),
    fc
      .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...ATTRS), fc.array(tie('node'), { maxLength: 4 }), fc.constantFrom('', ' ', '\n  '))
      .map(([n, a, kids, ws]) => `<${n}${a}>${ws}${(kids as string[]).join(ws)}${ws}</${n} >`),
  ),
})).node;

describe('xml-lean: random element trees agree with fast-xml-parser (fast-check)', () => {
  it('trees under a config root', () => {
    let hits = 0;
    const runs = Number(process.env.VT_FUZZ_RUNS ?? 1500);
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(...ATTRS), fc.array(treeArb, { maxLength: 5 }), (decl, rootAttrs, kids) => {
        const xml = (decl ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '') + `<config${rootAttrs}>${kids.join('')}</config>`;
        if (agrees(body(xml))) hits++;
      }),
      { numRuns: runs },
    );
    expect(hits).toBeGreaterThan(runs / 4);
  });
});

/**
 * The vendor payloads, read in place as conformance.test.ts does (their README
 * forbids copying them into the repository). They open with explanatory
 * comments no device sends, which the lean path leaves to the full parser; with
 * the comments taken out, every push example must take the lean path.
 */
const FIXTURES = join(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'fixtures', 'viewtron');

function listXml(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listXml(p));
    else if (e.name.endsWith('.xml')) out.push(p);
  }
  return out.sort();
}

describe('parseAlarmFast on the vendor example payloads', () => {
  if (!existsSync(join(FIXTURES, 'examples'))) {
    it('fixtures folder is present', () => {
      if (process.env.CI === 'true') throw new Error(`fixtures folder missing: ${FIXTURES}`);
      console.warn(`[alarm-fast] vendor fixture checks SKIPPED: ${FIXTURES} not found`);
    });
    return;
  }
  const files = listXml(FIXTURES);

  it('as shipped (with comments): agrees whenever it answers', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) agrees(readFileSync(f));
  });

  it('without the comments: every push example takes the lean path and agrees', () => {
    for (const f of files) {
      const xml = readFileSync(f, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
      const hit = agrees(Buffer.from(xml, 'utf8'));
      if (f.includes('/examples/')) expect(hit, f).toBe(true);
    }
  });
});
