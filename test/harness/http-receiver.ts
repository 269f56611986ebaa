import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One recorded request. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** What the receiver answers; `hang: true` never answers (until close). */
export interface ReceiverResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
  hang?: boolean;
}

export type ReceiverBehaviour = (req: ReceivedRequest, index: number) => ReceiverResponse | Promise<ReceiverResponse>;

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  setBehaviour(fn: ReceiverBehaviour): void;
  /** resolves once at least n requests were recorded */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** serve HTTPS with this PEM key/cert */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** A local node:http (or https) server on 127.0.0.1 that records every request. */
export async function startReceiver(handler?: ReceiverBehaviour, opts: ReceiverOptions = {}): Promise<Receiver> {
  let behaviour: ReceiverBehaviour = handler ?? (() => ({ status: 200 }));
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      const index = requests.length;
      requests.push(rec);
      for (const w of [...waiters]) w();
      void Promise.resolve(behaviour(rec, index)).then(async (r) => {
        if (r.hang) {
          hanging.add(res);
          return;
        }
        if (r.delayMs) await new Promise((x) => setTimeout(x, r.delayMs));
        if (res.destroyed) return;
        res.writeHead(r.status ?? 200, r.headers ?? {});
        res.end(r.body ?? '');
      });
    });
  };
  const server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : createServer(onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    setBehaviour(fn) {
      behaviour = fn;
    },
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        if (requests.length >= n) return resolve(requests.slice());
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: expected ${n} requests within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        const check = () => {
          if (requests.length >= n) {
            clearTimeout(t);
            waiters.delete(check);
            resolve(requests.slice());
          }
        };
        waiters.add(check);
      });
    },
    async close() {
      for (const r of hanging) r.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
