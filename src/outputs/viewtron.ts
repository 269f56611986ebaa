import type { Dispatcher } from 'undici';
import { fetchWithAuth, type DigestSession } from './digest.js';
import { OutputError, safeOn, type DriverDeps, type OutputConfig, type OutputDriver } from './types.js';

export const MANUAL_ALARM_OUT_BODY = (on: boolean) =>
  `<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><action><status>${on}</status></action></config>`;

/** `<config status="failed" errorCode="N" errorDesc="..."/>` → the failure, else null. */
export function viewtronFailure(body: string): { errorCode?: string; errorDesc?: string } | null {
  const m = /<config\b([^>]*)>/i.exec(body) ?? /<config\b([^>]*)\/>/i.exec(body);
  if (!m) return null;
  const attr = (name: string) => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(m[1]!)?.[1];
  if (attr('status')?.toLowerCase() !== 'failed') return null;
  return { errorCode: attr('errorCode'), errorDesc: attr('errorDesc') };
}

class Permanent extends Error {}

/**
 * A camera's or NVR's alarm output over its HTTP API (protocol spec §5.1, §5.3):
 * `alarm_out` = POST /ManualAlarmOut[/channel] with <status>true|false</status>;
 * `virtual_alarm` = NVR GET /TriggerVirtualAlarm/{id}, which has no "off" (off is a logged no-op).
 * Transient failures (network, timeout, 5xx) are retried `retries` times; a refusal
 * (401, 4xx, status="failed") is not.
 */
export function createViewtronDriver(cfg: OutputConfig, deps: DriverDeps & { dispatcher?: Dispatcher }): OutputDriver {
  const v = cfg.viewtron;
  if (!v) throw new OutputError(cfg.id, 'viewtron outputs need a `viewtron:` block');
  const log = deps.logger.child({ component: 'output', output: cfg.id, driver: 'viewtron', host: v.host });
  const base = `http://${v.host.includes(':') && !v.host.startsWith('[') ? `[${v.host}]` : v.host}:${v.port}`;
  const session: DigestSession = { nc: 0 };
  const delay = deps.retryDelayMs ?? ((attempt: number) => 250 * attempt);
  let lastError: string | null = null;
  let state: boolean | null = null;

  const call = async (method: 'GET' | 'POST', path: string, body?: string): Promise<void> => {
    const tries = v.retries + 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await fetchWithAuth(base + path, {
          method,
          body,
          headers: body ? { 'content-type': 'application/xml; charset="UTF-8"' } : {},
          username: v.username,
          password: v.password,
          auth: v.auth,
          timeoutMs: v.timeout_ms,
          dispatcher: deps.dispatcher,
          session,
        });
        if (r.status === 401) throw new Permanent(`authentication refused (HTTP 401 after ${r.scheme} auth): check viewtron.username/password`);
        if (r.status >= 500) throw new Error(`HTTP ${r.status}`);
        if (r.status >= 300) throw new Permanent(`HTTP ${r.status} for ${method} ${path}`);
        const failed = viewtronFailure(r.body);
        if (failed)
          throw new Permanent(`device refused ${path}: errorCode ${failed.errorCode ?? '?'}${failed.errorDesc ? ` (${failed.errorDesc})` : ''}`);
        lastError = null;
        return;
      } catch (e) {
        const msg = (e as Error).name === 'TimeoutError' ? `no answer within ${v.timeout_ms} ms` : (e as Error).message;
        if (e instanceof Permanent || attempt >= tries) {
          lastError = e instanceof Permanent ? msg : `${msg} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`;
          throw new OutputError(cfg.id, `${v.host}: ${lastError}`);
        }
        log.warn({ attempt, err: msg }, `output ${cfg.id}: ${method} ${path} failed, retrying`);
        await new Promise((r) => setTimeout(r, delay(attempt)));
      }
    }
  };

  const drive = async (on: boolean) => {
    if (v.kind === 'virtual_alarm') {
      if (!on) {
        log.info(`output ${cfg.id}: TriggerVirtualAlarm has no "off"; the NVR's linkage ends the alarm itself`);
        state = false;
        return;
      }
      if (v.virtual_alarm_id === undefined) throw new OutputError(cfg.id, 'viewtron.virtual_alarm_id is required for kind virtual_alarm');
      await call('GET', `/TriggerVirtualAlarm/${v.virtual_alarm_id}`);
    } else {
      await call('POST', `/ManualAlarmOut${v.channel !== undefined ? `/${v.channel}` : ''}`, MANUAL_ALARM_OUT_BODY(on));
    }
    state = on;
  };

  const guarded = async (on: boolean) => {
    try {
      await drive(on);
    } catch (e) {
      state = null;
      throw e;
    }
  };

  return {
    id: cfg.id,
    kind: 'viewtron',
    async init() {
      if (v.kind === 'alarm_out')
        log.warn(
          `output ${cfg.id}: IPC firmware forces its alarm output off when a perimeter alarm cycle ends, even in manual mode; ` +
            'ManualAlarmOut on a camera running perimeter detection is unreliable. Prefer an NVR output or an external relay.',
        );
      try {
        await guarded(safeOn(cfg));
      } catch (e) {
        log.error(`output ${cfg.id}: could not drive the safe state at start: ${(e as Error).message}`);
      }
    },
    set: (on) => guarded(on),
    safe: () => guarded(safeOn(cfg)),
    // The safe request was already answered when the state is known to be safe: no second call.
    close: async () => {
      if (state !== safeOn(cfg)) await guarded(safeOn(cfg));
    },
    available: () => (lastError ? { ok: false, error: lastError } : { ok: true }),
    state: () => state,
  };
}
