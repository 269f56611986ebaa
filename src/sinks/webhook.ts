import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Agent, request } from 'undici';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { WebhookConfig } from '../config/schema.js';
import type { EventStore, StoredEvent } from '../storage/types.js';
import { parseRetryAfter, scheduleDelayMs } from './backoff.js';
import { signHeaders } from './signing.js';
import type { Sink, SinkStatus } from './types.js';
import { classifyStatus, matchesFilter, type Outcome } from './webhook-policy.js';

export interface WebhookSinkDeps {
  store: EventStore;
  logger: Logger;
  clock: Clock;
  site: string;
  /** absolute images folder: data.images[].file is relative to it */
  imagesDir: string;
  random?: () => number;
}

/** Events looked at per store read: filtered and expired ones are settled without a request. */
const SCAN = 200;
/** Response bodies are read (to free the connection) but never kept beyond this. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One webhook endpoint = one store sink `webhook:<id>` = one ordered queue.
 *
 * Ordering: exactly one request is in flight per endpoint; the head of the
 * queue is retried until it is delivered, dead-lettered (4xx, max_age) or the
 * endpoint is disabled (410). `batch_max` > 1 sends up to that many events in
 * one request (a JSON array of the stored bytes). `concurrency` sizes the
 * connection pool only: parallel requests would break the order guarantee.
 *
 * Circuit: after `circuit_failures` consecutive failures the endpoint is
 * "open": one probe request carrying a single event per backoff interval,
 * until one succeeds.
 */
export class WebhookSink implements Sink {
  readonly name: string;
  private readonly log: Logger;
  private readonly secrets: string[];
  private readonly agent: Agent;
  private readonly rand: () => number;

  private running = false;
  private busy = false;
  private again = false;
  private disabled = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private nextAttemptAt: number | null = null;
  private abort: AbortController | null = null;
  /** a refused batch is retried event by event up to this seq, so only the bad event is dead-lettered */
  private singlesThrough = 0;
  private current: Promise<void> | null = null;

  private lastError: string | null = null;
  private lastStatus: number | null = null;
  private lastSuccessAt: number | null = null;
  private delivered = 0;
  private deadLettered = 0;
  private filtered = 0;

  constructor(
    private readonly cfg: WebhookConfig,
    private readonly deps: WebhookSinkDeps,
  ) {
    this.name = `webhook:${cfg.id}`;
    this.log = deps.logger.child({ component: 'sink', sink: this.name });
    this.secrets = [...(cfg.secret ? [cfg.secret] : []), ...(cfg.secrets ?? [])];
    this.rand = deps.random ?? Math.random;
    this.agent = new Agent({
      connections: cfg.concurrency,
      headersTimeout: cfg.timeout_ms,
      bodyTimeout: cfg.timeout_ms,
      connect: {
        timeout: cfg.timeout_ms,
        rejectUnauthorized: true,
        ...(cfg.ca_file ? { ca: readFileSync(cfg.ca_file) } : {}),
      },
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.nextAttemptAt = null;
    const cur = this.current;
    if (cur) {
      // let the attempt in flight finish (bounded), then cut it
      const grace = Math.min(this.cfg.timeout_ms, 5000);
      const t = setTimeout(() => this.abort?.abort(new Error('sink stopping')), grace);
      await cur.catch(() => {});
      clearTimeout(t);
    }
    await this.agent.close().catch(() => this.agent.destroy().catch(() => {}));
  }

  notify(): void {
    this.kick();
  }

  status(): SinkStatus {
    return {
      name: this.name,
      kind: 'webhook',
      connected: !this.disabled && this.failures === 0,
      last_error: this.lastError,
      last_success_at: this.lastSuccessAt,
      url: redactUrl(this.cfg.url),
      disabled: this.disabled,
      circuit: this.failures >= this.cfg.circuit_failures ? 'open' : 'closed',
      consecutive_failures: this.failures,
      next_attempt_at: this.nextAttemptAt,
      last_status: this.lastStatus,
      delivered: this.delivered,
      dead_lettered: this.deadLettered,
      filtered: this.filtered,
    };
  }

  // ------------------------------------------------------------ loop

  private kick(): void {
    if (!this.running || this.disabled || this.retryTimer) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.current = this.drain()
      .catch((err) => {
        this.lastError = errMsg(err);
        this.log.error({ err: errMsg(err) }, 'webhook loop failed; retrying');
        this.wait(scheduleDelayMs(this.cfg.retry_schedule_s, Math.max(1, this.failures), this.rand));
      })
      .finally(() => {
        this.busy = false;
        this.current = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    while (this.running && !this.disabled && !this.retryTimer) {
      this.again = false;
      const batch = this.nextBatch();
      if (batch === null) {
        // settled some filtered/expired events: look again, yielding so a long run of them never blocks the loop
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (batch.length === 0) return;
      const outcome = await this.attempt(batch);
      if (!this.handle(batch, outcome)) return;
    }
  }

  /**
   * The next request's events, oldest first. Filtered events are acked and
   * expired ones dead-lettered on the way. null = settled something, read again.
   */
  private nextBatch(): StoredEvent[] | null {
    const { store, clock } = this.deps;
    // Read only a little more than one request needs: every row read is a JSON parse, per request.
    const rows = store.pending(this.name, Math.min(SCAN, Math.max(16, this.cfg.batch_max * 2)));
    const now = clock.now();
    const head = rows.find((r) => matchesFilter(this.cfg.filter, r.event));
    const single = this.failures >= this.cfg.circuit_failures || (head !== undefined && head.seq <= this.singlesThrough);
    const max = single ? 1 : this.cfg.batch_max;
    const batch: StoredEvent[] = [];
    const skip: number[] = [];
    let settled = false;
    for (const r of rows) {
      if (!matchesFilter(this.cfg.filter, r.event)) {
        skip.push(r.seq);
        continue;
      }
      if (now - r.stored_at >= this.cfg.max_age_s * 1000) {
        if (batch.length > 0) break; // expire it when it reaches the head: keeps the order simple
        this.deadLetter(r.seq, `max_age: not delivered within ${this.cfg.max_age_s} s (${this.lastError ?? 'no attempt'})`);
        settled = true;
        continue;
      }
      batch.push(r);
      if (batch.length >= max) break;
    }
    if (skip.length) {
      store.ack(this.name, skip);
      this.filtered += skip.length;
      settled = true;
    }
    if (batch.length === 0 && settled) return null;
    return batch;
  }

  /** Applies an outcome; false = stop draining for now (waiting or disabled). */
  private handle(batch: StoredEvent[], o: Outcome): boolean {
    const seqs = batch.map((b) => b.seq);
    switch (o.kind) {
      case 'ok':
        this.deps.store.ack(this.name, seqs);
        if (this.failures > 0) this.log.info({ after_failures: this.failures }, 'webhook endpoint recovered');
        this.failures = 0;
        this.lastError = null;
        this.delivered += seqs.length;
        this.lastSuccessAt = this.deps.clock.now();
        return true;
      case 'dead':
        // the endpoint answered: it is alive, it just refuses these events
        this.failures = 0;
        this.lastError = o.reason;
        if (seqs.length > 1) {
          // which event was refused is unknown: send the batch again one by one
          this.singlesThrough = Math.max(...seqs);
          this.log.warn({ reason: o.reason, events: seqs.length }, 'webhook refused a batch; retrying its events one by one');
          return true;
        }
        for (const s of seqs) this.deadLetter(s, o.reason);
        return true;
      case 'disable':
        this.disabled = true;
        this.lastError = `${o.reason}: endpoint disabled (events stay queued; fix the config and restart)`;
        this.log.error({ url: redactUrl(this.cfg.url) }, 'webhook endpoint answered 410 Gone: endpoint disabled');
        return false;
      case 'retry': {
        this.failures++;
        this.lastError = o.reason;
        let delay = o.retryAfterMs ?? scheduleDelayMs(this.cfg.retry_schedule_s, this.failures, this.rand);
        // never wait past the head event's max_age: it is dead-lettered then, not replayed late
        const head = batch[0];
        if (head) {
          const expiresIn = head.stored_at + this.cfg.max_age_s * 1000 - this.deps.clock.now();
          delay = Math.max(0, Math.min(delay, expiresIn));
        }
        const lvl = this.failures === this.cfg.circuit_failures ? 'error' : 'warn';
        this.log[lvl](
          { reason: o.reason, failures: this.failures, retry_in_ms: delay, circuit: this.failures >= this.cfg.circuit_failures ? 'open' : 'closed' },
          'webhook delivery failed; will retry',
        );
        this.wait(delay);
        return false;
      }
    }
  }

  private wait(ms: number): void {
    if (!this.running) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.nextAttemptAt = this.deps.clock.now() + ms;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.nextAttemptAt = null;
      this.kick();
    }, ms);
  }

  private deadLetter(seq: number, reason: string): void {
    this.deps.store.deadLetter(this.name, seq, reason);
    this.deadLettered++;
    this.log.warn({ seq, reason }, 'event dead-lettered');
  }

  // ------------------------------------------------------------ HTTP

  private async body(batch: StoredEvent[]): Promise<string> {
    const one = async (r: StoredEvent) => (this.cfg.images === 'base64' ? this.embedImages(r.body) : r.body);
    if (batch.length === 1 && this.cfg.batch_max === 1) return one(batch[0]!);
    const parts = await Promise.all(batch.map(one));
    return `[${parts.join(',')}]`;
  }

  private async embedImages(body: string): Promise<string> {
    let ev: { data?: { images?: { file?: string; base64?: string; base64_error?: string }[] } };
    try {
      ev = JSON.parse(body) as typeof ev;
    } catch {
      return body;
    }
    const images = ev.data?.images;
    if (!Array.isArray(images) || images.length === 0) return body;
    const root = resolve(this.deps.imagesDir);
    for (const img of images) {
      if (!img || typeof img.file !== 'string') continue;
      const path = resolve(root, img.file);
      if (!path.startsWith(root + sep)) {
        img.base64_error = 'path outside the images folder';
        continue;
      }
      try {
        img.base64 = (await readFile(path)).toString('base64');
      } catch {
        img.base64_error = 'image file no longer available';
      }
    }
    return JSON.stringify(ev);
  }

  private async attempt(batch: StoredEvent[]): Promise<Outcome> {
    const body = await this.body(batch);
    const id =
      batch.length === 1 && this.cfg.batch_max === 1
        ? batch[0]!.event.id
        : `batch_${createHash('sha256').update(batch.map((b) => b.event.id).join('\n')).digest('hex').slice(0, 32)}`;
    const ts = Math.floor(this.deps.clock.now() / 1000);
    const headers: Record<string, string> = {
      ...this.cfg.headers,
      'content-type': 'application/json',
      'user-agent': 'camrelay',
      ...signHeaders(this.secrets, id, ts, body),
    };
    const ac = new AbortController();
    this.abort = ac;
    // one total deadline per attempt, on top of undici's header/body timeouts
    const timer = setTimeout(() => ac.abort(new Error(`timeout after ${this.cfg.timeout_ms} ms`)), this.cfg.timeout_ms);
    try {
      const res = await request(this.cfg.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: ac.signal,
        headersTimeout: this.cfg.timeout_ms,
        bodyTimeout: this.cfg.timeout_ms,
      });
      await drainBody(res.body);
      this.lastStatus = res.statusCode;
      const outcome = classifyStatus(res.statusCode, parseRetryAfter(res.headers['retry-after'], this.deps.clock.now()));
      if (outcome.kind !== 'ok') this.log.debug({ status: res.statusCode, id }, 'webhook non-2xx');
      return outcome;
    } catch (err) {
      this.lastStatus = null;
      const reason = ac.signal.aborted ? errMsg(ac.signal.reason) : errMsg(err);
      return { kind: 'retry', reason: `request failed: ${reason}` };
    } finally {
      clearTimeout(timer);
      this.abort = null;
    }
  }
}

async function drainBody(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<void> {
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > MAX_RESPONSE_BYTES) {
      body.destroy?.();
      return;
    }
  }
}

function errMsg(err: unknown): string {
  if (err instanceof Error) return (err as { code?: string }).code ? `${err.message} (${(err as { code?: string }).code})` : err.message;
  return String(err);
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) u.username = u.password = '***';
    u.search = u.search ? '?…' : '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
