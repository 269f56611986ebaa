import type { CamEvent, EventType } from '../../src/core/event.js';

let n = 0;
/** A unique test event (ids never repeat within a process). */
export function makeEvent(over: Partial<CamEvent> & { type?: EventType } = {}): CamEvent {
  n++;
  const camera = over.camera ?? 'cam1';
  return {
    id: over.id ?? `ev-${process.pid}-${n}-${Math.random().toString(36).slice(2, 8)}`,
    type: over.type ?? 'alarm.intrusion',
    camera,
    time: over.time ?? new Date(Date.UTC(2026, 0, 15, 12, 0, n % 60)).toISOString(),
    data: over.data ?? { camera, received_at: new Date().toISOString(), n },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
