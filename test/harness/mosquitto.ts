import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private mosquitto per test: generated config in a temp dir, listener on
 * 127.0.0.1 on a free port, never the system broker on 1883.
 */
export interface MosquittoHandle {
  url: string;
  port: number;
  dir: string;
  /** kill the broker (SIGKILL when `hard`, which also skips persistence save) */
  stop(hard?: boolean): Promise<void>;
  /** (re)start on the same port */
  start(): Promise<void>;
  /** stop and remove the temp dir */
  close(): Promise<void>;
}

export interface MosquittoOptions {
  port?: number;
  persistence?: boolean;
  /** username → password; switches allow_anonymous off */
  users?: Record<string, string>;
  /** mosquitto ACL file content (e.g. "user u\ntopic read #") */
  acl?: string;
  /** TLS listener (PEM file paths); the url becomes mqtts:// */
  tls?: { cafile: string; certfile: string; keyfile: string; requireCertificate?: boolean };
}

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoHandle> {
  if (!existsSync(MOSQUITTO_BIN)) {
    throw new Error(
      `mosquitto not found at ${MOSQUITTO_BIN}: install the Debian package "mosquitto" (apt-get install mosquitto) or set MOSQUITTO_BIN`,
    );
  }
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-mosq-'));
  // queue limits lifted: tests park thousands of QoS 1 messages for offline persistent sessions
  const lines = [
    `listener ${port} 127.0.0.1`,
    ...(opts.tls
      ? [
          `cafile ${opts.tls.cafile}`,
          `certfile ${opts.tls.certfile}`,
          `keyfile ${opts.tls.keyfile}`,
          `require_certificate ${opts.tls.requireCertificate ? 'true' : 'false'}`,
        ]
      : []),
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'max_queued_messages 0',
    'max_queued_bytes 0',
  ];
  // started as root, mosquitto drops to user "mosquitto", which cannot write our 0700 temp dir (persistence, log)
  if (process.getuid?.() === 0) lines.push('user root');
  // CAMRELAY_MOSQ_DEBUG=1 keeps a full broker log in <dir>/mosquitto.log
  if (process.env.CAMRELAY_MOSQ_DEBUG) lines.push(`log_dest file ${join(dir, 'mosquitto.log')}`, 'log_type all');
  if (opts.users && Object.keys(opts.users).length) {
    // mosquitto 2 accepts plain-text password files only through mosquitto_passwd; generate hashed with it.
    const pw = join(dir, 'passwd');
    writeFileSync(pw, Object.entries(opts.users).map(([u, p]) => `${u}:${p}`).join('\n') + '\n', { mode: 0o600 });
    const r = spawn('/usr/bin/mosquitto_passwd', ['-U', pw]);
    await new Promise((res) => r.on('close', res));
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (opts.acl !== undefined) {
    const acl = join(dir, 'acl');
    writeFileSync(acl, opts.acl.endsWith('\n') ? opts.acl : opts.acl + '\n');
    lines.push(`acl_file ${acl}`);
  }
  if (opts.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 1');
  else lines.push('persistence false');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');

  let child: ChildProcess | null = null;
  let stderr = '';

  const start = async (): Promise<void> => {
    if (child) return;
    stderr = '';
    const c = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    c.once('exit', () => {
      exited = true;
      if (child === c) child = null;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`mosquitto exited at start: ${stderr.trim()}`);
      if (await portOpen(port)) return;
      await sleep(25);
    }
    c.kill('SIGKILL');
    throw new Error(`mosquitto did not open port ${port} within 10 s: ${stderr.trim()}`);
  };

  const stop = async (hard = false): Promise<void> => {
    const c = child;
    if (!c) return;
    child = null;
    await new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
    // wait until the port is really closed so a restart can bind it
    for (let i = 0; i < 200 && (await portOpen(port)); i++) await sleep(10);
  };

  await start();
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    dir,
    start,
    stop,
    close: async () => {
      await stop();
      if (!process.env.CAMRELAY_MOSQ_DEBUG) rmSync(dir, { recursive: true, force: true });
    },
  };
}
