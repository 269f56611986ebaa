import { z } from 'zod';
import { buildEvent, mediaLink, normConfidence, platformId, timeLike, type MediaLink } from './common.js';
import type { SourceAdapter } from './types.js';

/**
 * Gaard classification results. Gaard signs nothing: the source is protected
 * by `path_secret` and/or `allowed_cidrs` (checked by the router).
 * A result with error_code != 0 is a finished result that failed: it is an
 * event (the analysis ran and said so), not a transport failure.
 */
export const gaardSchema = z.looseObject({
  id: platformId,
  status: z.string().max(64).optional(),
  camera_id: platformId.optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  risk: z.union([z.number(), z.string().max(64)]).nullish(),
  labels: z.array(z.string().max(256)).max(256).nullish(),
  /** label → score, or scores aligned with labels */
  scores: z.union([z.record(z.string(), z.number()), z.array(z.number())]).nullish(),
  error_code: z.number().int().default(0),
  error_msg: z.string().max(4096).nullish(),
  video: z.union([z.string(), z.looseObject({ url: z.string().optional() })]).nullish(),
  created_at: timeLike.optional(),
});

export type GaardResult = z.infer<typeof gaardSchema>;

/** The top-scoring label and its score, from either scores shape. */
export function topScore(labels: string[], scores: GaardResult['scores']): { label?: string; score?: number } {
  if (!scores) return {};
  let best: { label?: string; score?: number } = {};
  const entries: [string | undefined, number][] = Array.isArray(scores)
    ? scores.map((s, i) => [labels[i], s])
    : Object.entries(scores);
  for (const [label, score] of entries) {
    if (best.score === undefined || score > best.score) best = { label, score };
  }
  return best;
}

export const gaard: SourceAdapter<GaardResult> = {
  needsSecret: () => false,
  verify: () => null,
  schema: () => gaardSchema,
  map(r, { src, req }) {
    const labels = r.labels ?? [];
    const top = topScore(labels, r.scores);
    const failed = r.error_code !== 0;
    const videoUrl = typeof r.video === 'string' ? r.video : r.video?.url;
    const media: MediaLink[] = mediaLink('clip', videoUrl);
    return [
      buildEvent({
        src,
        receivedAt: req.receivedAt,
        platformEventId: r.id,
        cameraId: r.camera_id,
        time: r.created_at,
        label: top.label ?? labels[0],
        labels: Object.keys(r.scores && !Array.isArray(r.scores) ? r.scores : {}).concat(labels),
        confidence: failed ? undefined : normConfidence(top.score),
        // An errored result says nothing about the scene: never an alarm kind of its own.
        type: failed ? 'alarm.analytics' : undefined,
        risk: r.risk ?? undefined,
        media,
        extra: {
          status: r.status ?? (failed ? 'error' : 'done'),
          ...(failed ? { error: { code: r.error_code, message: r.error_msg ?? null } } : {}),
          ...(r.scores ? { scores: r.scores } : {}),
          ...(r.metadata ? { metadata: r.metadata } : {}),
        },
      }),
    ];
  },
};
