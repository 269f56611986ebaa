import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storageSchema } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { openStore, type SqliteStore } from '../../src/storage/sqlite-store.js';

/**
 * The real SQLite store in a temp dir, with the given sinks registered before
 * anything is appended (events appended earlier are not queued for a sink).
 */
export function openTestStore(site: string, sinks: string[], clock: Clock = { now: () => Date.now() }) {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-sinks-'));
  const store: SqliteStore = openStore(storageSchema.parse({ data_dir: dir }), { logger: silentLogger(), clock, site });
  for (const s of sinks) store.registerSink(s);
  return {
    store,
    dir,
    close: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
