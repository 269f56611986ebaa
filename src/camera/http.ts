import { createHash, randomBytes } from 'node:crypto';
import { Client, errors as undiciErrors } from 'undici';

/**
 * HTTP access to a Viewtron camera's control API (viewtron-protocol.md §5.1):
 * POST http://host:port/<Command> with an XML body, Basic or Digest auth.
 *
 * The first request goes out without credentials; the device's 401 challenge
 * decides the scheme (Digest preferred when offered, else Basic), and later
 * requests reuse it. That way a password is never sent in Basic form to a
 * device that would have accepted Digest.
 *
 * TODO(lead): src/outputs/digest.ts (another helper) exports digestAuthorization();
 * switch the Digest computation over to it once it lands so there is one implementation.
 */

export interface CameraTarget {
  host: string;
  port: number;
  user?: string;
  /** never logged or printed */
  password?: string;
  timeoutMs?: number;
}

export interface CameraResponse {
  status: number;
  body: string;
}

/** The device refused our credentials (401 after authenticating). */
export class CameraAuthError extends Error {
  override name = 'CameraAuthError';
}
/** The device could not be reached (refused, timed out, DNS). */
export class CameraUnreachableError extends Error {
  override name = 'CameraUnreachableError';
}
/** The device answered with a non-2xx status or a `status="failed"` body. */
export class CameraCommandError extends Error {
  override name = 'CameraCommandError';
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  algorithm?: string;
}

type Challenge = { scheme: 'basic' } | { scheme: 'digest'; digest: DigestChallenge };

/** Parses the auth-params of one WWW-Authenticate header (quoted or token values). */
export function parseAuthParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  return out;
}

/** Picks the scheme from one or more WWW-Authenticate values; Digest wins when offered. */
export function parseChallenge(headers: string | string[] | undefined): Challenge | null {
  const values = headers === undefined ? [] : Array.isArray(headers) ? headers : [headers];
  let basic = false;
  for (const v of values) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(v);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'digest') {
      const p = parseAuthParams(m[2]!);
      if (p.nonce === undefined) continue;
      return {
        scheme: 'digest',
        digest: { realm: p.realm ?? '', nonce: p.nonce, qop: p.qop, opaque: p.opaque, algorithm: p.algorithm },
      };
    }
    if (scheme === 'basic') basic = true;
  }
  return basic ? { scheme: 'basic' } : null;
}

function hashFn(algorithm: string | undefined): (s: string) => string {
  const alg = (algorithm ?? 'MD5').toUpperCase().replace(/-SESS$/, '');
  const name = alg === 'SHA-256' ? 'sha256' : alg === 'SHA-512-256' ? 'sha512-256' : 'md5';
  return (s) => createHash(name).update(s).digest('hex');
}

/** RFC 7616 Authorization header value for one request (qop=auth or legacy RFC 2069). */
export function digestHeader(
  c: DigestChallenge,
  user: string,
  password: string,
  method: string,
  uri: string,
  nc: number,
  cnonce: string,
): string {
  const H = hashFn(c.algorithm);
  const sess = /-sess$/i.test(c.algorithm ?? '');
  let ha1 = H(`${user}:${c.realm}:${password}`);
  if (sess) ha1 = H(`${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = H(`${method}:${uri}`);
  const qops = (c.qop ?? '').split(',').map((q) => q.trim());
  const useQop = qops.includes('auth') ? 'auth' : undefined;
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = useQop ? H(`${ha1}:${c.nonce}:${ncHex}:${cnonce}:${useQop}:${ha2}`) : H(`${ha1}:${c.nonce}:${ha2}`);
  const parts = [
    `username="${user}"`,
    `realm="${c.realm}"`,
    `nonce="${c.nonce}"`,
    `uri="${uri}"`,
    `response="${response}"`,
  ];
  if (c.algorithm) parts.push(`algorithm=${c.algorithm}`);
  if (c.opaque !== undefined) parts.push(`opaque="${c.opaque}"`);
  if (useQop) parts.push(`qop=${useQop}`, `nc=${ncHex}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}

function errCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** One camera, one keep-alive connection; close() when done so the CLI exits promptly. */
export class CameraHttp {
  private readonly client: Client;
  private challenge: Challenge | null = null;
  private nc = 0;

  constructor(private readonly target: CameraTarget) {
    const timeout = target.timeoutMs ?? 8000;
    const host = target.host.includes(':') && !target.host.startsWith('[') ? `[${target.host}]` : target.host;
    this.client = new Client(`http://${host}:${target.port}`, {
      connectTimeout: timeout,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  get where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  private authorization(method: string, path: string): string | undefined {
    const { user, password } = this.target;
    if (!this.challenge || user === undefined) return undefined;
    if (this.challenge.scheme === 'basic') return `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
    this.nc += 1;
    return digestHeader(this.challenge.digest, user, password ?? '', method, path, this.nc, randomBytes(8).toString('hex'));
  }

  private async once(method: string, path: string, body: string | undefined): Promise<{ status: number; body: string; wwwAuth?: string | string[] }> {
    const headers: Record<string, string> = { connection: 'keep-alive' };
    if (body !== undefined) headers['content-type'] = 'application/xml; charset="UTF-8"';
    const auth = this.authorization(method, path);
    if (auth) headers.authorization = auth;
    try {
      const res = await this.client.request({ method: method as 'POST', path, headers, body });
      const text = await res.body.text();
      return { status: res.statusCode, body: text, wwwAuth: res.headers['www-authenticate'] };
    } catch (e) {
      const code = errCode(e);
      if (
        e instanceof undiciErrors.ConnectTimeoutError ||
        e instanceof undiciErrors.HeadersTimeoutError ||
        e instanceof undiciErrors.BodyTimeoutError ||
        (code && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_CLOSED)$/.test(code))
      ) {
        throw new CameraUnreachableError(`cannot reach ${this.where} (${code ?? (e as Error).message})`);
      }
      throw e;
    }
  }

  /** Sends one control command; resolves with a 2xx response or throws a typed error. */
  async command(command: string, body?: string): Promise<CameraResponse> {
    const path = `/${command.replace(/^\//, '')}`;
    const method = 'POST';
    let res = await this.once(method, path, body);
    if (res.status === 401) {
      const fresh = parseChallenge(res.wwwAuth);
      const stale = fresh?.scheme === 'digest' && /stale\s*=\s*"?true/i.test(String(res.wwwAuth));
      const hadAuth = this.challenge !== null;
      if (this.target.user === undefined) {
        throw new CameraAuthError(`the camera at ${this.where} requires a login; pass --user and --password-file`);
      }
      if (!fresh) throw new CameraAuthError(`authentication failed for user ${this.target.user} (no usable WWW-Authenticate challenge)`);
      // A retry makes sense on the first challenge or when a Digest nonce went stale.
      if (hadAuth && !stale) throw new CameraAuthError(`authentication failed for user ${this.target.user}`);
      this.challenge = fresh;
      this.nc = 0;
      res = await this.once(method, path, body);
      if (res.status === 401) throw new CameraAuthError(`authentication failed for user ${this.target.user}`);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new CameraCommandError(`${command} failed: HTTP ${res.status}${res.body ? ` ${res.body.slice(0, 200).trim()}` : ''}`, res.status);
    }
    return { status: res.status, body: res.body };
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}
