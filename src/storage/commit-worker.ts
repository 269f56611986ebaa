import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Durability } from './open-db.js';

/**
 * The group commit's transaction runs in a worker thread with its own SQLite
 * connection, so the WAL fsync of durability=full (1–20 ms on flash, up to
 * 140 ms measured under load) never blocks the event loop that answers
 * traject posts and drives the relays. The main thread keeps its connection
 * for reads and bookkeeping writes (WAL: readers never wait for the writer;
 * the two writers take turns through busy_timeout).
 *
 * The worker body is an eval'd CommonJS string, not a file: it runs the same
 * from dist/ (node), from vitest (TS source, which would not transpile a
 * worker file) and from an esbuild bundle (test/storage/fsync.test.ts), with
 * better-sqlite3 resolved by the main thread and passed in.
 */

export interface CommitRow {
  id: string;
  type: string;
  camera: string;
  time_ms: number;
  event: string;
  body: string;
}

export type CommitResult =
  | { id: number; ok: true; seqs: (number | null)[] }
  | { id: number; ok: false; code: string | null; message: string };

export interface CommitWorkerOptions {
  file: string;
  durability: Durability;
  busyTimeoutMs: number;
  walLimitBytes: number;
}

const WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const { file, durability, busyTimeoutMs, walLimitBytes, port, flag } = workerData;
let db = null;
let tx = null;
function openDb() {
  const d = new Database(file, { timeout: busyTimeoutMs, fileMustExist: true });
  try {
    // the main thread created the file in WAL mode; synchronous must be set after journal_mode (see open-db.ts)
    const mode = d.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error('could not switch ' + file + ' to WAL mode (got ' + mode + ')');
    d.pragma('synchronous = ' + (durability === 'full' ? 'FULL' : 'NORMAL'));
    d.pragma('journal_size_limit = ' + Math.floor(walLimitBytes));
    d.pragma('temp_store = MEMORY');
    d.pragma('foreign_keys = OFF');
    const insertEvent = d.prepare('INSERT INTO events (id, type, camera, time_ms, stored_at, event, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING');
    const insertDelivery = d.prepare('INSERT OR IGNORE INTO deliveries (sink, seq) VALUES (?, ?)');
    tx = d.transaction((req) => req.rows.map((r) => {
      const res = insertEvent.run(r.id, r.type, r.camera, r.time_ms, req.now, r.event, r.body);
      if (res.changes === 0) return null;
      const seq = Number(res.lastInsertRowid);
      for (const s of req.sinks) insertDelivery.run(s, seq);
      return seq;
    }));
    db = d;
  } catch (e) {
    try { d.close(); } catch {}
    throw e;
  }
}
port.on('message', (m) => {
  if (m.op === 'commit') {
    try {
      if (!db) openDb();
      port.postMessage({ id: m.id, ok: true, seqs: tx(m) });
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, code: e && typeof e.code === 'string' ? e.code : null, message: String((e && e.message) || e) });
    }
  } else if (m.op === 'close') {
    try { if (db) db.close(); } catch {}
    db = null;
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    port.close();
  }
});
`;

function sqlitePath(): string {
  // import.meta.url is undefined in a CommonJS bundle (the fsync test's esbuild build): resolve from the cwd then (NODE_PATH applies)
  const from = typeof import.meta.url === 'string' ? import.meta.url : join(process.cwd(), 'noop.js');
  return createRequire(from).resolve('better-sqlite3');
}

/** Handle on the commit thread. Results arrive in commit order through onResult. */
export class CommitWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private inflight = 0;
  private closed = false;

  constructor(
    opts: CommitWorkerOptions,
    private readonly onResult: (r: CommitResult) => void,
    onCrash: (e: Error) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...opts, sqlite: sqlitePath(), port: port2, flag: this.flag },
      transferList: [port2],
      // it only holds prepared statements and one batch at a time
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    this.worker.on('error', (e) => {
      if (this.closed) return;
      this.closed = true;
      this.inflight = 0;
      this.port.close();
      onCrash(e);
    });
    this.port.on('message', (r: CommitResult) => this.settle(r));
    // only an in-flight commit keeps the process alive (like a pending fs call would)
    this.worker.unref();
    this.port.unref();
  }

  get busy(): boolean {
    return this.inflight > 0;
  }

  get alive(): boolean {
    return !this.closed;
  }

  /** Posts one group's rows; returns the id its CommitResult will carry. */
  commit(rows: CommitRow[], sinks: string[], now: number): number {
    const id = this.nextId++;
    if (this.inflight++ === 0) this.port.ref();
    this.port.postMessage({ op: 'commit', id, rows, sinks, now });
    return id;
  }

  /**
   * Synchronous, for EventStore.close(): waits until the worker has committed
   * everything posted and closed its connection, then delivers the results.
   */
  closeSync(timeoutMs = 10_000): void {
    if (this.closed) return;
    this.closed = true;
    this.port.postMessage({ op: 'close' });
    Atomics.wait(this.flag, 0, 0, timeoutMs);
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.settle(m.message as CommitResult);
    this.port.close();
    void this.worker.terminate();
  }

  private settle(r: CommitResult): void {
    if (this.inflight > 0 && --this.inflight === 0) this.port.unref();
    this.onResult(r);
  }
}
