import { describe, expect, it } from 'vitest';
import { compileRegion, meetsMinBox, pointInPolygon, rectIntersectsPolygon, anchorPoint } from '../../src/presence/geometry.js';
import { buildCore, cams, T0, types } from '../rules/core-fixture.js';

// a driveway in the lower right quarter of the frame
const DRIVEWAY: [number, number][] = [
  [5000, 5000],
  [10000, 5000],
  [10000, 10000],
  [5000, 10000],
];
// an L-shaped (concave) area: the notch at the top right is outside
const ELL: [number, number][] = [
  [0, 0],
  [4000, 0],
  [4000, 6000],
  [10000, 6000],
  [10000, 10000],
  [0, 10000],
];

describe('geometry', () => {
  it('point in polygon, convex and concave', () => {
    expect(pointInPolygon(7000, 7000, DRIVEWAY)).toBe(true);
    expect(pointInPolygon(4000, 7000, DRIVEWAY)).toBe(false);
    expect(pointInPolygon(2000, 2000, ELL)).toBe(true);
    expect(pointInPolygon(7000, 3000, ELL)).toBe(false); // in the notch
    expect(pointInPolygon(7000, 8000, ELL)).toBe(true);
  });

  it('anchor points: bottom centre is the feet, centre is the middle; swapped corners are fine', () => {
    expect(anchorPoint([1000, 2000, 3000, 6000], 'bottom_center')).toEqual([2000, 6000]);
    expect(anchorPoint([1000, 2000, 3000, 6000], 'center')).toEqual([2000, 4000]);
    expect(anchorPoint([3000, 6000, 1000, 2000], 'bottom_center')).toEqual([2000, 6000]);
  });

  it('a tall box whose head is in the zone but feet are not: counts for center/any, not for bottom_center', () => {
    // a box entirely above the driveway (feet at y=4800)
    const standingAbove: [number, number, number, number] = [6000, 1000, 7000, 4800];
    expect(compileRegion(DRIVEWAY, 'bottom_center')(standingAbove)).toBe(false);
    expect(compileRegion(DRIVEWAY, 'any')(standingAbove)).toBe(false);
    // feet inside, centre outside
    const feetIn: [number, number, number, number] = [6000, 1000, 7000, 6000];
    expect(compileRegion(DRIVEWAY, 'bottom_center')(feetIn)).toBe(true);
    expect(compileRegion(DRIVEWAY, 'center')(feetIn)).toBe(false);
    expect(compileRegion(DRIVEWAY, 'any')(feetIn)).toBe(true);
  });

  it('any = box intersects: edge crossing without any corner inside either shape', () => {
    // a thin horizontal box crossing a thin vertical polygon: a plus sign
    const bar: [number, number][] = [
      [4900, 0],
      [5100, 0],
      [5100, 10000],
      [4900, 10000],
    ];
    expect(rectIntersectsPolygon([0, 4900, 10000, 5100], bar)).toBe(true);
    expect(rectIntersectsPolygon([0, 4900, 4000, 5100], bar)).toBe(false);
    // box entirely inside polygon, polygon entirely inside box
    expect(rectIntersectsPolygon([6000, 6000, 7000, 7000], DRIVEWAY)).toBe(true);
    expect(rectIntersectsPolygon([0, 0, 10000, 10000], DRIVEWAY)).toBe(true);
    // in the notch of the L
    expect(rectIntersectsPolygon([5000, 1000, 9000, 5000], ELL)).toBe(false);
  });

  it('no polygon = whole frame', () => {
    expect(compileRegion(undefined, 'bottom_center')([0, 0, 1, 1])).toBe(true);
  });

  it('min box', () => {
    expect(meetsMinBox([0, 0, 300, 800], { w: 300, h: 800 })).toBe(true);
    expect(meetsMinBox([0, 0, 299, 800], { w: 300, h: 800 })).toBe(false);
    expect(meetsMinBox([300, 800, 0, 0], { w: 300, h: 800 })).toBe(true);
  });
});

describe('zone filter: polygon + anchor + min box + class (through the site core)', () => {
  const core = () =>
    buildCore({
      cameras: cams('cam1'),
      zones: [{ id: 'drive', camera: 'cam1', polygon: DRIVEWAY, classes: ['car'], min_box: { w: 1000, h: 500 }, off_delay_s: 0 }],
    });

  it('only a big enough car with its bottom centre in the polygon enters', () => {
    const c = core();
    const out = c.traject(
      'cam1',
      [
        { id: 'p1', cls: 'person', rect: [6000, 6000, 7000, 9000] }, // wrong class
        { id: 'c-small', cls: 'car', rect: [6000, 6000, 6500, 6300] }, // too small
        { id: 'c-out', cls: 'car', rect: [1000, 6000, 3000, 9000] }, // outside
        { id: 'c-above', cls: 'car', rect: [6000, 2000, 8000, 4900] }, // feet above the driveway
        { id: 'c-in', cls: 'car', rect: [6000, 6000, 8000, 9000] },
      ],
      T0,
    );
    const enters = out.events.filter((e) => e.type === 'target.enter');
    expect(enters.map((e) => e.data.target)).toEqual(['c-in']);
    expect(types(out)).toEqual(['target.enter', 'presence.on']);
    expect(c.zones()[0]).toMatchObject({ id: 'drive', presence: true, count: 1, source: 'traject' });
    expect(c.targets('cam1').map((t) => t.id)).toEqual(['c-in']);
  });

  it('a target of a class the zone does not count never makes presence', () => {
    const c = core();
    const out = c.traject('cam1', [{ id: 'p1', cls: 'person', rect: [6000, 6000, 8000, 9000] }], T0);
    expect(out.events).toEqual([]);
    expect(c.zones()[0]!.presence).toBe(false);
  });
});
