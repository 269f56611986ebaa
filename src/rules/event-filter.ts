import type { RuleConfig } from '../config/schema.js';
import type { CamEvent } from '../core/event.js';

export type EventFilter = NonNullable<RuleConfig['when']['event']>;

/**
 * Does an event pass a rule's event filter? Every non-empty list must match
 * (AND across keys, OR within a list). Fields read from the normalized event:
 * - types: `alarm.lpr`, with or without the `camrelay.` prefix; `alarm.*` matches a prefix
 * - cameras: `event.camera`
 * - classes: `data.targets[].class` or `data.class`
 * - plate_lists: `data.plate_list` (case-insensitive: `whiteList` = `whitelist`)
 * - plates: `data.plate` or any of `data.plates[]`, compared without spaces/dashes, upper-case
 * - labels: `data.label` or any of `data.labels[]` (case-insensitive)
 * - sources: `data.source`
 * - min_confidence: `data.confidence` (0..1; a value above 1 is read as a percentage).
 *   LPR events carry `data.plate_confidence` instead: used when `confidence` is absent.
 *   An event without either fails a min_confidence filter.
 */
export function compileEventFilter(f: EventFilter): (ev: CamEvent) => boolean {
  const types = f.types.map((t) => t.replace(/^camrelay\./, ''));
  const exact = new Set(types.filter((t) => !t.endsWith('*')));
  const prefixes = types.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1));
  const cameras = new Set(f.cameras);
  const classes = new Set(f.classes.map(lower));
  const lists = new Set(f.plate_lists.map(lower));
  const plates = new Set(f.plates.map(normPlate));
  const labels = new Set(f.labels.map(lower));
  const sources = new Set(f.sources.map(lower));
  const minConf = f.min_confidence;

  return (ev) => {
    if (types.length > 0 && !exact.has(ev.type) && !prefixes.some((p) => ev.type.startsWith(p))) return false;
    if (cameras.size > 0 && !cameras.has(ev.camera)) return false;
    const d = ev.data;
    if (classes.size > 0 && !eventClasses(d).some((c) => classes.has(lower(c)))) return false;
    if (lists.size > 0 && !(typeof d.plate_list === 'string' && lists.has(lower(d.plate_list)))) return false;
    if (plates.size > 0 && !eventPlates(d).some((p) => plates.has(normPlate(p)))) return false;
    if (labels.size > 0 && !eventLabels(d).some((l) => labels.has(lower(l)))) return false;
    if (sources.size > 0 && !(typeof d.source === 'string' && sources.has(lower(d.source)))) return false;
    if (minConf !== undefined) {
      const c = confidence(d.confidence ?? d.plate_confidence);
      if (c === null || c < minConf) return false;
    }
    return true;
  };
}

function lower(s: string): string {
  return s.toLowerCase();
}

function normPlate(s: string): string {
  return s.replace(/[\s-]/g, '').toUpperCase();
}

/** classes an event names: data.targets[].class and data.class */
export function eventClasses(d: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof d.class === 'string') out.push(d.class);
  if (Array.isArray(d.targets))
    for (const t of d.targets) if (t && typeof t === 'object' && typeof (t as { class?: unknown }).class === 'string') out.push((t as { class: string }).class);
  return out;
}

function eventPlates(d: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof d.plate === 'string') out.push(d.plate);
  if (Array.isArray(d.plates)) for (const p of d.plates) if (typeof p === 'string') out.push(p);
  return out;
}

function eventLabels(d: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof d.label === 'string') out.push(d.label);
  if (Array.isArray(d.labels)) for (const l of d.labels) if (typeof l === 'string') out.push(l);
  return out;
}

function confidence(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return null;
  return n > 1 ? n / 100 : n;
}
