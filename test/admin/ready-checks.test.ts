import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { combineChecks, recentPostCheck, storageReadyCheck } from '../../src/admin/context.js';
import { bearerMatches, checkAdminExposure, isLoopbackHost } from '../../src/admin/auth.js';
import { createAdminServer } from '../../src/admin/server.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { storageSchema } from '../../src/config/schema.js';
import { openStore } from '../../src/storage/sqlite-store.js';

describe('readiness checks', () => {
  it('storageReadyCheck reflects a real store: ok while open, failing once closed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-ready-'));
    try {
      const store = openStore(storageSchema.parse({ data_dir: dir }), { logger: silentLogger(), clock: new ManualClock(), site: 's' });
      expect(storageReadyCheck(store.health())).toEqual({ ok: true });
      store.close();
      const c = storageReadyCheck(store.health());
      expect(c.ok).toBe(false);
      expect(c.detail).toMatch(/not (open|writable)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('storageReadyCheck names a read-only store and its last error', () => {
    const c = storageReadyCheck({ open: true, writable: false, last_error: 'SQLITE_READONLY', db_bytes: 1, wal_bytes: 0 });
    expect(c).toEqual({ ok: false, detail: 'storage not writable: SQLITE_READONLY' });
  });

  it('recentPostCheck: off at 0, failing before any post, failing when stale', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(recentPostCheck(null, now, 0).ok).toBe(true);
    expect(recentPostCheck(null, now, 300)).toEqual({ ok: false, detail: 'no camera has posted yet' });
    expect(recentPostCheck(now - 299_000, now, 300).ok).toBe(true);
    expect(recentPostCheck(now - 301_000, now, 300)).toEqual({ ok: false, detail: 'no camera posted for 301 s (limit 300 s)' });
  });

  it('combineChecks is ok only when every check is', () => {
    expect(combineChecks({ a: { ok: true }, b: { ok: true } }).ok).toBe(true);
    expect(combineChecks({ a: { ok: true }, b: { ok: false } }).ok).toBe(false);
    expect(combineChecks({}).ok).toBe(true);
  });

  it('GET /readyz over HTTP is 503 once the real store is closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-ready-'));
    const metrics = createMetrics({ defaultMetrics: false });
    const store = openStore(storageSchema.parse({ data_dir: dir }), { logger: silentLogger(), clock: new ManualClock(), site: 's' });
    const server = createAdminServer({
      logger: silentLogger(),
      clock: new ManualClock(),
      metrics,
      listen: '127.0.0.1:0',
      store,
      ready: () => combineChecks({ storage: storageReadyCheck(store.health()) }),
      state: () => {
        throw new Error('unused');
      },
      override: () => ({ ok: false, status: 404, message: 'unused' }),
    });
    try {
      const { port } = await server.start();
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      store.close();
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ok: boolean; checks: Record<string, { ok: boolean }> };
      expect(body.ok).toBe(false);
      expect(body.checks.storage!.ok).toBe(false);
      expect(body.checks.admin_listener!.ok).toBe(true);
      // HEAD is answered like GET, without a body
      const head = await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    } finally {
      await server.stop();
      metrics.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('admin auth helpers', () => {
  it('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('checkAdminExposure refuses LAN addresses without a token only', () => {
    expect(() => checkAdminExposure('127.0.0.1', undefined)).not.toThrow();
    expect(() => checkAdminExposure('0.0.0.0', 'long-enough-token')).not.toThrow();
    expect(() => checkAdminExposure('0.0.0.0', undefined)).toThrow(/refusing to expose the admin API/);
  });

  it('bearerMatches accepts only the exact token in a Bearer header', () => {
    expect(bearerMatches('Bearer s3cret-token', 's3cret-token')).toBe(true);
    expect(bearerMatches('bearer  s3cret-token', 's3cret-token')).toBe(true);
    expect(bearerMatches('Bearer s3cret-toke', 's3cret-token')).toBe(false);
    expect(bearerMatches('Bearer s3cret-token2', 's3cret-token')).toBe(false);
    expect(bearerMatches('Basic czNjcmV0LXRva2Vu', 's3cret-token')).toBe(false);
    expect(bearerMatches('s3cret-token', 's3cret-token')).toBe(false);
    expect(bearerMatches(undefined, 's3cret-token')).toBe(false);
  });
});
