import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';

/**
 * The Server-Sent Events fan-out of the status page. Everything that goes to
 * clients passes through one flush per throttle interval: traject frames are
 * coalesced (only the latest frame per camera survives an interval) and state
 * snapshots are built at most once per flush, so 64 cameras at 7 Hz cost one
 * small write per client every `throttleMs`, whatever the input rate.
 *
 * Memory per client is bounded by `maxClientBufferBytes`: a client whose
 * socket does not drain (phone on a bad VPN) is disconnected instead of
 * letting Node buffer an unbounded backlog for it; its EventSource/fetch
 * loop reconnects and gets a fresh snapshot.
 */

export interface TrajectFrame {
  camera: string;
  at: number;
  targets: { id: string; cls: string; box: readonly [number, number, number, number] }[];
}

export interface StreamHubOptions {
  throttleMs: number;
  heartbeatMs: number;
  /** client reconnect delay announced with `retry:` */
  retryMs: number;
  maxClientBufferBytes: number;
  /** concurrent streams; more get 503 (each costs a socket and a backlog of up to maxClientBufferBytes) */
  maxClients: number;
  logger: Logger;
  /** wall clock for message stamps */
  now: () => number;
  /** the full snapshot a (re)connecting client gets first */
  snapshot: () => unknown;
  /** the state part, sent when something changed (batched per flush) */
  state: () => unknown;
  /** first client connected / last one left: the page subscribes to the bus only while someone watches */
  onActive?: (active: boolean) => void;
}

interface Client {
  id: number;
  res: ServerResponse;
}

export function sseMessage(event: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data: line is enough.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class StreamHub {
  private readonly clients = new Map<number, Client>();
  private readonly frames = new Map<string, TrajectFrame>();
  private committed: { id: string; type: string; camera: string; time: string }[] = [];
  private committedDropped = 0;
  private stateDirty = false;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** performance.now() of the last flush: flushes are at least throttleMs apart on the monotonic clock */
  private lastFlush = -Infinity;
  private nextId = 1;
  private droppedClients = 0;
  private closed = false;
  private active = false;
  private readonly log: Logger;

  constructor(private readonly o: StreamHubOptions) {
    this.log = o.logger;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get dropped(): number {
    return this.droppedClients;
  }

  /** Handles GET /api/stream (auth already checked by the admin server). */
  accept(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"shutting down"}');
      return;
    }
    if (this.clients.size >= this.o.maxClients) {
      this.log.warn({ clients: this.clients.size }, 'status page stream refused: too many open streams');
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' }).end(`{"error":"too many open status page streams (max ${this.o.maxClients})"}`);
      return;
    }
    const client: Client = { id: this.nextId++, res };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // reverse proxies (nginx) would otherwise buffer the stream
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true, 30_000);
    const wasEmpty = this.clients.size === 0;
    this.clients.set(client.id, client);
    const gone = () => this.remove(client.id);
    res.on('close', gone);
    res.on('error', gone);
    if (wasEmpty) {
      this.active = true;
      this.o.onActive?.(true);
      this.heartbeat = setInterval(() => this.broadcast(`: hb ${this.o.now()}\n\n`), this.o.heartbeatMs);
    }
    this.send(client, `retry: ${this.o.retryMs}\n` + sseMessage('snapshot', { t: this.o.now(), ...(this.o.snapshot() as object) }));
  }

  traject(frame: TrajectFrame): void {
    if (this.clients.size === 0) return;
    this.frames.set(frame.camera, frame);
    this.schedule();
  }

  stateChanged(): void {
    if (this.clients.size === 0) return;
    this.stateDirty = true;
    this.schedule();
  }

  committedEvents(evs: { id: string; type: string; camera: string; time: string }[]): void {
    if (this.clients.size === 0) return;
    for (const e of evs) {
      // bounded: the page only needs to know that the list changed and roughly what came in
      if (this.committed.length < 50) this.committed.push({ id: e.id, type: e.type, camera: e.camera, time: e.time });
      else this.committedDropped++;
    }
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const c of [...this.clients.values()]) c.res.end();
    this.clients.clear();
    this.stopIdle();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, this.lastFlush + this.o.throttleMs - performance.now());
    this.timer = setTimeout(() => this.flush(), Math.ceil(wait));
  }

  private flush(): void {
    this.timer = null;
    const now = performance.now();
    // Timers may fire a hair early against the monotonic clock: keep the interval a hard floor.
    if (now - this.lastFlush < this.o.throttleMs) {
      this.schedule();
      return;
    }
    this.lastFlush = now;
    const t = this.o.now();
    let chunk = '';
    if (this.stateDirty) {
      this.stateDirty = false;
      chunk += sseMessage('state', { t, ...(this.o.state() as object) });
    }
    for (const f of this.frames.values()) chunk += sseMessage('traject', { t, ...f });
    this.frames.clear();
    if (this.committed.length) {
      chunk += sseMessage('committed', { t, events: this.committed, more: this.committedDropped });
      this.committed = [];
      this.committedDropped = 0;
    }
    if (chunk) this.broadcast(chunk);
  }

  private broadcast(chunk: string): void {
    for (const c of [...this.clients.values()]) this.send(c, chunk);
  }

  private send(c: Client, chunk: string): void {
    if (c.res.destroyed) return this.remove(c.id);
    // writableLength is what Node still holds for this socket beyond the kernel buffers: a client
    // that has not taken the previous writes is dropped, so its memory stays under max + one flush.
    if (c.res.writableLength > this.o.maxClientBufferBytes) {
      this.droppedClients++;
      this.log.warn({ client: c.id, buffered: c.res.writableLength }, 'status page client too slow: disconnected (it reconnects and gets a fresh snapshot)');
      c.res.destroy();
      this.remove(c.id);
      return;
    }
    c.res.write(chunk);
  }

  private remove(id: number): void {
    if (!this.clients.delete(id)) return;
    if (this.clients.size === 0) this.stopIdle();
  }

  private stopIdle(): void {
    if (!this.active) return;
    this.active = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.frames.clear();
    this.committed = [];
    this.stateDirty = false;
    this.o.onActive?.(false);
  }
}
