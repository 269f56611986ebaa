import { intBetween, pick, uniform, weighted, type Rng } from './prng.js';
import type { Point, SimBox, SimTarget, SmartStatus, TargetClass } from './payloads.js';

/**
 * What one simulated camera sees, stepped in virtual time (ms since the run
 * started). Pure and deterministic for a given PRNG: people and cars cross
 * the 0..10000 frame with fresh target ids, and crossings raise alarms the way
 * the devices do (status on at the first detection, off after a hold time
 * without activity; one or two smartData posts per entry).
 */

export type Scenario = 'walk' | 'loiter' | 'lpr' | 'mixed' | 'burst';
export const SCENARIOS: readonly Scenario[] = ['walk', 'loiter', 'lpr', 'mixed', 'burst'];

export type AlarmKind = 'intrusion' | 'tripwire' | 'lpr' | 'face' | 'loiter';
/** The device alarm an alarm kind switches on (rendered per dialect). */
export type StatusChannel = 'perimeter' | 'tripwire' | 'vehicle' | 'face';

export interface PlateInfo {
  plate: string;
  list?: 'whiteList' | 'blackList' | 'temporaryList';
  color: string;
  car: { type: string; color: string; brand: string; model: string };
}
export interface FaceInfo {
  age: string;
  sex: string;
  glasses: string;
  mask: string;
}

export type SceneEvent =
  | { type: 'traject'; targets: SimTarget[] }
  | { type: 'status'; channel: StatusChannel; on: boolean }
  | {
      type: 'alarm';
      kind: AlarmKind;
      eventId: number;
      target: SimTarget;
      status: SmartStatus;
      plate?: PlateInfo;
      face?: FaceInfo;
    };

/** The intrusion zone every simulated camera has (a trapezoid round the middle of the frame). */
export const ZONE: readonly Point[] = [
  { x: 2500, y: 3000 },
  { x: 7500, y: 3000 },
  { x: 7800, y: 9600 },
  { x: 2200, y: 9600 },
];
export const TRIPWIRE = { start: { x: 5000, y: 1000 }, end: { x: 5000, y: 9000 } };

type Behaviour = 'walk' | 'tripwire' | 'car' | 'face' | 'loiter';

interface Actor {
  id: number;
  cls: TargetClass;
  behaviour: Behaviour;
  t0: number;
  dur: number;
  /** feet position and box size at progress p (0..1) and absolute time t */
  at: (p: number, t: number) => { x: number; y: number; w: number; h: number };
  prevX?: number;
  zoneSince?: number;
  eventId?: number;
  secondAt?: number;
  plate?: PlateInfo;
  face?: FaceInfo;
}

const KIND_OF: Record<Behaviour, AlarmKind> = { walk: 'intrusion', tripwire: 'tripwire', car: 'lpr', face: 'face', loiter: 'loiter' };
const CHANNEL_OF: Partial<Record<AlarmKind, StatusChannel>> = {
  intrusion: 'perimeter',
  tripwire: 'tripwire',
  lpr: 'vehicle',
  face: 'face',
  // LOITER's alarm-status field is undocumented: no status post for it
};

const lerp = (a: number, b: number, p: number) => a + (b - a) * p;
const clampGrid = (v: number) => Math.max(0, Math.min(10000, Math.round(v)));

/** Person height on the grid grows as the feet come closer to the bottom (perspective). */
const personSize = (y: number) => {
  const h = 1700 + Math.max(0, Math.min(1, (y - 3000) / 7000)) * 1900;
  return { w: h * 0.36, h };
};

const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
function plateFor(rng: Rng): PlateInfo {
  const L = () => LETTERS[intBetween(rng, 0, LETTERS.length - 1)]!;
  const D = () => String(intBetween(rng, 0, 9));
  const plate = weighted(rng, [
    [() => `${L()}${L()}${L()}${D()}${D()}${D()}${D()}`, 6],
    [() => `${D()}${L()}${L()}${L()}${D()}${D()}${D()}`, 2],
    // plates with leading zeros catch receivers that turn digit strings into numbers
    [() => `0${D()}${D()}${D()}${L()}${L()}`, 2],
  ] as const)();
  const [brand, model] = pick(rng, [
    ['GMC', 'GMC_SAVANA'],
    ['Toyota', 'Toyota_Corolla'],
    ['Ford', 'Ford_Transit'],
    ['Honda', 'Honda_Civic'],
  ] as const);
  return {
    plate,
    list: weighted(rng, [
      ['whiteList', 60],
      ['blackList', 15],
      ['temporaryList', 5],
      [undefined, 20],
    ] as const),
    color: pick(rng, ['white', 'yellow', 'blue']),
    car: { type: pick(rng, ['sedan', 'suv', 'mpv', 'van', 'truck']), color: pick(rng, ['white', 'black', 'silver', 'red', 'blue']), brand, model },
  };
}

function faceFor(rng: Rng): FaceInfo {
  return {
    age: pick(rng, ['young', 'youth', 'middleAged', 'elderly', 'unknown']),
    sex: pick(rng, ['male', 'female', 'unknown']),
    glasses: pick(rng, ['yes', 'no', 'unknown']),
    mask: pick(rng, ['yes', 'no', 'unknown']),
  };
}

export interface SceneOptions {
  /** alarm status goes off this long after the last activity (the camera's alarmHoldTime) */
  alarmHoldMs: number;
}

export class Scene {
  private actors: Actor[] = [];
  private nextSpawn = 0;
  private nextId: number;
  private nextEventId: number;
  private readonly lastActivity = new Map<StatusChannel, number>();

  constructor(
    private readonly rng: Rng,
    private readonly scenario: Scenario,
    private readonly opts: SceneOptions,
  ) {
    this.nextId = intBetween(rng, 1000, 4000);
    this.nextEventId = intBetween(rng, 100, 900);
  }

  private newActor(behaviour: Behaviour, t0: number): Actor {
    const rng = this.rng;
    this.nextId += intBetween(rng, 1, 3);
    const id = this.nextId;
    const dir = rng() < 0.5 ? 1 : -1;
    switch (behaviour) {
      case 'walk':
      case 'tripwire': {
        // feet go through the middle of the frame: the path is point-symmetric about (5000, 5500)
        const xs = dir > 0 ? -700 : 10700;
        const ys = 5500 + uniform(rng, -1500, 1500);
        return {
          id,
          cls: rng() < 0.1 ? 'motor' : 'person',
          behaviour,
          t0,
          dur: uniform(rng, 4000, 7000),
          at: (p) => {
            const x = lerp(xs, 10000 - xs, p);
            const y = lerp(ys, 11000 - ys, p);
            return { x, y, ...personSize(y) };
          },
        };
      }
      case 'car': {
        const xs = dir > 0 ? -2200 : 12200;
        const y = uniform(rng, 6500, 8800);
        const w = uniform(rng, 2600, 3400);
        return {
          id,
          cls: 'car',
          behaviour,
          t0,
          dur: uniform(rng, 3000, 5000),
          at: (p) => ({ x: lerp(xs, 10000 - xs, p), y, w, h: w * 0.55 }),
          plate: plateFor(rng),
        };
      }
      case 'face': {
        const x0 = uniform(rng, 3500, 6500);
        const drift = uniform(rng, -800, 800);
        return {
          id,
          cls: 'person',
          behaviour,
          t0,
          dur: uniform(rng, 3500, 5000),
          at: (p) => {
            const y = lerp(4500, 10900, p);
            return { x: x0 + drift * p, y, ...personSize(y) };
          },
          face: faceFor(rng),
        };
      }
      case 'loiter': {
        const xs = dir > 0 ? -700 : 10700;
        const cx = 5000 + uniform(rng, -700, 700);
        const cy = 6000 + uniform(rng, -700, 700);
        const dur = uniform(rng, 25_000, 45_000);
        const phase = uniform(rng, 0, Math.PI * 2);
        return {
          id,
          cls: 'person',
          behaviour,
          t0,
          dur,
          at: (p, t) => {
            let x: number;
            let y: number;
            if (p < 0.12) {
              x = lerp(xs, cx, p / 0.12);
              y = cy;
            } else if (p > 0.88) {
              x = lerp(cx, 10000 - xs, (p - 0.88) / 0.12);
              y = cy;
            } else {
              // wandering round the middle
              x = cx + 900 * Math.sin(phase + (2 * Math.PI * (t - t0)) / 7000);
              y = cy + 400 * Math.sin(phase + (2 * Math.PI * (t - t0)) / 5000);
            }
            return { x, y, ...personSize(y) };
          },
        };
      }
    }
  }

  private spawn(t: number): void {
    const rng = this.rng;
    switch (this.scenario) {
      case 'walk':
        this.actors.push(this.newActor('walk', t));
        this.nextSpawn = t + uniform(rng, 5000, 11_000);
        break;
      case 'lpr':
        this.actors.push(this.newActor('car', t));
        this.nextSpawn = t + uniform(rng, 5000, 12_000);
        break;
      case 'loiter': {
        const a = this.newActor('loiter', t);
        this.actors.push(a);
        this.nextSpawn = t + a.dur + uniform(rng, 3000, 8000);
        break;
      }
      case 'mixed': {
        const b = weighted(rng, [
          ['walk', 45],
          ['car', 20],
          ['tripwire', 15],
          ['face', 12],
          ['loiter', 8],
        ] as const);
        const a = this.newActor(b, t);
        this.actors.push(a);
        this.nextSpawn = t + (b === 'loiter' ? a.dur * 0.5 : 0) + uniform(rng, 4000, 9000);
        break;
      }
      case 'burst': {
        const n = intBetween(rng, 4, 8);
        for (let i = 0; i < n; i++) this.actors.push(this.newActor('walk', t + (i === 0 ? 0 : uniform(rng, 0, 1500))));
        this.nextSpawn = t + uniform(rng, 15_000, 25_000);
        break;
      }
    }
  }

  private boxOf(a: Actor, p: number, t: number): { box: SimBox; x: number; y: number; visible: boolean } {
    const { x, y, w, h } = a.at(p, t);
    const raw = { x1: x - w / 2, y1: y - h, x2: x + w / 2, y2: y };
    const visible = raw.x2 > 0 && raw.x1 < 10000 && raw.y1 < 10000 && raw.y2 > 0;
    return { box: { x1: clampGrid(raw.x1), y1: clampGrid(raw.y1), x2: clampGrid(raw.x2), y2: clampGrid(raw.y2) }, x, y, visible };
  }

  /** Advances to virtual time t (ms, non-decreasing) and returns what the camera reports at t. */
  step(t: number): SceneEvent[] {
    while (t >= this.nextSpawn) this.spawn(this.nextSpawn);
    const out: SceneEvent[] = [];
    const visible: SimTarget[] = [];
    const alarms: SceneEvent[] = [];
    const statusOn: StatusChannel[] = [];

    const fire = (a: Actor, target: SimTarget, status: SmartStatus) => {
      const kind = KIND_OF[a.behaviour];
      if (a.eventId === undefined) {
        this.nextEventId += 1;
        a.eventId = this.nextEventId;
      }
      const ch = CHANNEL_OF[kind];
      if (ch) {
        if (!this.lastActivity.has(ch)) statusOn.push(ch);
        this.lastActivity.set(ch, t);
      }
      alarms.push({ type: 'alarm', kind, eventId: a.eventId, target, status, plate: a.plate, face: a.face });
      if (status === 'SMART_START' && this.rng() < 0.5) a.secondAt = t + uniform(this.rng, 600, 1400);
    };

    this.actors = this.actors.filter((a) => t < a.t0 + a.dur);
    for (const a of this.actors) {
      if (t < a.t0) continue;
      const p = (t - a.t0) / a.dur;
      const { box, x, y, visible: vis } = this.boxOf(a, p, t);
      if (!vis) {
        a.prevX = x;
        continue;
      }
      const target: SimTarget = { id: a.id, cls: a.cls, box };
      visible.push(target);
      const inZone = x >= 2500 && x <= 7500 && y >= 3000;
      const ch = CHANNEL_OF[KIND_OF[a.behaviour]];
      if (a.eventId !== undefined && ch && this.lastActivity.has(ch)) this.lastActivity.set(ch, t);
      if (a.eventId === undefined) {
        const crossed = a.prevX !== undefined && (a.prevX - 5000) * (x - 5000) <= 0 && a.prevX !== x;
        if (a.behaviour === 'walk' && inZone) fire(a, target, 'SMART_START');
        else if ((a.behaviour === 'tripwire' || a.behaviour === 'car') && crossed) fire(a, target, 'SMART_START');
        else if (a.behaviour === 'face' && p >= 0.45) fire(a, target, 'SMART_START');
        else if (a.behaviour === 'loiter') {
          if (inZone) a.zoneSince ??= t;
          else a.zoneSince = undefined;
          if (a.zoneSince !== undefined && t - a.zoneSince >= 10_000) fire(a, target, 'SMART_START');
        }
      } else if (a.secondAt !== undefined && t >= a.secondAt) {
        a.secondAt = undefined;
        fire(a, target, 'SMART_PROCEDURE');
      }
      a.prevX = x;
    }

    if (visible.length) out.push({ type: 'traject', targets: visible });
    for (const ch of statusOn) out.push({ type: 'status', channel: ch, on: true });
    out.push(...alarms);
    for (const [ch, last] of [...this.lastActivity]) {
      if (t - last >= this.opts.alarmHoldMs) {
        this.lastActivity.delete(ch);
        out.push({ type: 'status', channel: ch, on: false });
      }
    }
    return out;
  }
}
