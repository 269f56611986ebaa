import { createHmac } from 'node:crypto';
import { safeEqual } from '../ingest/net.js';

/**
 * Signature checks over the RAW body bytes (never a re-serialization), each
 * compared in constant time after a length check. Pure.
 */

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Turing: `x-turingvideo-signature` = hex HMAC-MD5 of the raw body. */
export function verifyHexHmac(
  algo: 'md5' | 'sha256',
  body: Buffer,
  secret: string,
  given: string | undefined,
  encoding: 'hex' | 'base64' = 'hex',
): boolean {
  if (!given) return false;
  let sig = given.trim();
  // GitHub-style "sha256=<hex>" prefixes are common on generic senders.
  const eq = sig.indexOf('=');
  if (encoding === 'hex' && eq > 0 && eq < 10) sig = sig.slice(eq + 1);
  if (encoding === 'hex') sig = sig.toLowerCase();
  const expected = createHmac(algo, secret).update(body).digest(encoding);
  return safeEqual(sig, expected);
}

export function getHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  return header(headers, name);
}

export const STANDARD_WEBHOOKS_TOLERANCE_S = 5 * 60;

/**
 * Standard Webhooks: HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}"
 * with the base64 key after `whsec_`; `webhook-signature` is a space-separated
 * list of `v1,<base64>` (several during key rotation); the timestamp must be
 * within 5 minutes of now. Returns null when valid, else the reason.
 */
export function verifyStandardWebhook(
  body: Buffer,
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): string | null {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sigs = header(headers, 'webhook-signature');
  if (!id || !ts || !sigs) return 'missing webhook-id, webhook-timestamp or webhook-signature header';
  if (!/^\d{1,12}$/.test(ts)) return 'webhook-timestamp is not Unix seconds';
  if (Math.abs(nowMs / 1000 - Number(ts)) > STANDARD_WEBHOOKS_TOLERANCE_S) return 'webhook-timestamp is more than 5 minutes off';
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${id}.${ts}.`), body]))
    .digest('base64');
  for (const part of sigs.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    if (safeEqual(part.slice(comma + 1), expected)) return null;
  }
  return 'no webhook-signature matches';
}
