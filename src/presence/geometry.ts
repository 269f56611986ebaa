/**
 * Zone geometry on the Viewtron 0..10000 grid (x right, y down). Pure.
 *
 * The hot path (64 cameras × 7 Hz) calls a compiled `Region` per target, so
 * everything a zone needs is precomputed once: bounding box for a quick reject,
 * and the anchor rule chosen up front instead of switching per call.
 */
export type Rect = readonly [number, number, number, number];
export type Point = readonly [number, number];
export type Polygon = readonly Point[];
export type Anchor = 'bottom_center' | 'center' | 'any';

/** Is the box inside the zone under its anchor rule? */
export type Region = (r: Rect) => boolean;

/** Even-odd ray casting. Points exactly on an edge may fall either way (as with any ray cast). */
export function pointInPolygon(x: number, y: number, poly: Polygon): boolean {
  let inside = false;
  const n = poly.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const pi = poly[i]!;
    const pj = poly[j]!;
    const yi = pi[1];
    const yj = pj[1];
    if (yi > y !== yj > y) {
      const xi = pi[0];
      const xj = pj[0];
      if (x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/**
 * The point of the box that must lie in the zone. Default bottom centre: the feet
 * of a person / the wheels of a car, so a tall box overlapping the zone from the
 * background does not count. Boxes may come with swapped corners: use min/max.
 */
export function anchorPoint(r: Rect, anchor: Exclude<Anchor, 'any'>): Point {
  const x = (r[0] + r[2]) / 2;
  const y = anchor === 'center' ? (r[1] + r[3]) / 2 : Math.max(r[1], r[3]);
  return [x, y];
}

export function meetsMinBox(r: Rect, min: { w: number; h: number }): boolean {
  return Math.abs(r[2] - r[0]) >= min.w && Math.abs(r[3] - r[1]) >= min.h;
}

function segmentsIntersect(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const d1 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx);
  const d2 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx);
  const d3 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  const d4 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  // collinear touching counts as intersecting (closed shapes)
  const on = (px: number, py: number, qx: number, qy: number, rx: number, ry: number) =>
    Math.min(px, qx) <= rx && rx <= Math.max(px, qx) && Math.min(py, qy) <= ry && ry <= Math.max(py, qy);
  return (
    (d1 === 0 && on(cx, cy, dx, dy, ax, ay)) ||
    (d2 === 0 && on(cx, cy, dx, dy, bx, by)) ||
    (d3 === 0 && on(ax, ay, bx, by, cx, cy)) ||
    (d4 === 0 && on(ax, ay, bx, by, dx, dy))
  );
}

/** Does the (closed) box share any area or edge with the polygon? */
export function rectIntersectsPolygon(r: Rect, poly: Polygon): boolean {
  const x1 = Math.min(r[0], r[2]);
  const x2 = Math.max(r[0], r[2]);
  const y1 = Math.min(r[1], r[3]);
  const y2 = Math.max(r[1], r[3]);
  // a polygon vertex inside the box (also covers the polygon entirely inside the box)
  for (const p of poly) if (p[0] >= x1 && p[0] <= x2 && p[1] >= y1 && p[1] <= y2) return true;
  // a box corner inside the polygon (also covers the box entirely inside the polygon)
  if (pointInPolygon(x1, y1, poly) || pointInPolygon(x2, y1, poly) || pointInPolygon(x1, y2, poly) || pointInPolygon(x2, y2, poly))
    return true;
  // otherwise only crossing edges remain
  const n = poly.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const a = poly[j]!;
    const b = poly[i]!;
    if (
      segmentsIntersect(a[0], a[1], b[0], b[1], x1, y1, x2, y1) ||
      segmentsIntersect(a[0], a[1], b[0], b[1], x2, y1, x2, y2) ||
      segmentsIntersect(a[0], a[1], b[0], b[1], x2, y2, x1, y2) ||
      segmentsIntersect(a[0], a[1], b[0], b[1], x1, y2, x1, y1)
    )
      return true;
  }
  return false;
}

const everywhere: Region = () => true;

/** Precompile a zone's polygon + anchor rule into one predicate. No polygon = the whole frame. */
export function compileRegion(polygon: Polygon | undefined, anchor: Anchor): Region {
  if (!polygon || polygon.length < 3) return everywhere;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of polygon) {
    minX = Math.min(minX, p[0]);
    maxX = Math.max(maxX, p[0]);
    minY = Math.min(minY, p[1]);
    maxY = Math.max(maxY, p[1]);
  }
  if (anchor === 'any') {
    return (r) => {
      if (Math.max(r[0], r[2]) < minX || Math.min(r[0], r[2]) > maxX || Math.max(r[1], r[3]) < minY || Math.min(r[1], r[3]) > maxY)
        return false;
      return rectIntersectsPolygon(r, polygon);
    };
  }
  const center = anchor === 'center';
  return (r) => {
    // no tuple allocation on the hot path: compute the anchor inline
    const x = (r[0] + r[2]) / 2;
    const y = center ? (r[1] + r[3]) / 2 : Math.max(r[1], r[3]);
    if (x < minX || x > maxX || y < minY || y > maxY) return false;
    return pointInPolygon(x, y, polygon);
  };
}

/** 0..10000 grid → the event model's 0..1 box. */
export function toUnitBox(r: Rect): { x1: number; y1: number; x2: number; y2: number } {
  return { x1: r[0] / 10000, y1: r[1] / 10000, x2: r[2] / 10000, y2: r[3] / 10000 };
}
