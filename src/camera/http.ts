import { Client, errors as undiciErrors } from 'undici';
import { fetchWithAuth, parseWwwAuthenticate, type AuthMode, type DigestSession } from '../outputs/digest.js';

/**
 * HTTP access to a Viewtron camera's control API (viewtron-protocol.md §5.1):
 * POST http://host:port/<Command> with an XML body, Basic or Digest auth.
 *
 * Auth goes through src/outputs/digest.ts (the one Basic/Digest implementation).
 * The first request goes out without credentials and the device's 401
 * challenge decides the scheme: Digest when offered (the nonce is then reused,
 * nc counting up), Basic otherwise. So a password is never sent in Basic form
 * to a device that would have accepted Digest.
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
  private readonly session: DigestSession = { nc: 0 };
  /** 'digest' until a challenge shows the device only does Basic */
  private mode: AuthMode = 'digest';
  private readonly origin: string;

  constructor(private readonly target: CameraTarget) {
    const timeout = target.timeoutMs ?? 8000;
    const host = target.host.includes(':') && !target.host.startsWith('[') ? `[${target.host}]` : target.host;
    this.origin = `http://${host}:${target.port}`;
    this.client = new Client(this.origin, { connectTimeout: timeout, headersTimeout: timeout, bodyTimeout: timeout });
  }

  get where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  private async once(path: string, body: string | undefined) {
    const headers: Record<string, string> = { connection: 'keep-alive' };
    if (body !== undefined) headers['content-type'] = 'application/xml; charset="UTF-8"';
    try {
      return await fetchWithAuth(`${this.origin}${path}`, {
        method: 'POST',
        headers,
        body,
        username: this.target.user ?? '',
        password: this.target.user === undefined ? undefined : (this.target.password ?? ''),
        auth: this.mode,
        timeoutMs: this.target.timeoutMs ?? 8000,
        dispatcher: this.client,
        session: this.session,
      });
    } catch (e) {
      const code = errCode(e);
      const name = (e as Error)?.name;
      if (
        name === 'TimeoutError' ||
        name === 'AbortError' ||
        e instanceof undiciErrors.ConnectTimeoutError ||
        e instanceof undiciErrors.HeadersTimeoutError ||
        e instanceof undiciErrors.BodyTimeoutError ||
        (code && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_CLOSED)$/.test(code))
      ) {
        throw new CameraUnreachableError(`cannot reach ${this.where} (${code ?? (name === 'TimeoutError' ? 'timeout' : (e as Error).message)})`);
      }
      throw e;
    }
  }

  /** Sends one control command; resolves with a 2xx response or throws a typed error. */
  async command(command: string, body?: string): Promise<CameraResponse> {
    const path = `/${command.replace(/^\//, '')}`;
    let res = await this.once(path, body);
    if (res.status === 401) {
      if (this.target.user === undefined) {
        throw new CameraAuthError(`the camera at ${this.where} requires a login; pass --user and --password-file`);
      }
      const schemes = parseWwwAuthenticate(res.headers['www-authenticate']).map((c) => c.scheme.toLowerCase());
      if (res.scheme === 'none' && this.mode === 'digest' && schemes.includes('basic') && !schemes.includes('digest')) {
        // a Basic-only device: answer its challenge, and use Basic from now on
        this.mode = 'basic';
        res = await this.once(path, body);
      }
      if (res.status === 401) {
        if (res.scheme === 'none') throw new CameraAuthError(`authentication failed for user ${this.target.user} (no usable WWW-Authenticate challenge)`);
        throw new CameraAuthError(`authentication failed for user ${this.target.user}`);
      }
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
