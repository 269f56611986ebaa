import { resolve, join } from 'node:path';
import type { Config, SourceConfig } from '../config/schema.js';
import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { CamEvent } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { IngestReply, IngestRequest } from '../ingest/server.js';
import { makeSourceFilter, safeEqual } from '../ingest/net.js';
import { StorageUnavailable, type EventStore, type StoredEvent } from '../storage/types.js';
import { formatZodError, type MediaLink } from './common.js';
import { gaard } from './gaard.js';
import { generic } from './generic.js';
import { MediaDownloader, type MediaResult } from './media.js';
import { turing } from './turing.js';
import type { SourceAdapter } from './types.js';
import { videodb } from './videodb.js';

export interface SourceRouterDeps {
  store: EventStore;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  bus: Bus;
  /** newly committed events (never duplicates), for the rules */
  onEvents: (events: CamEvent[]) => void;
  /** test hook: every finished media download batch */
  onMedia?: (eventId: string, results: MediaResult[]) => void;
}

export interface SourceRouter {
  handle: (source: string, rest: string, req: IngestRequest) => IngestReply | Promise<IngestReply>;
  /** resolves when no media download is queued or running */
  idle: () => Promise<void>;
}

const ADAPTERS: Record<SourceConfig['kind'], SourceAdapter<never>> = {
  gaard: gaard as SourceAdapter<never>,
  turing: turing as SourceAdapter<never>,
  videodb: videodb as SourceAdapter<never>,
  generic: generic as SourceAdapter<never>,
};

const JSON_CT = 'application/json';
const TIMED_OUT = Symbol('timed out');

function reply(status: number, body: Record<string, unknown>, headers?: Record<string, string>): IngestReply {
  return { status, body: JSON.stringify(body), contentType: JSON_CT, headers };
}

interface Entry {
  src: SourceConfig;
  adapter: SourceAdapter<unknown>;
  /** built once: the generic schema depends on the source's field paths */
  schema: ReturnType<SourceAdapter<unknown>['schema']>;
  allow: (addr: string | undefined) => boolean;
}

/**
 * `POST /hooks/{source}[/{path_secret}]`: authenticate (CIDR, path secret,
 * signature over the raw bytes), validate (zod), map, commit, and only then
 * answer 2xx. Slow work (media downloads) happens after the answer.
 */
export function createSourceRouter(config: Config, deps: SourceRouterDeps): SourceRouter {
  const log = deps.logger.child({ component: 'sources' });
  const entries = new Map<string, Entry>();
  for (const src of config.sources) {
    const adapter = ADAPTERS[src.kind] as SourceAdapter<unknown>;
    entries.set(src.id, { src, adapter, schema: adapter.schema(src), allow: makeSourceFilter(src.allowed_cidrs) });
    if (adapter.needsSecret(src) && !src.secret)
      log.error({ source: src.id, kind: src.kind }, `source "${src.id}" (${src.kind}) needs a secret to verify posts: every post is refused with 401 until one is configured`);
    if (!adapter.needsSecret(src) && !src.path_secret && src.allowed_cidrs.length === 0)
      log.warn({ source: src.id, kind: src.kind }, `source "${src.id}" verifies nothing: anyone who can reach /hooks/${src.id} can post events (set path_secret or allowed_cidrs)`);
  }
  const imagesDir = join(resolve(config.storage.data_dir), config.storage.images_dir);
  const media = new MediaDownloader(imagesDir, { logger: deps.logger, metrics: deps.metrics });

  /** ids of hook events whose append has not resolved yet */
  const inflight = new Set<string>();
  const count = (source: string, result: string) => deps.metrics.hookPosts.inc({ source, result });

  function quarantine(src: SourceConfig, req: IngestRequest, reason: string, detail: string): void {
    deps.metrics.quarantine.inc({ reason: `hook_${reason}` });
    try {
      deps.store.quarantine({ reason: `${reason}: ${detail}`, source: req.remote, kind: `hook:${src.id}`, body: req.body });
    } catch (err) {
      log.error({ err, source: src.id }, 'could not write quarantine record');
    }
  }

  function afterCommit(src: SourceConfig, stored: StoredEvent[]): void {
    if (stored.length === 0) return;
    const events = stored.map((s) => s.event);
    deps.bus.emit('committed', events);
    try {
      deps.onEvents(events);
    } catch (err) {
      log.error({ err, source: src.id }, 'rules failed on hook events');
    }
  }

  async function commit(entry: Entry, events: CamEvent[], req: IngestRequest): Promise<IngestReply> {
    const { src, adapter } = entry;
    const ids = events.map((e) => e.id);
    // A retry of a committed verdict is answered at once, even while storage is
    // slow. Only ids this router is not still appending count: the store's
    // hasEvent() also says yes for ids in flight, which are not durable yet.
    if (ids.every((id) => !inflight.has(id) && deps.store.hasEvent(id))) {
      count(src.id, 'duplicate');
      deps.metrics.eventsDeduped.inc(ids.length);
      return reply(200, { status: 'duplicate', ids });
    }
    for (const id of ids) inflight.add(id);
    const pending = deps.store
      .append(events)
      .then((stored) => {
        afterCommit(src, stored);
        return stored;
      })
      .finally(() => {
        for (const id of ids) inflight.delete(id);
      });
    let stored: StoredEvent[] | typeof TIMED_OUT;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (adapter.answerWithinMs === undefined) stored = await pending;
      else {
        // The budget started when the request arrived, not now.
        const spent = Math.min(Math.max(deps.clock.now() - req.receivedAt, 0), adapter.answerWithinMs);
        const deadline = new Promise<typeof TIMED_OUT>((r) => {
          timer = setTimeout(() => r(TIMED_OUT), adapter.answerWithinMs! - spent);
        });
        stored = await Promise.race([pending, deadline]);
      }
    } catch (e) {
      if (e instanceof StorageUnavailable) {
        count(src.id, 'storage_unavailable');
        log.error({ source: src.id, err: e.message }, 'storage unavailable: hook answered 503');
        return reply(503, { error: 'storage unavailable: event not stored, please retry' }, { 'Retry-After': '5' });
      }
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (stored === TIMED_OUT) {
      // The append goes on: if it commits, the platform's retry is a duplicate.
      pending.catch((e: unknown) => log.error({ source: src.id, err: e }, 'late hook commit failed'));
      count(src.id, 'slow_storage');
      log.warn({ source: src.id, ms: adapter.answerWithinMs }, 'storage slower than the platform waits: answered 503 so it retries');
      return reply(503, { error: 'storage slow, please retry' }, { 'Retry-After': '1' });
    }
    if (stored.length === 0) {
      count(src.id, 'duplicate');
      deps.metrics.eventsDeduped.inc(events.length);
      return reply(200, { status: 'duplicate', ids });
    }
    count(src.id, 'ok');
    if (src.download_media.enabled) {
      // After the answer: the reply is written in a microtask, this runs later.
      const todo = stored.map((s) => s.event);
      setImmediate(() => {
        for (const ev of todo) {
          const links = Array.isArray(ev.data.media) ? (ev.data.media as MediaLink[]) : [];
          media.enqueue(src, ev.id, links, (r) => deps.onMedia?.(ev.id, r));
        }
      });
    }
    return reply(200, { status: 'accepted', ids });
  }

  function handle(source: string, rest: string, req: IngestRequest): IngestReply | Promise<IngestReply> {
    const entry = entries.get(source);
    if (!entry) {
      count('unknown', 'not_found');
      return reply(404, { error: 'not found' });
    }
    const { src, adapter } = entry;
    if (!entry.allow(req.remote)) {
      count(src.id, 'forbidden');
      log.warn({ source: src.id, remote: req.remote }, 'hook post from an address outside allowed_cidrs');
      return reply(403, { error: 'forbidden' });
    }
    // A wrong path secret looks exactly like an unknown source.
    const secretOk = src.path_secret ? safeEqual(rest, src.path_secret) : rest === '';
    if (!secretOk) {
      count(src.id, 'not_found');
      log.warn({ source: src.id, remote: req.remote }, 'hook post with a wrong or missing path secret');
      return reply(404, { error: 'not found' });
    }
    if (req.body.length > src.max_body_bytes) {
      count(src.id, 'too_large');
      quarantine(src, req, 'too_large', `${req.body.length} bytes > max_body_bytes ${src.max_body_bytes}`);
      return reply(413, { error: `body exceeds ${src.max_body_bytes} bytes` });
    }
    const bad = adapter.verify(req, src, deps.clock.now());
    if (bad) {
      count(src.id, 'unauthorized');
      quarantine(src, req, 'bad_signature', bad);
      log.warn({ source: src.id, remote: req.remote }, `hook post refused: ${bad}`);
      return reply(401, { error: 'signature verification failed' });
    }
    let json: unknown;
    try {
      // A UTF-8 BOM is legal in front of JSON from some senders; JSON.parse refuses it.
      const text = req.body.toString('utf8');
      json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (e) {
      count(src.id, 'bad_json');
      quarantine(src, req, 'bad_json', (e as Error).message);
      return reply(400, { error: `invalid JSON: ${(e as Error).message}` });
    }
    const parsed = entry.schema.safeParse(json);
    if (!parsed.success) {
      const msg = formatZodError(parsed.error);
      count(src.id, 'invalid');
      quarantine(src, req, 'schema', msg);
      log.warn({ source: src.id, remote: req.remote, error: msg }, 'hook post does not match the schema');
      return reply(400, { error: `schema violation: ${msg}` });
    }
    const events = adapter.map(parsed.data, { src, req });
    return commit(entry, events, req);
  }

  return { handle, idle: () => media.whenIdle() };
}
