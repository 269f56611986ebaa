import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Thrown by the admin server's start() when its address/token combination is unsafe. */
export class AdminExposureError extends Error {
  override name = 'AdminExposureError';
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and "localhost" are loopback; everything else (0.0.0.0, ::, LAN) is not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * The admin listener is reachable from the LAN when not on loopback: then a
 * token is mandatory, and it guards every endpoint but /healthz.
 */
export function checkAdminExposure(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token)
    throw new AdminExposureError(
      `admin.listen is "${host}", which is not a loopback address, and no admin.token is set: ` +
        'refusing to expose the admin API without authentication. Set admin.token (or admin.token_env / admin.token_file), ' +
        'or listen on 127.0.0.1.',
    );
}

/**
 * Constant-time comparison of the request's bearer token with the configured
 * one. Both sides are hashed first so neither the length nor a prefix leaks.
 */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (!authorization) return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
