import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/):
 * `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`, the
 * key being the base64-decoded part after `whsec_`. Several secrets (rotation)
 * give several space-separated signatures. Pure: no clock, no I/O.
 */

export function secretKey(secret: string): Buffer {
  if (secret.startsWith('whsec_')) return Buffer.from(secret.slice('whsec_'.length), 'base64');
  // not in whsec_ form: use the bytes as given (documented in config.example.yaml)
  return Buffer.from(secret, 'utf8');
}

export function signV1(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature'?: string;
}

/** The three Standard Webhooks headers; no signature header without a secret. */
export function signHeaders(secrets: readonly string[], id: string, timestamp: number, body: string | Buffer): WebhookHeaders {
  const h: WebhookHeaders = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
  if (secrets.length > 0) h['webhook-signature'] = secrets.map((s) => signV1(s, id, timestamp, body)).join(' ');
  return h;
}

export interface VerifyOptions {
  /** current time in ms (default Date.now()) */
  now?: number;
  /** accepted clock difference in seconds (default 300, as the spec suggests) */
  toleranceS?: number;
}

/**
 * Verifies a request as a Standard Webhooks receiver would: the timestamp is
 * within tolerance and at least one `v1,` signature matches. Header names are
 * looked up case-insensitively.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  opts: VerifyOptions = {},
): boolean {
  const get = (name: string): string | undefined => {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
    return undefined;
  };
  const id = get('webhook-id');
  const ts = get('webhook-timestamp');
  const sigs = get('webhook-signature');
  if (!id || !ts || !sigs || !/^\d+$/.test(ts)) return false;
  const now = opts.now ?? Date.now();
  if (Math.abs(now / 1000 - Number(ts)) > (opts.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signV1(secret, id, Number(ts), body).slice(3), 'base64');
  for (const part of sigs.split(' ')) {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const got = Buffer.from(value, 'base64');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
  }
  return false;
}
