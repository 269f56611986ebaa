import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../cli/types.js';
import { CameraAuthError, CameraCommandError, CameraUnreachableError, type CameraTarget } from './http.js';

export const PASSWORD_ENV = 'CAMRELAY_CAMERA_PASSWORD';

/** Flags shared by `camera subscribe` and `camera status`. */
export const CONNECTION_FLAGS = {
  host: { type: 'string' },
  port: { type: 'number' },
  user: { type: 'string' },
  'password-file': { type: 'string' },
  // accepted only to refuse it with a helpful message: a password in argv lands in `ps` and shell history
  password: { type: 'string' },
  timeout: { type: 'number' },
} as const;

export const CONNECTION_USAGE = `  --host H              camera address (required)
  --port P              camera HTTP port (default 80)
  --user U              login user
  --password-file F     file holding the password (or set ${PASSWORD_ENV});
                        passwords are never accepted on the command line
  --timeout S           seconds to wait for the camera (default 8)`;

/** Builds the connection target from flags/env; the password comes from a file or the environment only. */
export function targetFromFlags(
  flags: Record<string, unknown>,
  io: { env: NodeJS.ProcessEnv; cwd: string },
  requireUser: boolean,
): CameraTarget {
  if (flags.password !== undefined) {
    throw new UsageError(`passwords are not accepted on the command line; use --password-file FILE or the ${PASSWORD_ENV} environment variable`);
  }
  const host = flags.host as string | undefined;
  if (!host) throw new UsageError('--host is required');
  const port = (flags.port as number | undefined) ?? 80;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be 1..65535');
  const user = flags.user as string | undefined;
  if (requireUser && !user) throw new UsageError('--user is required');
  let password: string | undefined;
  const file = flags['password-file'] as string | undefined;
  if (file) {
    try {
      // one trailing newline is the editor's, not the password's
      password = readFileSync(resolve(io.cwd, file), 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new UsageError(`cannot read --password-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else if (io.env[PASSWORD_ENV] !== undefined) {
    password = io.env[PASSWORD_ENV];
  }
  if (user && password === undefined) throw new UsageError(`--user needs a password: --password-file FILE or ${PASSWORD_ENV}`);
  const timeout = (flags.timeout as number | undefined) ?? 8;
  if (!(timeout > 0)) throw new UsageError('--timeout must be > 0');
  return { host, port, user, password, timeoutMs: Math.round(timeout * 1000) };
}

/** Maps the camera errors to the one-line messages an installer reads; undefined for anything else. */
export function explainCameraError(e: unknown): string | undefined {
  if (e instanceof CameraAuthError || e instanceof CameraUnreachableError || e instanceof CameraCommandError) return e.message;
  return undefined;
}
