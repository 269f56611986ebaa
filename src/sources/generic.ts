import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../core/event.js';
import type { SourceConfig } from '../config/schema.js';
import { buildEvent, getPath, normConfidence } from './common.js';
import { classFor } from './labels.js';
import { getHeader, verifyHexHmac, verifyStandardWebhook } from './signature.js';
import type { SourceAdapter } from './types.js';

/**
 * Any JSON webhook: the fields are found by dot-notation paths from
 * `fields`, and the body is signed per `signature.scheme`.
 */
type Fields = SourceConfig['fields'];
type FieldKey = keyof Fields;

const scalar = z.union([z.string().max(4096), z.number()]);
const FIELD_RULES: Record<FieldKey, z.ZodType> = {
  id: z.union([z.string().min(1).max(256), z.number()]),
  time: scalar,
  camera: z.union([z.string().min(1).max(256), z.number()]),
  type: z.string().min(1).max(256),
  class: z.string().max(256),
  confidence: z.union([z.number().min(0).max(100), z.string().regex(/^\s*\d+(\.\d+)?\s*$/, 'expected a number')]),
  label: z.string().max(256),
};

export interface GenericVerdict {
  body: Record<string, unknown>;
  /** webhook-id of a Standard Webhooks post: the id when the body has none */
  fallbackId?: string;
}

function genericSchema(src: SourceConfig): z.ZodType<Record<string, unknown>> {
  const fields = src.fields;
  const swh = src.signature.scheme === 'standard-webhooks';
  return z.record(z.string(), z.unknown()).superRefine((body, ctx) => {
    for (const key of Object.keys(FIELD_RULES) as FieldKey[]) {
      const path = fields[key];
      if (path === undefined) continue;
      const v = getPath(body, path);
      const segs = path.split('.');
      if (v === undefined || v === null) {
        // Standard Webhooks posts carry a stable webhook-id: it stands in for a missing id.
        if (key === 'id' && !swh) ctx.addIssue({ code: 'custom', path: segs, message: `required (fields.id = "${path}")` });
        continue;
      }
      const r = FIELD_RULES[key].safeParse(v);
      if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: [...segs, ...i.path], message: `${i.message} (fields.${key})` });
    }
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

export const generic: SourceAdapter<Record<string, unknown>> = {
  needsSecret: (src) => src.signature.scheme !== 'none',
  verify(req, src, now) {
    const scheme = src.signature.scheme;
    if (scheme === 'none') return null;
    if (!src.secret) return 'no secret configured for this source';
    if (scheme === 'hmac-sha256') {
      return verifyHexHmac('sha256', req.body, src.secret, getHeader(req.headers, src.signature.header), src.signature.encoding)
        ? null
        : `missing or wrong ${src.signature.header}`;
    }
    return verifyStandardWebhook(req.body, src.secret, req.headers, now);
  },
  schema: genericSchema,
  map(body, { src, req }) {
    const f = src.fields;
    const at = (k: FieldKey) => (f[k] === undefined ? undefined : getPath(body, f[k]));
    const id = str(at('id')) ?? getHeader(req.headers, 'webhook-id');
    if (id === undefined) throw new Error('generic source: no id (schema should have refused)');
    const rawType = str(at('type'));
    const given = rawType?.replace(/^camrelay\./, '');
    // Only alarm kinds: a webhook must not forge camera.offline, output.on or presence events.
    const type = given && given.startsWith('alarm.') && (EVENT_TYPES as readonly string[]).includes(given) ? (given as EventType) : undefined;
    // A camrelay type names the kind, not what was seen: it is no label.
    const label = str(at('label')) ?? (type ? undefined : rawType);
    const clsRaw = str(at('class'));
    const time = at('time');
    return [
      buildEvent({
        src,
        receivedAt: req.receivedAt,
        platformEventId: id,
        cameraId: str(at('camera')),
        time: typeof time === 'string' || typeof time === 'number' ? time : undefined,
        label,
        labels: rawType && !type && rawType !== label ? [rawType] : [],
        confidence: normConfidence(at('confidence')),
        type,
        cls: clsRaw ? (classFor([clsRaw]) ?? 'unknown') : undefined,
        extra: clsRaw ? { class: clsRaw } : {},
      }),
    ];
  },
};
