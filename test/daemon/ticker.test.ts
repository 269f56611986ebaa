import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { NO_CHANGE, type SiteCore } from '../../src/rules/site-core.js';
import { Ticker } from '../../src/daemon/ticker.js';
import type { CameraAvailability } from '../../src/cameras/availability.js';
import type { Pipeline } from '../../src/daemon/pipeline.js';

/** The ticker's bookkeeping with a hand-moved clock (mock: core, availability and pipeline are stand-ins that count calls). */
describe('ticker (mock: core/availability/pipeline stand-ins)', () => {
  it('ticks the core, runs storage maintenance every 5 s and image pruning every 60 s, one prune at a time', async () => {
    const clock = new ManualClock(1_000_000);
    const calls = { tick: 0, maintain: 0, prune: 0 };
    let release: () => void = () => undefined;
    const core = { tick: () => (calls.tick++, NO_CHANGE), nextDeadline: () => null } as unknown as SiteCore;
    const availability = { tick: () => ({ events: [], changed: [] }), nextDeadline: () => null } as unknown as CameraAvailability;
    const pipeline = { apply: () => undefined, onCamera: () => undefined, storeAsync: () => undefined } as unknown as Pipeline;
    const t = new Ticker({
      clock,
      logger: silentLogger(),
      core,
      availability,
      pipeline,
      store: { maintain: () => calls.maintain++ },
      maintainEveryMs: 5000,
      images: { prune: () => (calls.prune++, new Promise<void>((r) => (release = r))) },
      pruneEveryMs: 60_000,
    });
    t.tick();
    expect(calls).toEqual({ tick: 1, maintain: 1, prune: 1 });
    clock.advance(4000);
    t.tick();
    expect(calls.maintain).toBe(1);
    clock.advance(1000);
    t.tick();
    expect(calls.maintain).toBe(2);
    clock.advance(60_000);
    t.tick(); // the first prune is still running: no second one
    expect(calls.prune).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    clock.advance(60_000);
    t.tick();
    expect(calls.prune).toBe(2);
    expect(calls.tick).toBe(5);
    t.stop();
  });
});
