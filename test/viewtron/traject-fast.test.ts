import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTrajectFast, parseViewtron, ViewtronParseError } from '../../src/viewtron/index.js';
import { body, ipcAlarm, ipcTraject, nvrAlarm, type BuilderTarget } from '../builders/viewtron.js';

/** The full parser's answer in the fast path's shape, or a marker when it refuses/routes elsewhere. */
function full(buf: Buffer): unknown {
  try {
    const m = parseViewtron(buf);
    if (m.family !== 'traject') return { notTraject: m.family };
    const { family: _f, ...rest } = m;
    return rest;
  } catch (e) {
    if (e instanceof ViewtronParseError) return { error: e.reason };
    throw e;
  }
}

describe('parseTrajectFast: plain posts', () => {
  it('agrees with the full parser on a builder post', () => {
    const buf = body(ipcTraject({ targets: [{ id: 7, cls: 'car', rect: [1, 2, 3, 4] }, { id: 8, cls: 'motor', rect: [5, 6, 7, 8] }] }));
    const fast = parseTrajectFast(buf);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(full(buf));
    expect(fast?.targets).toEqual([
      { id: '7', cls: 'car', rect: [1, 2, 3, 4] },
      { id: '8', cls: 'motor', rect: [5, 6, 7, 8] },
    ]);
    expect(fast?.device).toEqual({ dialect: 'ipc', mac: '58:5b:69:5a:84:bb', serial: 'I421B0Z1173Q', name: 'FaceCam' });
    expect(fast?.currentTime).toBe('1774792701902505');
  });

  it('handles no declaration, upper-case MAC, empty lists, count-first attributes', () => {
    for (const xml of [
      ipcTraject({ declaration: false }),
      ipcTraject({ macCase: 'upper' }),
      ipcTraject({ targets: [] }),
      ipcTraject({ countFirst: true }),
      ipcTraject().replace('encoding="UTF-8"?>', 'encoding="UTF-8" ?>'),
      '\n  ' + ipcTraject({ declaration: false }),
    ]) {
      const buf = body(xml);
      const fast = parseTrajectFast(buf);
      expect(fast).not.toBeNull();
      expect(fast).toEqual(full(buf));
    }
  });

  it('returns null for anything that is not a plain traject post', () => {
    const notSure = [
      ipcAlarm({ smartType: 'PEA', style: 'E2' }),
      nvrAlarm({ smartType: 'regionIntrusion' }),
      ipcTraject({ name: 'Caf\u00e9' }), // non-ASCII
      ipcTraject().replace('<traject', '<!-- c --><traject'),
      ipcTraject().replace('<traject', '<smartType>PEA</smartType><traject'),
      ipcTraject().replace('<config', '<!DOCTYPE config><config'),
      ipcTraject().replace('FaceCam', 'A &amp; B'),
      ipcTraject().replace('<targetId type="uint32">2157</targetId>', '<targetId>2157</targetId><targetId>2158</targetId>'),
      ipcTraject().slice(0, 300),
      '',
    ];
    for (const xml of notSure) expect(parseTrajectFast(body(xml))).toBeNull();
  });

  it('hostile element and attribute names are ignored safely and agree with the full parser', () => {
    const xml = ipcTraject().replace(
      '<traject',
      '<__proto__><polluted>yes</polluted></__proto__><constructor>1</constructor><toString>x</toString><traject __proto__="1"',
    );
    const buf = body(xml);
    const fast = parseTrajectFast(buf);
    expect(fast?.targets).toHaveLength(1);
    expect(fast).toEqual(full(buf));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops items without id or complete box, as the full parser does', () => {
    const xml = ipcTraject({ targets: [{ id: 1 }, { id: 2 }] }).replace('<x1 type="uint32">1000</x1>', '<x1 type="uint32">...</x1>');
    const buf = body(xml);
    expect(parseTrajectFast(buf)?.targets.map((t) => t.id)).toEqual(['2']);
    expect(parseTrajectFast(buf)).toEqual(full(buf));
  });
});

const clsArb = fc.constantFrom('person', 'car', 'motor', '1', '2', '4', 'bike', '', 'Person');
const coord = fc.oneof(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: -5, max: 20000 }));
const targetArb: fc.Arbitrary<BuilderTarget> = fc.record({
  id: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom('abc', '', '007', ' 5 ')),
  cls: clsArb,
  rect: fc.tuple(coord, coord, coord, coord),
});
const trajectArb = fc.record({
  targets: fc.array(targetArb, { maxLength: 5 }),
  mac: fc.constantFrom('58:5b:69:5a:84:bb', 'AA-BB-CC-DD-EE-FF', 'nonsense', ''),
  serial: fc.constantFrom('I421B0Z1173Q', '', '  padded  '),
  name: fc.constantFrom('FaceCam', 'Gate 2', ''),
  currentTimeUs: fc.constantFrom('1774792701902505', '1732045234', '', '18445822972087551616'),
  declaration: fc.boolean(),
  macCase: fc.constantFrom('lower' as const, 'upper' as const),
  countFirst: fc.boolean(),
});

/** Structure-aware mutations that real and hostile posts exhibit. */
const SNIPPETS = [
  '<', '>', '/>', '</item>', '<item>', '<![CDATA[x]]>', '<![CDATA[ 1 ]]>', '<!-- c -->', '&amp;', '&#x41;', ' ', '\n', '"', "'",
  '<smartType>PEA</smartType>', '<messageType>alarmData</messageType>', '<traject>', '<__proto__>1</__proto__>', 'a:', ':b',
  '<rect/>', '<x1>1</x1>', '<targetId>9</targetId>', '<mac>11:22:33:44:55:66</mac>', '\u00e9', '\u0001', ']]>', '<?pi x?>', '=',
  '<targetType>car</targetType>', '<ipAddress>1.2.3.4</ipAddress>', 'x="1"', ' type="list"', '<item/>',
];

const mutationArb = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...SNIPPETS) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  ),
  { maxLength: 4 },
);

function mutate(xml: string, muts: fc.Arbitrary<unknown> extends never ? never : { op: string; at: number; text?: string; len?: number }[]): string {
  let s = xml;
  for (const m of muts) {
    const at = s.length === 0 ? 0 : m.at % s.length;
    if (m.op === 'insert') s = s.slice(0, at) + (m.text ?? '') + s.slice(at);
    else if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + (m.len ?? 1));
    else s = s.slice(0, at) + s.slice(at, at + (m.len ?? 1)) + s.slice(at);
  }
  return s;
}

describe('parseTrajectFast: differential against the full parser (fast-check)', () => {
  it('generated posts: fast result, when non-null, equals the full parse', () => {
    let fastHits = 0;
    fc.assert(
      fc.property(trajectArb, (o) => {
        const buf = body(ipcTraject(o));
        const fast = parseTrajectFast(buf);
        if (fast !== null) {
          fastHits++;
          expect(fast).toEqual(full(buf));
        }
      }),
      { numRuns: 400 },
    );
    // the lean path must actually take the plain posts, not return null for everything
    // (about a third of the generated posts carry whitespace inside CDATA, which it leaves to the full parser)
    expect(fastHits).toBeGreaterThan(200);
  });

  it('mutated posts: fast result, when non-null, equals the full parse', () => {
    let fastHits = 0;
    fc.assert(
      fc.property(trajectArb, mutationArb, (o, muts) => {
        const buf = body(mutate(ipcTraject(o), muts));
        const fast = parseTrajectFast(buf);
        if (fast !== null) {
          fastHits++;
          expect(fast).toEqual(full(buf));
        }
      }),
      { numRuns: Number(process.env.VT_FUZZ_RUNS ?? 1500) },
    );
    expect(fastHits).toBeGreaterThan(50);
  });
});
