import { z } from 'zod';
import type { EventType } from '../core/event.js';
import { buildEvent, mediaLink, normConfidence, platformId, timeLike, type MediaLink } from './common.js';
import { classFor } from './labels.js';
import { getHeader, verifyHexHmac } from './signature.js';
import type { SourceAdapter } from './types.js';

/**
 * Turing video events: people/vehicle, posted once at the base stage and again
 * when processed (faces, vehicle attributes). Turing signs the raw body
 * (`x-turingvideo-signature`, hex HMAC-MD5) without a timestamp, so a replay
 * is caught only by the dedupe on event_id + stage. Turing waits 5 s, never
 * retries a timeout and retries 429/5xx three times: we answer within 900 ms.
 */
const named = z.looseObject({ id: platformId.optional(), name: z.string().max(256).optional() });

const face = z.looseObject({
  face_id: platformId.optional(),
  name: z.string().max(256).nullish(),
  age: z.number().nullish(),
  gender: z.string().max(32).nullish(),
  confidence: z.number().nullish(),
  image_url: z.string().nullish(),
});

const vehicle = z.looseObject({
  plate: z.string().max(32).nullish(),
  license_plate: z.string().max(32).nullish(),
  color: z.string().max(64).nullish(),
  make: z.string().max(64).nullish(),
  model: z.string().max(64).nullish(),
  type: z.string().max(64).nullish(),
  confidence: z.number().nullish(),
});

export const turingSchema = z.looseObject({
  event_id: platformId,
  event_type: z.string().min(1).max(64),
  /** "base" or "processed"; absent: processed when metadata is present */
  stage: z.string().min(1).max(32).optional(),
  timestamp: timeLike.optional(),
  camera: z.union([platformId, named]).optional(),
  site: z.union([platformId, named]).optional(),
  mediums: z
    .array(z.looseObject({ type: z.string().max(32).optional(), name: z.string().max(256).optional(), url: z.string().max(4096) }))
    .max(64)
    .default([]),
  metadata: z
    .looseObject({
      faces: z.array(face).max(256).optional(),
      vehicle: vehicle.optional(),
      vehicles: z.array(vehicle).max(256).optional(),
      confidence: z.number().optional(),
    })
    .nullish(),
  confidence: z.number().optional(),
});

export type TuringEvent = z.infer<typeof turingSchema>;

export const TURING_SIGNATURE_HEADER = 'x-turingvideo-signature';

function idOf(v: TuringEvent['camera'] | TuringEvent['site']): { id?: string; name?: string } {
  if (v === undefined) return {};
  return typeof v === 'string' ? { id: v } : { id: v.id, name: v.name };
}

function mediumKind(type: string | undefined, url: string): MediaLink['kind'] {
  const t = (type ?? '').toLowerCase();
  if (t.includes('video') || t.includes('clip') || /\.(mp4|m3u8|mov|webm)(\?|$)/i.test(url)) return 'clip';
  return 'snapshot';
}

export const turing: SourceAdapter<TuringEvent> = {
  needsSecret: () => true,
  answerWithinMs: 900,
  verify(req, src) {
    if (!src.secret) return 'no secret configured for this source';
    return verifyHexHmac('md5', req.body, src.secret, getHeader(req.headers, TURING_SIGNATURE_HEADER))
      ? null
      : `missing or wrong ${TURING_SIGNATURE_HEADER}`;
  },
  schema: () => turingSchema,
  map(e, { src, req }) {
    const meta = e.metadata ?? undefined;
    const stage = e.stage ?? (meta && Object.keys(meta).length > 0 ? 'processed' : 'base');
    const cam = idOf(e.camera);
    const site = idOf(e.site);
    const faces = meta?.faces ?? [];
    const vehicles = [...(meta?.vehicle ? [meta.vehicle] : []), ...(meta?.vehicles ?? [])];
    const plate = vehicles.map((v) => v.plate ?? v.license_plate).find((p): p is string => typeof p === 'string' && p.length > 0);
    // Attributes make the processed stage more specific than the base "people"/"vehicle".
    const type: EventType | undefined = plate ? 'alarm.lpr' : faces.length > 0 ? 'alarm.face' : undefined;
    const media = e.mediums.flatMap((m) => mediaLink(mediumKind(m.type, m.url), m.url));
    const confidence = normConfidence(e.confidence ?? meta?.confidence ?? faces[0]?.confidence ?? vehicles[0]?.confidence ?? undefined);
    return [
      buildEvent({
        src,
        receivedAt: req.receivedAt,
        platformEventId: e.event_id,
        stage,
        cameraId: cam.id,
        time: e.timestamp,
        label: e.event_type,
        confidence,
        type,
        cls: classFor([e.event_type]),
        media,
        extra: {
          ...(cam.name ? { platform_camera_name: cam.name } : {}),
          ...(site.id || site.name ? { platform_site: site } : {}),
          ...(plate ? { plate } : {}),
          ...(faces.length ? { faces } : {}),
          ...(vehicles.length ? { vehicles } : {}),
        },
      }),
    ];
  },
};
