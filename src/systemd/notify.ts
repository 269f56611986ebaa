import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from '../core/logger.js';

/**
 * sd_notify(3) for Node: READY=1, STOPPING=1, STATUS=..., WATCHDOG=1.
 *
 * Node cannot send AF_UNIX datagrams, so the messages go through a helper
 * process in the service's cgroup (the unit needs `NotifyAccess=all`):
 *
 * - `python3` (default when present): one long-lived helper reading one JSON
 *   string per line on stdin and sending each as a datagram. Because it stays
 *   alive, systemd can always attribute its datagrams to the unit (a sender
 *   that exits before systemd reads the message may be dropped), and a ping
 *   costs a pipe write, not a process spawn. It exits when our stdin closes,
 *   so it never outlives the daemon.
 * - `systemd-notify` (fallback, always installed with systemd): one spawn per
 *   message. Since systemd 246 it waits for the manager to process the message
 *   (BARRIER), which closes the attribution race.
 *
 * Without NOTIFY_SOCKET everything is a no-op (not started by systemd).
 *
 * The watchdog pings every WATCHDOG_USEC/2 only while the event loop is
 * healthy: a lag sampler (a timer) must have run recently and without large
 * lag, and every registered health check must pass. A stuck loop therefore
 * stops the pings (nothing runs), and so does a loop that still turns but is
 * starved (each turn blocked for longer than maxLagMs).
 */

export type NotifyTransport = 'python3' | 'systemd-notify';

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** force a transport (tests); default: python3 when found on PATH, else systemd-notify */
  transport?: NotifyTransport | 'auto';
  /** event-loop lag above this fails the watchdog health check; default min(5 s, max(250 ms, interval/3)) */
  maxLagMs?: number;
}

export type HealthCheck = () => boolean;

export interface Notifier {
  /** false when NOTIFY_SOCKET is absent: every call is then a no-op */
  readonly enabled: boolean;
  /** the watchdog ping interval in ms (WATCHDOG_USEC/2), null when systemd set no watchdog for us */
  readonly watchdogIntervalMs: number | null;
  /** how messages are sent (chosen on the first message; null before, or when disabled) */
  transport(): NotifyTransport | null;
  ready(status?: string): void;
  stopping(status?: string): void;
  status(text: string): void;
  /** asks systemd for more start/stop time (EXTEND_TIMEOUT_USEC), e.g. during a long database check */
  extendTimeout(ms: number): void;
  /** starts WATCHDOG=1 pings (no-op without WATCHDOG_USEC); the check runs before every ping */
  startWatchdog(healthCheck?: HealthCheck): void;
  /** an extra named check the watchdog requires (storage writable, ingest listener bound...) */
  addHealthCheck(name: string, check: HealthCheck): void;
  /** stops the watchdog and flushes/ends the helper; call after stopping() */
  stop(): Promise<void>;
}

// Reads JSON strings (one per line) and sends each as one datagram. "@name" is an abstract socket.
const PY_HELPER = `
import json, socket, sys
addr = sys.argv[1]
if addr.startswith('@'):
    addr = '\\0' + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        s.sendto(json.loads(line).encode('utf-8'), addr)
    except Exception as e:
        sys.stderr.write('sd_notify send failed: %s\\n' % e)
        sys.stderr.flush()
`;

export function createNotifier(opts: NotifierOptions): Notifier {
  const env = opts.env ?? process.env;
  const log = opts.logger.child({ component: 'systemd' });
  const socketPath = env.NOTIFY_SOCKET;
  const usable = !!socketPath && (socketPath.startsWith('/') || socketPath.startsWith('@'));
  if (socketPath && !usable) log.warn({ notify_socket: socketPath }, 'NOTIFY_SOCKET kind not supported (only path or @abstract); not notifying systemd');

  const watchdogIntervalMs = usable ? watchdogInterval(env, log) : null;
  const maxLagMs = opts.maxLagMs ?? (watchdogIntervalMs ? Math.min(5000, Math.max(250, watchdogIntervalMs / 3)) : 5000);
  const checks = new Map<string, HealthCheck>();

  let transport: NotifyTransport | null = null;
  let helper: ChildProcess | null = null;
  let helperFailed = false;
  let stopped = false;

  const pickTransport = (): NotifyTransport => {
    if (opts.transport && opts.transport !== 'auto') return opts.transport;
    // Looked up synchronously: a failed spawn is only reported asynchronously, after READY=1 was written into the void.
    return onPath('python3', env.PATH) ? 'python3' : 'systemd-notify';
  };

  const startHelper = (): ChildProcess | null => {
    try {
      const child = spawn('python3', ['-c', PY_HELPER, socketPath!], { stdio: ['pipe', 'ignore', 'pipe'], env: helperEnv(env) });
      child.on('error', (err) => {
        // ENOENT: no python3 on this box; the next message uses systemd-notify.
        log.warn({ err: err.message }, 'sd_notify helper (python3) unavailable; falling back to systemd-notify');
        helperFailed = true;
        helper = null;
      });
      child.on('exit', (code, signal) => {
        if (helper === child) {
          helper = null;
          if (!stopped) {
            helperFailed = true;
            log.warn({ code, signal }, 'sd_notify helper exited; falling back to systemd-notify');
          }
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => log.warn({ detail: d.trim() }, 'sd_notify helper'));
      child.stdin?.on('error', () => {
        /* EPIPE when the helper died: the exit handler switches transport */
      });
      // The helper must never keep the daemon alive on its own.
      child.unref();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
      return child;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot spawn sd_notify helper; falling back to systemd-notify');
      helperFailed = true;
      return null;
    }
  };

  const viaSystemdNotify = (msg: string) => {
    // NOTIFY_SOCKET is read from the environment by systemd-notify itself.
    const child = spawn('systemd-notify', msg.split('\n'), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...helperEnv(env), NOTIFY_SOCKET: socketPath! } });
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => log.warn({ err: e.message }, 'systemd-notify unavailable: cannot notify systemd'));
    child.on('exit', (code) => {
      if (code !== 0) log.warn({ code, detail: err.trim() }, 'systemd-notify failed');
    });
  };

  const send = (fields: Record<string, string>) => {
    if (!usable) return;
    const msg = Object.entries(fields)
      // a newline inside a value would start a new VAR=VALUE line
      .map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, ' ')}`)
      .join('\n');
    transport ??= pickTransport();
    if (transport === 'python3' && !helperFailed) {
      if (!helper) helper = startHelper();
      if (helper?.stdin?.writable) {
        helper.stdin.write(JSON.stringify(msg) + '\n');
        return;
      }
    }
    viaSystemdNotify(msg);
  };

  // ---- watchdog ----------------------------------------------------------------
  let pingTimer: NodeJS.Timeout | null = null;
  let sampleTimer: NodeJS.Timeout | null = null;
  let lastSampleAt = 0;
  let maxLagSincePing = 0;
  let lastHealthy = true;
  let sampleMs = 100;
  let primary: HealthCheck | undefined;

  const evaluate = (): { ok: boolean; why?: string } => {
    const t = performance.now();
    // A sampler that has not run is a stuck loop, whatever order the overdue timers fire in.
    const sinceSample = t - lastSampleAt;
    if (sinceSample > sampleMs + maxLagMs) return { ok: false, why: `event loop stalled for ${Math.round(sinceSample)} ms` };
    if (maxLagSincePing > maxLagMs) return { ok: false, why: `event loop lag ${Math.round(maxLagSincePing)} ms > ${maxLagMs} ms` };
    try {
      if (primary && !primary()) return { ok: false, why: 'health check failed' };
      for (const [name, check] of checks) if (!check()) return { ok: false, why: `health check "${name}" failed` };
    } catch (err) {
      return { ok: false, why: `health check threw: ${(err as Error).message}` };
    }
    return { ok: true };
  };

  const ping = () => {
    const h = evaluate();
    maxLagSincePing = 0;
    if (h.ok) {
      if (!lastHealthy) log.info('watchdog healthy again; pings resumed');
      lastHealthy = true;
      send({ WATCHDOG: '1' });
    } else {
      if (lastHealthy) log.warn({ reason: h.why }, 'watchdog ping withheld: daemon unhealthy (systemd restarts it if this persists)');
      lastHealthy = false;
    }
  };

  return {
    enabled: usable,
    watchdogIntervalMs,
    transport: () => (helperFailed && transport === 'python3' ? 'systemd-notify' : transport),
    ready(status) {
      send(status ? { READY: '1', STATUS: status } : { READY: '1' });
    },
    stopping(status) {
      send(status ? { STOPPING: '1', STATUS: status } : { STOPPING: '1' });
    },
    status(text) {
      send({ STATUS: text });
    },
    extendTimeout(ms) {
      if (ms > 0) send({ EXTEND_TIMEOUT_USEC: String(Math.round(ms * 1000)) });
    },
    addHealthCheck(name, check) {
      checks.set(name, check);
    },
    startWatchdog(healthCheck) {
      if (!watchdogIntervalMs || pingTimer) return;
      primary = healthCheck;
      sampleMs = Math.max(10, Math.min(500, Math.floor(watchdogIntervalMs / 4)));
      let expected = performance.now() + sampleMs;
      lastSampleAt = performance.now();
      sampleTimer = setInterval(() => {
        const t = performance.now();
        maxLagSincePing = Math.max(maxLagSincePing, t - expected);
        expected = t + sampleMs;
        lastSampleAt = t;
      }, sampleMs);
      pingTimer = setInterval(ping, watchdogIntervalMs);
      sampleTimer.unref();
      pingTimer.unref();
      send({ WATCHDOG: '1' });
      log.debug({ interval_ms: watchdogIntervalMs, max_lag_ms: maxLagMs }, 'watchdog started');
    },
    async stop() {
      if (pingTimer) clearInterval(pingTimer);
      if (sampleTimer) clearInterval(sampleTimer);
      pingTimer = sampleTimer = null;
      stopped = true;
      const h = helper;
      helper = null;
      if (!h) return;
      // Closing stdin lets the helper send what it has read, then exit.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          h.kill('SIGKILL');
          resolve();
        }, 2000);
        h.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        h.stdin?.end();
      });
    },
  };
}

function onPath(cmd: string, path: string | undefined): boolean {
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

function watchdogInterval(env: NodeJS.ProcessEnv, log: Logger): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return null;
  // WATCHDOG_PID names the process the watchdog is meant for (it may be a parent shell's).
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) {
    log.debug({ watchdog_pid: env.WATCHDOG_PID }, 'WATCHDOG_PID is another process; not pinging');
    return null;
  }
  return Math.max(1, Math.floor(usec / 2000));
}

/** The helper gets no watchdog/notify variables of its own (it is told the socket explicitly). */
function helperEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NOTIFY_SOCKET: _n, WATCHDOG_USEC: _u, WATCHDOG_PID: _p, ...rest } = env;
  return rest;
}
