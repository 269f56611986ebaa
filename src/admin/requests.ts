import { z } from 'zod';
import { EVENT_TYPES } from '../core/event.js';
import type { EventQuery } from '../storage/types.js';

/**
 * Validation of the admin API's inputs (query strings and bodies). Pure:
 * each function returns the parsed value or a message for a 400.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const MAX_LIMIT = 1000;

/** ISO 8601 or epoch milliseconds (digits only). */
const instant = z.string().transform((s, ctx) => {
  const t = /^\d{1,16}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is neither an ISO 8601 time nor epoch milliseconds` });
    return z.NEVER;
  }
  return t;
});

const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

const eventType = z.string().transform((s, ctx) => {
  const t = s.startsWith('camrelay.') ? s.slice('camrelay.'.length) : s;
  if (!(EVENT_TYPES as readonly string[]).includes(t)) {
    ctx.addIssue({ code: 'custom', message: `unknown event type "${s}" (e.g. ${EVENT_TYPES.slice(0, 3).join(', ')}, ...)` });
    return z.NEVER;
  }
  return t;
});

const eventsQuerySchema = z
  .object({
    since: instant.optional(),
    until: instant.optional(),
    camera: z.string().min(1).max(64).optional(),
    type: eventType.optional(),
    limit: positiveInt(MAX_LIMIT).default(100),
    before: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, {
    message: '"since" is after "until"',
    path: ['since'],
  });

export function parseEventsQuery(params: URLSearchParams): Parsed<EventQuery & { limit: number }> {
  const raw: Record<string, string> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    if (all.length > 1) return { ok: false, message: `query parameter "${key}" given ${all.length} times` };
    raw[key] = all[0]!;
  }
  const r = eventsQuerySchema.safeParse(raw);
  if (!r.success) return { ok: false, message: zodMessage(r.error) };
  const q = r.data;
  const out: EventQuery & { limit: number } = { limit: q.limit };
  if (q.since !== undefined) out.since = q.since;
  if (q.until !== undefined) out.until = q.until;
  if (q.camera !== undefined) out.camera = q.camera;
  if (q.type !== undefined) out.type = q.type;
  if (q.before !== undefined) out.before = q.before;
  return { ok: true, value: out };
}

const overrideSchema = z
  .object({
    state: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(['on', 'off', 'auto'], { message: 'state must be "on", "off" or "auto"' })),
    for_s: z.number().positive().max(7 * 24 * 3600).optional(),
  })
  .strict()
  .refine((b) => !(b.state === 'auto' && b.for_s !== undefined), {
    message: '"for_s" applies to "on" and "off" only',
    path: ['for_s'],
  });

export function parseOverrideBody(text: string): Parsed<{ state: 'on' | 'off' | 'auto'; for_s?: number }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'body is not valid JSON' };
  }
  const r = overrideSchema.safeParse(json);
  if (!r.success) return { ok: false, message: zodMessage(r.error) };
  const v: { state: 'on' | 'off' | 'auto'; for_s?: number } = { state: r.data.state };
  if (r.data.for_s !== undefined) v.for_s = r.data.for_s;
  return { ok: true, value: v };
}

const outputId = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export function validOutputId(id: string): boolean {
  return outputId.test(id);
}

function zodMessage(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const where = i.path.length ? `${i.path.join('.')}: ` : '';
      if (i.code === 'unrecognized_keys') return `unknown parameter(s): ${i.keys.join(', ')}`;
      return `${where}${i.message}`;
    })
    .join('; ');
}
