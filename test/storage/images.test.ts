import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { ImageStore } from '../../src/storage/images.js';
import { storeConfig, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('camrelay-images-');
});
afterEach(() => t.cleanup());

const T0 = Date.UTC(2026, 0, 15, 23, 59, 0);
const DAY = 86_400_000;
const jpeg = (n: number, fill = 1) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(n - 5, fill), Buffer.from([0xff, 0xd9])]);

function images(over: Partial<{ max_total_mb: number; max_count: number; max_age_days: number }> = {}) {
  const cfg = storeConfig(t.dir);
  return new ImageStore({ ...cfg.images, ...over, dir: join(t.dir, 'images') }, { logger: silentLogger() });
}

describe('ImageStore', () => {
  it('writes <images>/<yyyy-mm-dd>/<eventId>-<kind>.jpg with sha256 and size, leaving no temp files', async () => {
    const store = images();
    const data = jpeg(1000);
    const r = await store.save('ev-1', 'overview', data, T0);
    expect(r).toEqual({ file: '2026-01-15/ev-1-overview.jpg', bytes: 1000, sha256: createHash('sha256').update(data).digest('hex') });
    const abs = join(t.dir, 'images', r.file);
    expect(readFileSync(abs)).toEqual(data);
    expect(readdirSync(join(t.dir, 'images', '2026-01-15'))).toEqual(['ev-1-overview.jpg']);
    expect(await store.read(r.file)).toEqual(data);
  });

  it('sanitises ids into a safe file name and refuses paths outside the folder', async () => {
    const store = images();
    const r = await store.save('../../etc/passwd', 'target', jpeg(10), T0);
    expect(r.file).toBe('2026-01-15/.._.._etc_passwd-target.jpg');
    expect(() => store.pathOf('../outside.jpg')).toThrow(/escapes/);
  });

  it('prune removes images older than max_age_days and empty day folders', async () => {
    const store = images({ max_age_days: 1 });
    const old = await store.save('old', 'overview', jpeg(100), T0);
    const fresh = await store.save('new', 'overview', jpeg(100), T0 + 2 * DAY);
    expect((await store.prune(T0 + DAY - 1)).removed).toBe(0);
    const r = await store.prune(T0 + 2 * DAY);
    expect(r).toMatchObject({ removed: 1, count: 1, total_bytes: 100 });
    expect(existsSync(join(t.dir, 'images', old.file))).toBe(false);
    expect(existsSync(join(t.dir, 'images', '2026-01-15'))).toBe(false);
    expect(existsSync(join(t.dir, 'images', fresh.file))).toBe(true);
  });

  it('prune enforces max_count, oldest first', async () => {
    const store = images({ max_count: 3, max_total_mb: 1 });
    const saved = [];
    for (let i = 0; i < 5; i++) saved.push(await store.save(`e${i}`, 'target', jpeg(1000), T0 + i * 1000));
    const r = await store.prune(T0 + 10_000);
    expect(r).toMatchObject({ removed: 2, count: 3 });
    expect(saved.map((s) => existsSync(join(t.dir, 'images', s.file)))).toEqual([false, false, true, true, true]);

  });

  it('prune enforces max_total_mb, oldest first', async () => {
    const store = images({ max_count: 100, max_total_mb: 1 });
    const big = [];
    for (let i = 0; i < 3; i++) big.push(await store.save(`b${i}`, 'overview', jpeg(400 * 1024), T0 + i));
    const r = await store.prune(T0 + 30_000);
    expect(r).toMatchObject({ removed: 1, count: 2, total_bytes: 800 * 1024 });
    expect(big.map((s) => existsSync(join(t.dir, 'images', s.file)))).toEqual([false, true, true]);
  });

  it('a new instance finds existing images by scanning and removes stale temp files', async () => {
    const first = images({ max_count: 1 });
    await first.save('a', 'overview', jpeg(50), T0);
    await first.save('b', 'overview', jpeg(50), T0 + 1000);
    const tmp = join(t.dir, 'images', '2026-01-15', '.tmp-abc-c-overview.jpg');
    writeFileSync(tmp, 'partial');
    mkdirSync(join(t.dir, 'images', 'not-a-day'));
    const second = images({ max_count: 1 });
    const r = await second.prune(T0 + 2000);
    expect(r).toMatchObject({ removed: 1, count: 1 });
    expect(existsSync(tmp)).toBe(false);
    expect(readdirSync(join(t.dir, 'images', '2026-01-15'))).toEqual(['b-overview.jpg']);
  });
});
