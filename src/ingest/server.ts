import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { IngestConfig } from '../config/schema.js';
import { parseListen } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { makeBasicAuth, makeSourceFilter, requestPath } from './net.js';

export interface IngestRequest {
  path: string;
  remote: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  receivedAt: number;
}

export interface IngestReply {
  status: number;
  body: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Something that answers posts on a path family. */
export type IngestHandler = (req: IngestRequest) => IngestReply | Promise<IngestReply>;

export interface IngestDeps {
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  viewtron: IngestHandler;
  hooks?: (source: string, rest: string, req: IngestRequest) => IngestReply | Promise<IngestReply>;
}

const JSON_CT = 'application/json';

/**
 * The LAN-facing listener. Cameras keep one connection and post traject at up
 * to 12 Hz on it, so this path avoids work per request: no URL parsing for
 * origin-form paths, one Buffer per body, precomputed reply headers.
 */
export class IngestServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private inflight = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  private readonly allowSource: (a: string | undefined) => boolean;
  private readonly checkAuth: (h: string | undefined) => boolean;
  private readonly paths: Set<string> | null;
  private readonly log: Logger;
  address: { host: string; port: number } | null = null;

  constructor(
    private readonly cfg: IngestConfig,
    private readonly deps: IngestDeps,
  ) {
    this.allowSource = makeSourceFilter(cfg.allowed_cidrs);
    this.checkAuth = makeBasicAuth(cfg.basic_auth);
    this.paths = cfg.paths.length ? new Set(cfg.paths) : null;
    this.log = deps.logger.child({ component: 'ingest' });
  }

  async start(): Promise<void> {
    const { host, port } = parseListen(this.cfg.listen);
    const server = createServer(
      {
        keepAlive: true,
        requestTimeout: this.cfg.request_timeout_ms,
        headersTimeout: Math.min(this.cfg.headers_timeout_ms, this.cfg.request_timeout_ms),
        // Node checks those timeouts only this often (default 30 s): slowloris needs a tighter sweep.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, this.cfg.headers_timeout_ms / 2)),
      },
      (req, res) => this.onRequest(req, res),
    );
    server.keepAliveTimeout = this.cfg.keepalive_timeout_ms;
    server.maxRequestsPerSocket = 0;
    server.maxConnections = this.cfg.max_connections;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('drop', (d) => {
      this.deps.metrics.ingestRefused.inc({ reason: 'max_connections' });
      this.log.warn({ remote: d?.remoteAddress }, `connection refused: max_connections (${this.cfg.max_connections}) reached`);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const reason = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT' ? 'timeout' : 'bad_request';
      this.deps.metrics.ingestRefused.inc({ reason });
      this.log.warn({ remote: socket.remoteAddress, code: err.code }, `client error: ${err.message}`);
      if (socket.writable) {
        const status = reason === 'timeout' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      } else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    this.address = a && typeof a === 'object' ? { host: a.address, port: a.port } : null;
    this.server = server;
    this.log.info({ listen: this.address }, `ingest listening on ${host}:${this.address?.port}`);
  }

  /** Stop accepting, let in-flight requests finish (bounded), close idle keep-alive sockets. */
  async stop(graceMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.draining = true;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    if (this.inflight > 0) {
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = null;
  }

  private reply(res: ServerResponse, r: IngestReply): void {
    const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    const headers: Record<string, string | number> = {
      'Content-Type': r.contentType ?? 'application/xml',
      'Content-Length': body.length,
      ...r.headers,
    };
    if (this.draining) headers.Connection = 'close';
    res.writeHead(r.status, headers);
    res.end(body);
  }

  private refuse(res: ServerResponse, status: number, reason: string, message: string, remote: string | undefined, extra?: Record<string, string>): void {
    this.deps.metrics.ingestRefused.inc({ reason });
    this.log.warn({ remote, reason, status }, message);
    this.reply(res, { status, body: JSON.stringify({ error: message }), contentType: JSON_CT, headers: extra });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const remote = req.socket.remoteAddress;
    if (!this.allowSource(remote)) {
      req.resume();
      return this.refuse(res, 403, 'source_not_allowed', `source ${remote} is not in ingest.allowed_cidrs`, remote);
    }
    const path = requestPath(req.url);
    const isHook = path.startsWith('/hooks/');
    // Hook sources authenticate themselves (signatures, path secrets); basic auth is for cameras.
    if (!isHook && !this.checkAuth(req.headers.authorization)) {
      req.resume();
      return this.refuse(res, 401, 'unauthorized', 'missing or wrong basic auth credentials', remote, { 'WWW-Authenticate': 'Basic realm="camrelay"' });
    }
    if (req.method !== 'POST') {
      req.resume();
      return this.refuse(res, 405, 'method', `method ${req.method} not allowed: cameras POST`, remote, { Allow: 'POST' });
    }
    if (!isHook && this.paths && !this.paths.has(path)) {
      req.resume();
      return this.refuse(res, 404, 'path', `path ${path} is not in ingest.paths`, remote);
    }
    const limit = this.cfg.max_body_bytes;
    const declared = req.headers['content-length'] ? Number(req.headers['content-length']) : -1;
    if (declared > limit) {
      res.setHeader('Connection', 'close');
      req.resume();
      return this.refuse(res, 413, 'too_large', `body of ${declared} bytes exceeds ingest.max_body_bytes (${limit})`, remote);
    }
    const receivedAt = this.deps.now();
    this.inflight++;
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => this.done());
    req.on('end', () => {
      if (over) {
        res.setHeader('Connection', 'close');
        this.refuse(res, 413, 'too_large', `body exceeds ingest.max_body_bytes (${limit})`, remote);
        return this.done();
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const request: IngestRequest = { path, remote: remote ?? '', headers: req.headers, body, receivedAt };
      let out: IngestReply | Promise<IngestReply>;
      try {
        if (isHook) {
          const rest = path.slice(7);
          const slash = rest.indexOf('/');
          const source = slash < 0 ? rest : rest.slice(0, slash);
          out = this.deps.hooks
            ? this.deps.hooks(source, slash < 0 ? '' : rest.slice(slash + 1), request)
            : { status: 404, body: JSON.stringify({ error: 'no sources configured' }), contentType: JSON_CT };
        } else out = this.deps.viewtron(request);
      } catch (e) {
        out = this.internalError(e, remote);
      }
      if (out instanceof Promise) {
        out.then(
          (r) => {
            this.reply(res, r);
            this.done();
          },
          (e: unknown) => {
            this.reply(res, this.internalError(e, remote));
            this.done();
          },
        );
      } else {
        this.reply(res, out);
        this.done();
      }
    });
  }

  private internalError(e: unknown, remote: string | undefined): IngestReply {
    this.deps.metrics.ingestRefused.inc({ reason: 'internal' });
    this.log.error({ err: e, remote }, 'ingest handler failed');
    return { status: 500, body: JSON.stringify({ error: 'internal error' }), contentType: JSON_CT };
  }

  private done(): void {
    this.inflight--;
    if (this.inflight === 0 && this.idleWaiters.length) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
