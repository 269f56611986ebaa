import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSync } from '../../src/storage/file-sync.js';
import { ev, newStore, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe('FileSync (real files)', () => {
  it('requests made while a sync runs share the next one', async () => {
    const w = new FileSync(join(t.dir, 'x.db-wal'));
    await Promise.all(Array.from({ length: 50 }, () => w.sync()));
    // the first request starts a sync; the other 49 arrive while it runs and share one more
    expect(w.syncs).toBe(2);
    await w.sync();
    expect(w.syncs).toBe(3);
    w.closeSync();
  });

  it('closeSync() syncs on the calling thread and settles every waiter; later requests are refused', async () => {
    const w = new FileSync(join(t.dir, 'x.db-wal'));
    const waiting = Array.from({ length: 5 }, () => w.sync());
    w.closeSync();
    await expect(Promise.all(waiting)).resolves.toHaveLength(5);
    await expect(w.sync()).rejects.toThrow(/closed/);
  });

  it('re-opens the file when something replaced the -wal (new inode)', async () => {
    const path = join(t.dir, 'x.db-wal');
    const w = new FileSync(path);
    renameSync(path, path + '.old');
    writeFileSync(path, 'new');
    const fresh = statSync(path).ino;
    w.checkFile();
    await w.sync();
    expect(statSync(path).ino).toBe(fresh);
    expect((w as unknown as { ino: number }).ino).toBe(fresh);
    w.closeSync();
  });
});

describe('store with durability=full', () => {
  it('appends resolve only after a WAL sync that started after their commit', async () => {
    const { store } = newStore(t.dir, { group_commit_ms: 2 });
    const sync = (store as unknown as { walSync: FileSync }).walSync;
    const before = sync.syncs;
    const all = await Promise.all(Array.from({ length: 40 }, () => store.append([ev()])));
    expect(all.flat()).toHaveLength(40);
    expect(sync.syncs).toBeGreaterThan(before);
    // far fewer syncs than appends: groups share commits and commits share syncs
    expect(sync.syncs - before).toBeLessThanOrEqual(4);
    store.close();
  });

  it('close() while appends wait for their sync resolves them (nothing acknowledged is lost, nothing left hanging)', async () => {
    const { store } = newStore(t.dir, { group_commit_ms: 50 });
    const pending = Array.from({ length: 10 }, () => store.append([ev()]));
    store.close();
    const r = await Promise.all(pending);
    expect(r.flat()).toHaveLength(10);
    const again = newStore(t.dir).store;
    expect(r.flat().every((s) => again.hasEvent(s.event.id))).toBe(true);
    again.close();
  });
});
