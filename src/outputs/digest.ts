import { createHash, randomBytes } from 'node:crypto';
import { request, type Dispatcher } from 'undici';

/**
 * HTTP Basic and Digest (RFC 7616: MD5, MD5-sess, SHA-256, qop=auth) client auth for Viewtron
 * cameras/NVRs: Basic works on all firmware, some v2.0 firmware wants Digest (protocol spec §5.1).
 */

export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one or several WWW-Authenticate values (`Digest realm="x", nonce="y", Basic realm="z"`). */
export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const h of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
    let i = 0;
    let cur: AuthChallenge | null = null;
    const skip = () => {
      while (i < h.length && (h[i] === ' ' || h[i] === '\t' || h[i] === ',')) i++;
    };
    while (skip(), i < h.length) {
      const m = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(h.slice(i));
      if (!m) break;
      const token = m[0];
      i += token.length;
      let j = i;
      while (h[j] === ' ' || h[j] === '\t') j++;
      if (h[j] === '=' && cur && h[j + 1] !== '=') {
        i = j + 1;
        while (h[i] === ' ' || h[i] === '\t') i++;
        let value = '';
        if (h[i] === '"') {
          i++;
          while (i < h.length && h[i] !== '"') {
            if (h[i] === '\\' && i + 1 < h.length) i++;
            value += h[i++];
          }
          i++;
        } else {
          const v = /^[^,\s]*/.exec(h.slice(i))![0];
          value = v;
          i += v.length;
        }
        cur.params[token.toLowerCase()] = value;
      } else {
        cur = { scheme: token, params: {} };
        out.push(cur);
        // token68 (e.g. `Negotiate abc==`): not needed here, skip it
        const t68 = /^\s+[A-Za-z0-9._~+/-]+=*\s*(?=,|$)/.exec(h.slice(i));
        if (t68) i += t68[0].length;
      }
    }
  }
  return out;
}

export function basicAuthorization(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

export interface DigestInput {
  method: string;
  /** request-target as sent, e.g. "/ManualAlarmOut/1" */
  uri: string;
  username: string;
  password: string;
  /** the Digest challenge's parameters (realm, nonce, qop, opaque, algorithm) */
  challenge: Record<string, string>;
  /** for tests; random when omitted */
  cnonce?: string;
  /** nonce count, 1 for the first use of a nonce */
  nc?: number;
}

const hashOf = (algorithm: string) => {
  const a = algorithm.toUpperCase().replace(/-SESS$/, '');
  const name = a === 'MD5' ? 'md5' : a === 'SHA-256' ? 'sha256' : a === 'SHA-512-256' ? 'sha512-256' : null;
  if (!name) throw new Error(`unsupported digest algorithm ${algorithm}`);
  return (s: string) => createHash(name).update(s, 'utf8').digest('hex');
};

/** The response value of RFC 7616 §3.4.1 (exported so test servers can verify with the same maths). */
export function digestResponse(input: Omit<DigestInput, 'nc' | 'cnonce'> & { qop?: string; cnonce: string; nc: string }): string {
  const c = input.challenge;
  const algorithm = c.algorithm ?? 'MD5';
  const H = hashOf(algorithm);
  let ha1 = H(`${input.username}:${c.realm ?? ''}:${input.password}`);
  if (/-sess$/i.test(algorithm)) ha1 = H(`${ha1}:${c.nonce}:${input.cnonce}`);
  const ha2 = H(`${input.method.toUpperCase()}:${input.uri}`);
  return input.qop ? H(`${ha1}:${c.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`) : H(`${ha1}:${c.nonce}:${ha2}`);
}

/** The `Authorization: Digest ...` header value for one request. */
export function digestAuthorization(input: DigestInput): string {
  const c = input.challenge;
  if (!c.nonce) throw new Error('digest challenge without a nonce');
  const offered = (c.qop ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (c.qop && !offered.includes('auth')) throw new Error(`digest challenge offers qop "${c.qop}" only; qop=auth is supported`);
  const qop = c.qop ? 'auth' : undefined;
  const cnonce = input.cnonce ?? randomBytes(12).toString('hex');
  const nc = (input.nc ?? 1).toString(16).padStart(8, '0');
  const response = digestResponse({ ...input, qop, cnonce, nc });
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const parts = [
    `username=${q(input.username)}`,
    `realm=${q(c.realm ?? '')}`,
    `nonce=${q(c.nonce)}`,
    `uri=${q(input.uri)}`,
    `algorithm=${c.algorithm ?? 'MD5'}`,
    `response=${q(response)}`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${q(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${q(c.opaque)}`);
  return 'Digest ' + parts.join(', ');
}

export type AuthMode = 'auto' | 'basic' | 'digest';

export interface AuthRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  username: string;
  password?: string;
  auth: AuthMode;
  timeoutMs: number;
  dispatcher?: Dispatcher;
  /** pass the same object across calls to reuse a Digest nonce (nc counts up) */
  session?: DigestSession;
}

export interface DigestSession {
  challenge?: Record<string, string>;
  nc: number;
}

export interface AuthResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** the scheme that was finally used, for logs */
  scheme: 'none' | 'basic' | 'digest';
}

/**
 * One HTTP request with Viewtron-style auth. `auto`: Basic first; on a 401 carrying a Digest
 * challenge, the request is repeated with Digest. `digest`: unauthenticated first (to get the
 * challenge). Once a session holds a Digest nonce, both start with Digest (nc counts up) and
 * fall back to the fresh challenge of a 401 (stale nonce). A final 401 is returned, not thrown.
 * Network errors and the timeout (whole request, body included) reject.
 */
export async function fetchWithAuth(url: string, req: AuthRequest): Promise<AuthResponse> {
  const target = new URL(url);
  const uri = target.pathname + target.search;
  const session = req.session ?? { nc: 0 };
  const signal = AbortSignal.timeout(req.timeoutMs);
  const send = async (authorization: string | undefined, scheme: AuthResponse['scheme']): Promise<AuthResponse> => {
    const headers: Record<string, string> = { ...req.headers };
    if (authorization) headers.authorization = authorization;
    const r = await request(target, {
      method: req.method,
      headers,
      body: req.body,
      signal,
      dispatcher: req.dispatcher,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const body = await r.body.text();
    return { status: r.statusCode, headers: r.headers as AuthResponse['headers'], body, scheme };
  };
  const withDigest = (challenge: Record<string, string>) => {
    session.challenge = challenge;
    session.nc += 1;
    return send(digestAuthorization({ method: req.method, uri, username: req.username, password: req.password ?? '', challenge, nc: session.nc }), 'digest');
  };
  const digestOf = (r: AuthResponse) => parseWwwAuthenticate(r.headers['www-authenticate']).find((c) => c.scheme.toLowerCase() === 'digest');

  if (req.password === undefined) return send(undefined, 'none');
  let first: AuthResponse;
  if (req.auth === 'basic') return send(basicAuthorization(req.username, req.password), 'basic');
  if (session.challenge) first = await withDigest(session.challenge);
  else if (req.auth === 'digest') first = await send(undefined, 'none');
  else first = await send(basicAuthorization(req.username, req.password), 'basic');
  if (first.status !== 401) return first;
  const challenge = digestOf(first);
  if (!challenge) return first;
  session.nc = 0;
  return withDigest(challenge.params);
}
