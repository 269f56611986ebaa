import { request as httpRequest } from 'node:http';
import { Client } from 'undici';

/**
 * How the simulated devices talk HTTP (viewtron-protocol.md §2.1):
 * - an IPC keeps one persistent connection, origin-form request line,
 *   `application/xml`, `Accept-Encoding: gzip, deflate`;
 * - an NVR opens a new TCP connection per post, absolute-form request line
 *   (`POST http://host:port/API HTTP/1.1`), `application/soap+xml`,
 *   `Connection: close`.
 */

export interface PostResult {
  /** HTTP status as text, or "error:<code>" when the post never got an answer */
  status: string;
  latencyMs: number;
}

export interface DeviceTransport {
  post(body: string): Promise<PostResult>;
  close(): Promise<void>;
}

function errorStatus(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return `error:${code}`;
    cur = (cur as { cause?: unknown }).cause;
  }
  return `error:${(e as Error)?.name ?? 'unknown'}`;
}

/** One keep-alive connection per camera (undici Client = one socket, requests in order). */
export function ipcTransport(url: URL, timeoutMs: number): DeviceTransport {
  const client = new Client(url.origin, {
    pipelining: 1,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 120_000,
  });
  const path = `${url.pathname}${url.search}`;
  return {
    async post(body) {
      const t0 = performance.now();
      try {
        const res = await client.request({
          method: 'POST',
          path,
          headers: {
            'content-type': 'application/xml; charset=utf-8',
            'accept-encoding': 'gzip, deflate',
            connection: 'keep-alive',
          },
          body,
        });
        await res.body.dump();
        return { status: String(res.statusCode), latencyMs: performance.now() - t0 };
      } catch (e) {
        return { status: errorStatus(e), latencyMs: performance.now() - t0 };
      }
    },
    async close() {
      await client.close().catch(() => client.destroy());
    },
  };
}

/** A new TCP connection per post with an absolute-form request line, like the NVR. */
export function nvrTransport(url: URL, timeoutMs: number): DeviceTransport {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 80);
  const absolute = `http://${url.host}${url.pathname}${url.search}`;
  const inFlight = new Set<ReturnType<typeof httpRequest>>();
  return {
    post(body) {
      const t0 = performance.now();
      const buf = Buffer.from(body, 'utf8');
      return new Promise<PostResult>((resolve) => {
        let done = false;
        const finish = (status: string) => {
          if (done) return;
          done = true;
          inFlight.delete(req);
          resolve({ status, latencyMs: performance.now() - t0 });
        };
        const req = httpRequest(
          {
            host,
            port,
            method: 'POST',
            path: absolute,
            agent: false,
            headers: {
              Host: url.host,
              'Content-Type': 'application/soap+xml; charset=utf-8',
              'Content-Length': String(buf.length),
              Connection: 'close',
            },
            timeout: timeoutMs,
          },
          (res) => {
            res.resume();
            res.on('end', () => finish(String(res.statusCode)));
            res.on('error', (e) => finish(errorStatus(e)));
          },
        );
        inFlight.add(req);
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
        req.on('error', (e) => finish(errorStatus(e)));
        req.end(buf);
      });
    },
    async close() {
      for (const r of inFlight) r.destroy();
    },
  };
}
