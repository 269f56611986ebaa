import { resolve } from 'node:path';
import { pino } from 'pino';
import { systemClock } from '../core/clock.js';
import { loadConfig } from '../config/load.js';
import type { CliIO } from '../cli/types.js';
import { openStoreForAdmin, type SqliteStore } from './sqlite-store.js';

/**
 * Shared by the `queue *` and `quarantine list` commands: finds the database
 * from the config (data_dir relative to the working directory, as the daemon
 * resolves it) and opens a second connection beside a running daemon.
 */
export function openCliStore(configFlag: string | undefined, io: CliIO): SqliteStore {
  const { config } = loadConfig(configFlag, io.env, io.cwd);
  return openStoreForAdmin(
    { ...config.storage, data_dir: resolve(io.cwd, config.storage.data_dir), quarantine_max_rows: config.ingest.quarantine_max_rows },
    { logger: pino({ level: 'silent' }), clock: systemClock, site: config.site.id },
  );
}

/** Runs fn with a CLI store and always closes it. */
export async function withCliStore<T>(configFlag: string | undefined, io: CliIO, fn: (s: SqliteStore) => T | Promise<T>): Promise<T> {
  const store = openCliStore(configFlag, io);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** "3d4h", "12m5s", "0s" */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [u, n] of units) {
    const q = Math.floor(rest / n);
    if (q || (u === 's' && !parts.length)) parts.push(`${q}${u}`);
    rest -= q * n;
    if (parts.length === 2) break;
  }
  return parts.join('');
}

/** Left-aligned columns, for people; --json is for scripts. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** A printable preview of raw bytes: control characters escaped, cut at `max`. */
export function preview(buf: Buffer, max = 80): string {
  const s = buf.subarray(0, max * 4).toString('utf8').replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return s.length > max ? s.slice(0, max) + '…' : s;
}

export function requireKnownSink(store: SqliteStore, sink: string): void {
  const known = store.sinks();
  if (!known.includes(sink)) throw new UnknownSink(`unknown sink "${sink}"; known sinks: ${known.length ? known.join(', ') : '(none registered yet)'}`);
}

/** Exit 1 (not a usage error: the flag was well-formed). */
export class UnknownSink extends Error {
  override name = 'UnknownSink';
}
