import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import type { SourceConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { MediaLink } from './common.js';

/**
 * Optional download of the signed, expiring clip/snapshot URLs a verdict
 * carries (download_media.enabled). Runs only after the 2xx went out and never
 * changes the stored event (events are immutable once committed and may
 * already be on their way to sinks): the result is logged with the event id,
 * file, bytes and sha256, and counted in camrelay_hook_media_downloads_total.
 */
export interface MediaResult {
  url: string;
  kind: MediaLink['kind'];
  ok: boolean;
  /** path relative to the images folder */
  file?: string;
  bytes?: number;
  sha256?: string;
  error?: string;
}

const EXT: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/quicktime': 'mov',
};

/** At most this many downloads run at once; the rest wait (bounded). */
const MAX_CONCURRENT = 2;
const MAX_QUEUED = 200;

export class MediaDownloader {
  private running = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private readonly log: Logger;
  private idle: (() => void)[] = [];

  constructor(
    private readonly imagesDir: string,
    private readonly deps: { logger: Logger; metrics: Metrics },
  ) {
    this.log = deps.logger.child({ component: 'sources.media' });
  }

  /** Queues the downloadable links of one event; returns immediately. */
  enqueue(src: SourceConfig, eventId: string, links: MediaLink[], onDone?: (r: MediaResult[]) => void): void {
    const todo = links.filter((l) => l.kind === 'clip' || l.kind === 'snapshot' || l.kind === 'image' || l.kind === 'video');
    if (todo.length === 0) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.deps.metrics.hookMedia.inc({ source: src.id, result: 'queue_full' }, todo.length);
      this.log.warn({ source: src.id, event: eventId }, 'media download queue full: skipped');
      return;
    }
    this.queue.push(async () => {
      const results: MediaResult[] = [];
      for (const [i, l] of todo.entries()) results.push(await this.fetchOne(src, eventId, i, l));
      onDone?.(results);
    });
    this.pump();
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private pump(): void {
    while (this.running < MAX_CONCURRENT && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      job()
        .catch((e: unknown) => this.log.error({ err: e }, 'media job failed'))
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) for (const w of this.idle.splice(0)) w();
        });
    }
  }

  private async fetchOne(src: SourceConfig, eventId: string, n: number, l: MediaLink): Promise<MediaResult> {
    const { max_bytes, timeout_ms } = src.download_media;
    const dirRel = join('sources', src.id);
    const dir = join(this.imagesDir, dirRel);
    const base = { url: redact(l.url), kind: l.kind };
    let tmp: string | null = null;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`timeout after ${timeout_ms} ms`)), timeout_ms);
    try {
      const res = await request(l.url, { method: 'GET', signal: ac.signal, headersTimeout: timeout_ms, bodyTimeout: timeout_ms });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        res.body.resume();
        return this.done(src, eventId, { ...base, ok: false, error: `HTTP ${res.statusCode}` }, 'http_error');
      }
      const declared = Number(res.headers['content-length'] ?? -1);
      if (declared > max_bytes) {
        res.body.destroy();
        return this.done(src, eventId, { ...base, ok: false, error: `declared ${declared} bytes > max_bytes ${max_bytes}` }, 'too_large');
      }
      const ctype = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const ext = EXT[ctype] ?? (l.kind === 'clip' || l.kind === 'video' ? 'mp4' : 'jpg');
      await mkdir(dir, { recursive: true });
      const name = `${eventId}-${n}.${ext}`;
      tmp = join(dir, `.${name}.part`);
      const out = createWriteStream(tmp);
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        for await (const chunk of res.body) {
          const c = chunk as Buffer;
          bytes += c.length;
          if (bytes > max_bytes) throw new TooLarge(`over max_bytes ${max_bytes}`);
          hash.update(c);
          if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
      } finally {
        await new Promise<void>((r) => out.end(() => r()));
      }
      await rename(tmp, join(dir, name));
      tmp = null;
      return this.done(src, eventId, { ...base, ok: true, file: join(dirRel, name), bytes, sha256: hash.digest('hex') }, 'ok');
    } catch (e) {
      const tooLarge = e instanceof TooLarge;
      return this.done(src, eventId, { ...base, ok: false, error: (e as Error).message }, tooLarge ? 'too_large' : 'failed');
    } finally {
      clearTimeout(timer);
      if (tmp) await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  private done(src: SourceConfig, eventId: string, r: MediaResult, result: string): MediaResult {
    this.deps.metrics.hookMedia.inc({ source: src.id, result });
    if (r.ok) this.log.info({ source: src.id, event: eventId, media: r }, 'media downloaded');
    else this.log.warn({ source: src.id, event: eventId, media: r }, `media download failed: ${r.error}`);
    return r;
  }
}

class TooLarge extends Error {}

/** Signed URLs carry their credential in the query string: never log it. */
function redact(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
