import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageUnavailable } from '../../src/storage/types.js';
import { ev, newStore } from './helpers.js';

/**
 * Disk full and read-only on a real 2 MiB tmpfs. Needs root (mount); without it
 * the tests fail when CI=true and are skipped with a printed reason otherwise.
 */
let dir = '';
let mountError: string | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'camrelay-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    mountError = `cannot mount a tmpfs (needs root): ${(e as Error).message}`;
    if (process.env.CI === 'true') throw new Error(mountError);
    console.warn(`SKIPPING disk tests: ${mountError}`);
  }
});

afterAll(() => {
  if (!mountError) execFileSync('umount', [dir]);
  rmdirSync(dir);
});

/** Fills the filesystem to the last byte (shrinking chunks), so not even one page fits. */
function fillDisk(file: string): number {
  const fd = openSync(file, 'a');
  let written = 0;
  try {
    for (const size of [64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (e) {
        expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe('disk full and read-only (real tmpfs)', () => {
  it('disk full: append rejects with StorageUnavailable, health says why, and it recovers once space returns', async (ctx) => {
    if (mountError) return ctx.skip(mountError);
    const data = join(dir, 'full');
    const { store, clock } = newStore(data);
    store.registerSink('mqtt');
    const ok = await store.append([ev()]);
    expect(ok.length).toBe(1);
    expect(store.health().writable).toBe(true);

    const filler = join(dir, 'filler');
    expect(fillDisk(filler)).toBeGreaterThan(0);
    const big = Array.from({ length: 100 }, () => ev({}, 4000));
    await expect(store.append(big)).rejects.toBeInstanceOf(StorageUnavailable);
    const h = store.health();
    expect(h.writable).toBe(false);
    expect(h.last_error).toMatch(/SQLITE_FULL|full/i);
    // the failed group left nothing behind
    expect(store.pending('mqtt', 1000).map((s) => s.seq)).toEqual([ok[0]!.seq]);
    expect(store.hasEvent(big[0]!.id)).toBe(false);

    unlinkSync(filler);
    const again = await store.append(big.slice(0, 20));
    expect(again.length).toBe(20);
    expect(store.health()).toMatchObject({ writable: true, last_error: null });
    expect(store.pending('mqtt', 1000).length).toBe(21);

    // full again; this time maintenance (no append) notices the space is back
    fillDisk(filler);
    await expect(store.append(Array.from({ length: 100 }, () => ev({}, 4000)))).rejects.toBeInstanceOf(StorageUnavailable);
    expect(store.health().writable).toBe(false);
    expect(store.maintain(clock.now()).recovered).toBe(false);
    unlinkSync(filler);
    expect(store.maintain(clock.now()).recovered).toBe(true);
    expect(store.health().writable).toBe(true);
    store.close();
  });

  it('read-only filesystem: the store stays up unopened and unwritable, and recovers when it is writable again', async (ctx) => {
    if (mountError) return ctx.skip(mountError);
    const data = join(dir, 'ro');
    const first = newStore(data);
    const kept = await first.store.append([ev()]);
    first.store.close();

    execFileSync('mount', ['-o', 'remount,ro', dir]);
    let remounted = false;
    try {
      const { store, clock } = newStore(data);
      const h = store.health();
      expect(h.writable).toBe(false);
      expect(h.open).toBe(false);
      expect(h.last_error).toMatch(/SQLITE_CANTOPEN|read-only|unable to open/i);
      await expect(store.append([ev()])).rejects.toBeInstanceOf(StorageUnavailable);
      expect(store.maintain(clock.now()).recovered).toBe(false);

      execFileSync('mount', ['-o', 'remount,rw', dir]);
      remounted = true;
      expect(store.maintain(clock.now()).recovered).toBe(true);
      expect(store.health()).toMatchObject({ open: true, writable: true, last_error: null });
      expect(store.hasEvent(kept[0]!.event.id)).toBe(true);
      expect((await store.append([ev()])).length).toBe(1);
      store.close();
    } finally {
      if (!remounted) execFileSync('mount', ['-o', 'remount,rw', dir]);
    }
  });
});
