import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import type { CamEvent } from '../../src/core/event.js';
import { silentLogger } from '../../src/core/logger.js';
import { storageSchema } from '../../src/config/schema.js';
import { openStore, type StoreConfig } from '../../src/storage/sqlite-store.js';

export function tempDir(prefix = 'camrelay-storage-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function storeConfig(dataDir: string, over: Partial<StoreConfig> = {}): StoreConfig {
  return { ...storageSchema.parse({ data_dir: dataDir }), ...over };
}

let n = 0;
export function ev(over: Partial<CamEvent> = {}, pad = 0): CamEvent {
  n++;
  const camera = over.camera ?? 'cam1';
  return {
    id: over.id ?? `ev-${process.pid}-${n}`,
    type: over.type ?? 'alarm.intrusion',
    camera,
    time: over.time ?? new Date(Date.UTC(2026, 0, 15, 12, 0, 0) + n).toISOString(),
    data: over.data ?? { camera, received_at: '2026-01-15T12:00:00.000Z', ...(pad ? { pad: 'x'.repeat(pad) } : {}) },
  };
}

export function newStore(dataDir: string, over: Partial<StoreConfig> = {}, clock = new ManualClock()) {
  const logger = silentLogger();
  const store = openStore(storeConfig(dataDir, over), { logger, clock, site: 'site1' });
  return { store, clock };
}
