import { Client } from 'undici';
import { percentile } from './stats.js';

export interface LoadResult {
  posts: number;
  perSec: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  statuses: Record<number, number>;
}

/**
 * Closed-loop load: `connections` keep-alive connections, each posting the next
 * body as soon as the previous answer arrived (as a camera does), for `durationMs`.
 */
export async function drive(
  url: string,
  nextBody: (conn: number, i: number) => Buffer,
  opts: { connections: number; durationMs: number; path?: string; contentType?: string },
): Promise<LoadResult> {
  const u = new URL(url);
  const lat: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const end = performance.now() + opts.durationMs;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.connections }, async (_, conn) => {
      const client = new Client(u.origin, { pipelining: 1, keepAliveTimeout: 30_000 });
      let i = 0;
      while (performance.now() < end) {
        const body = nextBody(conn, i++);
        const s = performance.now();
        try {
          const r = await client.request({
            path: opts.path ?? '/API',
            method: 'POST',
            body,
            headers: { 'content-type': opts.contentType ?? 'application/xml', 'content-length': String(body.length) },
          });
          await r.body.dump();
          statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
          lat.push(performance.now() - s);
        } catch {
          errors++;
        }
      }
      await client.close();
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { posts: lat.length, perSec: lat.length / secs, p50ms: percentile(lat, 50), p99ms: percentile(lat, 99), errors, statuses };
}
