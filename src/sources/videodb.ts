import { z } from 'zod';
import { buildEvent, mediaLink, normConfidence, platformId, timeLike } from './common.js';
import type { SourceAdapter } from './types.js';

/**
 * VideoDB alerts (an rtstream event matched a prompt). Delivered at least
 * once, so the event_id dedupe is what keeps a retry from firing twice.
 * VideoDB signs nothing: use path_secret and/or allowed_cidrs.
 */
export const videodbSchema = z.looseObject({
  event_id: platformId,
  label: z.string().min(1).max(256),
  confidence: z.number().min(0).max(100).optional(),
  explanation: z.string().max(16_384).optional(),
  timestamp: timeLike.optional(),
  start_time: timeLike.optional(),
  end_time: timeLike.optional(),
  stream_url: z.string().max(4096).optional(),
  player_url: z.string().max(4096).optional(),
  /** which stream raised it: the camera key for camera_map */
  rtstream_id: platformId.optional(),
  stream_id: platformId.optional(),
  camera_id: platformId.optional(),
});

export type VideoDbAlert = z.infer<typeof videodbSchema>;

export const videodb: SourceAdapter<VideoDbAlert> = {
  needsSecret: () => false,
  verify: () => null,
  schema: () => videodbSchema,
  map(a, { src, req }) {
    return [
      buildEvent({
        src,
        receivedAt: req.receivedAt,
        platformEventId: a.event_id,
        cameraId: a.camera_id ?? a.rtstream_id ?? a.stream_id,
        time: a.timestamp ?? a.start_time,
        label: a.label,
        confidence: normConfidence(a.confidence),
        explanation: a.explanation,
        media: [...mediaLink('clip', a.stream_url), ...mediaLink('player', a.player_url)],
        extra: {
          ...(a.start_time !== undefined ? { start_time: a.start_time } : {}),
          ...(a.end_time !== undefined ? { end_time: a.end_time } : {}),
        },
      }),
    ];
  },
};
