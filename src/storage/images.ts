import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ImageRef } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { StorageConfig } from '../config/schema.js';

/** storage.images plus the absolute images folder (`<data_dir>/<images_dir>`). */
export type ImageStoreConfig = StorageConfig['images'] & { dir: string };

/** What save() returns: the ImageRef fields of a kept image. */
export interface SavedImage {
  /** relative to the images folder, '/'-separated: `<yyyy-mm-dd>/<eventId>-<kind>.jpg` */
  file: string;
  bytes: number;
  sha256: string;
}

export interface PruneReport {
  removed: number;
  removed_bytes: number;
  /** what is left */
  count: number;
  total_bytes: number;
}

interface Entry {
  bytes: number;
  /** ms epoch: when saved (the file's mtime) */
  at: number;
}

const SAFE = /[^A-Za-z0-9_.-]/g;
const TMP_PREFIX = '.tmp-';

/**
 * Decoded JPEGs on disk under `<data_dir>/<images_dir>`, bounded by
 * storage.images (count, total size, age; oldest first). All I/O is
 * fs/promises so a slow SD card never blocks the event loop. An in-memory
 * index (built by one scan, updated on save) keeps prune() cheap.
 */
export class ImageStore {
  readonly root: string;
  private index: Map<string, Entry> | null = null;
  private scanning: Promise<Map<string, Entry>> | null = null;
  private readonly log: Logger;

  constructor(
    private readonly cfg: ImageStoreConfig,
    deps: { logger: Logger; clock?: Clock },
  ) {
    this.root = resolve(cfg.dir);
    this.log = deps.logger.child({ component: 'images' });
  }

  /** storage.images.keep: when false the caller should not save images. */
  get keep(): boolean {
    return this.cfg.keep;
  }

  /** Writes atomically (tmp + rename); the same event and kind overwrite. `now` dates the folder and the file. */
  async save(eventId: string, kind: ImageRef['kind'], data: Buffer, now: number): Promise<SavedImage> {
    const day = new Date(now).toISOString().slice(0, 10);
    const name = `${eventId.replace(SAFE, '_')}-${kind.replace(SAFE, '_')}.jpg`;
    const file = `${day}/${name}`;
    const dir = join(this.root, day);
    const abs = join(dir, name);
    const sha256 = createHash('sha256').update(data).digest('hex');
    // The first index scan deletes stray .tmp- files (left by a crash): it must finish before ours exist,
    // or concurrent first saves lose their tmp file (ENOENT on utimes, seen in the soak).
    const index = await this.loadIndex();
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${TMP_PREFIX}${randomBytes(6).toString('hex')}-${name}`);
    try {
      await writeFile(tmp, data);
      const secs = now / 1000;
      await utimes(tmp, secs, secs);
      await rename(tmp, abs);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    index.set(file, { bytes: data.length, at: now });
    return { file, bytes: data.length, sha256 };
  }

  /** Absolute path of a stored image, refusing anything outside the images folder. */
  pathOf(file: string): string {
    const abs = resolve(this.root, file);
    if (!abs.startsWith(this.root + sep)) throw new Error(`image path escapes the images folder: ${file}`);
    return abs;
  }

  read(file: string): Promise<Buffer> {
    return readFile(this.pathOf(file));
  }

  /** Enforces max_age_days, then max_count and max_total_mb, removing the oldest first. */
  async prune(now: number): Promise<PruneReport> {
    const index = await this.loadIndex();
    const { max_age_days, max_count, max_total_mb } = this.cfg;
    const maxBytes = max_total_mb * 1024 * 1024;
    const cutoff = now - max_age_days * 86_400_000;
    const byAge = [...index.entries()].sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : 1));
    let total = byAge.reduce((s, [, e]) => s + e.bytes, 0);
    let count = byAge.length;
    const victims: [string, Entry][] = [];
    for (const item of byAge) {
      if (item[1].at < cutoff || count > max_count || total > maxBytes) {
        victims.push(item);
        count--;
        total -= item[1].bytes;
      } else break;
    }
    let removed = 0;
    let removedBytes = 0;
    const days = new Set<string>();
    for (const [file, e] of victims) {
      try {
        await unlink(join(this.root, file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.log.warn({ err: (err as Error).message, file }, 'could not remove an image');
          continue;
        }
      }
      index.delete(file);
      removed++;
      removedBytes += e.bytes;
      days.add(file.split('/')[0]!);
    }
    for (const d of days) await rmdir(join(this.root, d)).catch(() => undefined); // only succeeds when empty
    if (removed) this.log.info({ removed, removed_bytes: removedBytes, count: index.size }, 'pruned images past storage.images bounds');
    return { removed, removed_bytes: removedBytes, count: index.size, total_bytes: [...index.values()].reduce((s, e) => s + e.bytes, 0) };
  }

  private loadIndex(): Promise<Map<string, Entry>> {
    if (this.index) return Promise.resolve(this.index);
    this.scanning ??= this.scan().then((m) => (this.index = m));
    return this.scanning;
  }

  private async scan(): Promise<Map<string, Entry>> {
    const out = new Map<string, Entry>();
    let days: string[];
    try {
      days = await readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw e;
    }
    for (const d of days) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) continue;
      let files: string[];
      try {
        files = await readdir(join(this.root, d));
      } catch {
        continue;
      }
      for (const f of files) {
        const abs = join(this.root, d, f);
        if (f.startsWith(TMP_PREFIX)) {
          await unlink(abs).catch(() => undefined); // left by a crash mid-write
          continue;
        }
        try {
          const st = await stat(abs);
          if (st.isFile()) out.set(relative(this.root, abs).split(sep).join('/'), { bytes: st.size, at: st.mtimeMs });
        } catch {
          // vanished meanwhile
        }
      }
    }
    return out;
  }
}
