import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseListen } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { StoredEvent } from '../storage/types.js';
import { bearerMatches, checkAdminExposure, isLoopbackHost } from './auth.js';
import type { AdminContext } from './context.js';
import { parseEventsQuery, parseOverrideBody, validOutputId } from './requests.js';

/**
 * The admin listener (product.md §3): health, readiness, metrics, state,
 * event history and manual output overrides. node:http, JSON everywhere,
 * errors as `{ "error": "message" }`.
 */

export const ADMIN_MAX_BODY_BYTES = 64 * 1024;

export interface AdminServer {
  /** Rejects with AdminExposureError on a non-loopback address without a token, or with the listen error. */
  start(): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
  address(): { host: string; port: number } | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Route {
  name: string;
  methods: string[];
  mutating: boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, params: string[]): Promise<void> | void;
}

export function createAdminServer(ctx: AdminContext): AdminServer {
  const log: Logger = ctx.logger.child({ component: 'admin' });
  const { host, port } = parseListen(ctx.listen);
  const loopback = isLoopbackHost(host);
  const startedAt = ctx.clock.now();
  let server: Server | null = null;
  let bound: { host: string; port: number } | null = null;
  const sockets = new Set<Socket>();

  const routes: { pattern: RegExp; route: Route }[] = [
    {
      pattern: /^\/healthz$/,
      route: {
        name: 'healthz',
        methods: ['GET'],
        mutating: false,
        handle: (_req, res) =>
          sendJson(res, 200, {
            status: 'ok',
            pid: process.pid,
            uptime_s: Math.round((ctx.clock.now() - startedAt) / 1000),
            time: new Date(ctx.clock.now()).toISOString(),
          }),
      },
    },
    {
      pattern: /^\/readyz$/,
      route: {
        name: 'readyz',
        methods: ['GET'],
        mutating: false,
        handle: (_req, res) => {
          const r = ctx.ready();
          const checks = { ...r.checks, admin_listener: { ok: server?.listening === true } };
          const ok = r.ok && Object.values(checks).every((c) => c.ok);
          sendJson(res, ok ? 200 : 503, { ok, checks });
        },
      },
    },
    {
      pattern: /^\/metrics$/,
      route: {
        name: 'metrics',
        methods: ['GET'],
        mutating: false,
        handle: async (_req, res) => {
          const text = await ctx.metrics.registry.metrics();
          res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
      },
    },
    {
      pattern: /^\/api\/state$/,
      route: {
        name: 'state',
        methods: ['GET'],
        mutating: false,
        handle: (_req, res) => sendJson(res, 200, { time: new Date(ctx.clock.now()).toISOString(), ...ctx.state() }),
      },
    },
    {
      pattern: /^\/api\/events$/,
      route: {
        name: 'events',
        methods: ['GET'],
        mutating: false,
        handle: (_req, res, url) => {
          const q = parseEventsQuery(url.searchParams);
          if (!q.ok) throw new HttpError(400, q.message);
          const rows = ctx.store.query(q.value);
          const last = rows[rows.length - 1];
          sendJson(res, 200, {
            count: rows.length,
            // Only when the page is full can there be more; the client passes it back as ?before=.
            next_before: rows.length === q.value.limit && last ? last.seq : null,
            events: rows.map(eventView),
          });
        },
      },
    },
    {
      pattern: /^\/api\/outputs\/([^/]+)$/,
      route: {
        name: 'output_override',
        methods: ['POST'],
        mutating: true,
        handle: async (req, res, _url, params) => {
          const id = safeDecode(params[0]!);
          if (id === null || !validOutputId(id)) throw new HttpError(400, 'invalid output id');
          const ct = req.headers['content-type'];
          if (ct && !/^application\/json\b/i.test(ct)) throw new HttpError(415, 'content-type must be application/json');
          const body = await readBody(req, ADMIN_MAX_BODY_BYTES);
          const cmd = parseOverrideBody(body);
          if (!cmd.ok) throw new HttpError(400, cmd.message);
          const r = await ctx.override(id, cmd.value);
          if (!r.ok) throw new HttpError(r.status, r.message);
          log.info({ output: id, state: cmd.value.state, for_s: cmd.value.for_s }, 'manual override via admin API');
          sendJson(res, 200, { output: r.output });
        },
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse, meta: { route: string }): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin.invalid');
    } catch {
      throw new HttpError(400, 'malformed request target');
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const hit = routes.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);

    // Off loopback the admin API is LAN-reachable: everything but liveness needs the token.
    const needsAuth = (mutating: boolean) => (ctx.token !== undefined && mutating) || (!loopback && path !== '/healthz');
    const authorize = (mutating: boolean) => {
      if (!needsAuth(mutating)) return;
      if (!ctx.token || !bearerMatches(req.headers.authorization, ctx.token))
        throw new HttpError(401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="camrelay-admin"' });
    };

    if (!hit) {
      // A browser cannot send a bearer token when it navigates: the status page shell (no data in it) loads without one.
      if (!(method === 'GET' && ctx.publicPath?.(path))) authorize(method !== 'GET');
      if (ctx.extraRoutes) {
        meta.route = 'extra';
        if (await ctx.extraRoutes(req, res, url)) return;
        meta.route = 'unknown';
      }
      throw new HttpError(404, `no such endpoint: ${req.method} ${url.pathname}`);
    }
    const { route } = hit.r;
    meta.route = route.name;
    if (!route.methods.includes(method))
      throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`, {
        allow: route.methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', '),
      });
    authorize(route.mutating);
    await route.handle(req, res, url, hit.m!.slice(1));
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const meta = { route: 'unknown' };
    handle(req, res, meta)
      .catch((err: unknown) => {
        if (err instanceof HttpError) {
          if (err.status === 413) res.setHeader('connection', 'close');
          sendJson(res, err.status, { error: err.message }, err.headers);
        } else {
          log.error({ err, method: req.method, url: req.url }, 'admin request failed');
          sendJson(res, 500, { error: 'internal error' });
        }
      })
      .finally(() => {
        // route label only from the fixed route names: raw paths would explode cardinality
        ctx.metrics.adminRequests.inc({ route: meta.route, status: String(res.statusCode) });
      });
  }

  return {
    async start() {
      checkAdminExposure(host, ctx.token);
      if (server) throw new Error('admin server already started');
      const s = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, onRequest);
      s.keepAliveTimeout = 5_000;
      s.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      s.on('clientError', (_err, sock) => {
        if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        else sock.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      s.on('error', (err) => log.error({ err }, 'admin listener error'));
      server = s;
      const a = s.address() as AddressInfo;
      bound = { host: a.address, port: a.port };
      log.info({ listen: `${a.address}:${a.port}`, auth: ctx.token ? 'token' : 'none (loopback)' }, 'admin listener up');
      return bound;
    },

    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      bound = null;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      // Long-lived responses (the status page's event stream) would hold close() forever.
      const t = setTimeout(() => {
        for (const sock of sockets) sock.destroy();
      }, 1000);
      t.unref();
      await closed;
      clearTimeout(t);
    },

    address: () => bound,
  };
}

function eventView(row: StoredEvent): Record<string, unknown> {
  let event: unknown;
  try {
    event = JSON.parse(row.body);
  } catch {
    event = row.event;
  }
  return { seq: row.seq, stored_at: new Date(row.stored_at).toISOString(), event };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(new HttpError(413, `body larger than ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        req.resume();
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}
