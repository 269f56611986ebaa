import type { z } from 'zod';
import type { SourceConfig } from '../config/schema.js';
import type { CamEvent } from '../core/event.js';
import type { IngestRequest } from '../ingest/server.js';

/** What one platform contributes: its authentication, its schema, its mapping. */
export interface SourceAdapter<T = unknown> {
  /**
   * Checks what the platform signs. Returns null when the post is authentic,
   * else the reason it is refused (answered 401). `now` is the box clock (ms).
   */
  verify(req: IngestRequest, src: SourceConfig, now: number): string | null;
  /** The zod schema of the body; unknown fields pass (platforms add fields). */
  schema(src: SourceConfig): z.ZodType<T>;
  /** Validated body → events. Pure. */
  map(body: T, ctx: { src: SourceConfig; req: IngestRequest }): CamEvent[];
  /**
   * The platform gives up after a few seconds and never retries a timeout:
   * answer 503 (which it retries) before this many ms rather than risk silence.
   */
  answerWithinMs?: number;
  /** verify() needs `secret` configured */
  needsSecret(src: SourceConfig): boolean;
}
