import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SourceConfig } from '../config/schema.js';
import type { CamEvent, EventType, TargetClass } from '../core/event.js';
import { classFor, eventTypeFor } from './labels.js';

/**
 * Helpers every source mapping shares. Pure: time comes in as `receivedAt`.
 */

export interface MediaLink {
  /** clip/snapshot are downloadable; player is a web page */
  kind: 'clip' | 'snapshot' | 'player' | 'image' | 'video';
  url: string;
}

/** A platform id, as a string whichever way the platform sends it. */
export const platformId = z.union([z.string().min(1).max(256), z.number().int().nonnegative()]).transform(String);

/** ISO string, epoch seconds or epoch ms. */
export const timeLike = z.union([z.string().min(1).max(64), z.number()]);

/**
 * The camrelay event id: deterministic from source id + the platform's id +
 * stage, so every retry of the same verdict lands on the same id and the
 * store's dedupe drops it. Hashed so any platform id makes a safe id.
 */
export function deriveEventId(sourceId: string, platformEventId: string, stage = ''): string {
  const h = createHash('sha256').update(`${sourceId}\n${platformEventId}\n${stage}`).digest('hex');
  return `hook-${sourceId}-${h.slice(0, 32)}`;
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The platform's camera id → a configured camera id via camera_map, else `<source>-<their id>` sanitized. */
export function mapCamera(src: Pick<SourceConfig, 'id' | 'camera_map'>, theirId: string | undefined): string {
  if (theirId === undefined || theirId === '') return src.id;
  const mapped = src.camera_map[theirId];
  if (mapped) return mapped;
  return sanitize(`${src.id}-${theirId}`).slice(0, 64);
}

const Y2000 = Date.UTC(2000, 0, 1);

/** Epoch seconds (< 1e11), epoch ms or an ISO string → ms; null when unusable. */
export function toEpochMs(v: string | number | undefined | null): number | null {
  if (v === undefined || v === null) return null;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (/^\s*\d+(\.\d+)?\s*$/.test(v)) n = Number(v);
  else {
    const t = Date.parse(v);
    return Number.isFinite(t) && t >= Y2000 ? t : null;
  }
  if (!Number.isFinite(n) || n <= 0) return null;
  const ms = n < 1e11 ? n * 1000 : n;
  return ms >= Y2000 ? Math.round(ms) : null;
}

export function eventTime(v: string | number | undefined | null, receivedAt: number): { time: string; time_source: 'device' | 'received' } {
  const ms = toEpochMs(v);
  return ms === null ? { time: new Date(receivedAt).toISOString(), time_source: 'received' } : { time: new Date(ms).toISOString(), time_source: 'device' };
}

/** 0..1; a value above 1 is read as a percentage. */
export function normConfidence(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  const c = n > 1 ? n / 100 : n;
  return Math.min(1, Math.round(c * 10000) / 10000);
}

/** Dot-notation path into parsed JSON (`a.b.0.c`); undefined when any step is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      const i = Number(key);
      if (!Number.isInteger(i)) return undefined;
      cur = cur[i];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return cur;
}

/** "labels.0: expected string, received number; id: required" — the failing paths first. */
export function formatZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

export interface VerdictInput {
  src: SourceConfig;
  receivedAt: number;
  /** the platform's id of this verdict (dedupe key) */
  platformEventId: string;
  /** e.g. Turing's base/processed; part of the dedupe key */
  stage?: string;
  cameraId?: string;
  time?: string | number | null;
  /** primary label (the top-scoring one) */
  label?: string;
  labels?: string[];
  confidence?: number;
  /** overrides the label table */
  type?: EventType;
  /** overrides the label table's class */
  cls?: TargetClass;
  risk?: number | string;
  explanation?: string;
  media?: MediaLink[];
  extra?: Record<string, unknown>;
}

/** One verdict → one camrelay event with the common data fields (docs/sources.md). */
export function buildEvent(v: VerdictInput): CamEvent {
  const labels = dedupeStrings([...(v.label ? [v.label] : []), ...(v.labels ?? [])]);
  const camera = mapCamera(v.src, v.cameraId);
  const { time, time_source } = eventTime(v.time, v.receivedAt);
  const cls = v.cls ?? classFor(labels);
  const data: CamEvent['data'] = {
    camera,
    received_at: new Date(v.receivedAt).toISOString(),
    time_source,
    source: v.src.id,
    platform: v.src.kind,
    platform_event_id: v.platformEventId,
  };
  if (v.stage) data.stage = v.stage;
  if (v.cameraId !== undefined) data.platform_camera = v.cameraId;
  data.label = v.label ?? labels[0] ?? null;
  data.labels = labels;
  if (v.confidence !== undefined) data.confidence = v.confidence;
  if (v.risk !== undefined) data.risk = v.risk;
  if (cls) data.targets = [{ class: cls }];
  if (v.explanation !== undefined) data.explanation = v.explanation;
  data.media = v.media ?? [];
  Object.assign(data, v.extra);
  return {
    id: deriveEventId(v.src.id, v.platformEventId, v.stage),
    type: v.type ?? eventTypeFor(labels),
    camera,
    time,
    data,
  };
}

function dedupeStrings(xs: string[]): string[] {
  return [...new Set(xs.filter((x) => x.length > 0))];
}

/** A media URL we may fetch: absolute http(s) only. */
export function mediaLink(kind: MediaLink['kind'], url: unknown): MediaLink[] {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return [];
  return [{ kind, url }];
}
