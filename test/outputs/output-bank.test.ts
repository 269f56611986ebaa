import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { outputSchema } from '../../src/config/schema.js';
import { Bus, type OutputState } from '../../src/core/bus.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { OutputBank } from '../../src/daemon/output-bank.js';

/** Real bank, real simulated drivers (they log each change: that log line is the "switch" we can see). */
function bank() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'info', pretty: false, destination: sink });
  const bus = new Bus();
  const metrics = createMetrics({ defaultMetrics: false });
  const outputs = ['light', 'siren'].map((id) => outputSchema.parse({ id, driver: 'simulated' }));
  const b = new OutputBank(outputs, { logger, clock: new ManualClock(), bus, metrics });
  const switched = (id: string, on: boolean) => lines.some((l) => l.includes(`"msg":"output ${id} ${on ? 'ON' : 'OFF'} (simulated)"`));
  return { b, bus, metrics, switched };
}

describe('output bank', () => {
  it('a driver that can switch synchronously has switched when set() returns, before the bus hears of it', async () => {
    const { b, bus, metrics, switched } = bank();
    await b.start();
    const heard: { state: OutputState; switchedAlready: boolean }[] = [];
    bus.on('output', (s) => heard.push({ state: { ...s }, switchedAlready: switched(s.id, s.state === 'ON') }));
    b.set('light', true, 'rule:r1');
    expect(switched('light', true)).toBe(true); // no await: nothing was queued for later
    expect(heard).toEqual([{ state: expect.objectContaining({ id: 'light', state: 'ON', reason: 'rule:r1', available: true }), switchedAlready: true }]);
    b.set('light', false, 'idle');
    expect(switched('light', false)).toBe(true);
    expect(b.list().find((o) => o.id === 'light')).toMatchObject({ state: 'OFF', reason: 'idle', available: true });
    expect(b.list().find((o) => o.id === 'siren')).toMatchObject({ state: 'OFF', reason: 'start (safe state)' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/camrelay_output_switches_total\{output="light"\} 2/);
    expect(text).toMatch(/camrelay_output_on\{output="light"\} 0/);
    await b.stop();
  });

  it('reopen() leaves a viewtron output alone: its next switch is the retry, not a second safe-state call', async () => {
    // a real HTTP "camera" that refuses everything (500): the output is unavailable after init
    let requests = 0;
    const cam = createServer((req, res) => {
      requests++;
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => cam.listen(0, '127.0.0.1', r));
    try {
      const port = (cam.address() as AddressInfo).port;
      const logger = createLogger({ level: 'silent', pretty: false });
      const out = outputSchema.parse({ id: 'siren', driver: 'viewtron', viewtron: { host: '127.0.0.1', port, retries: 0 } });
      const b = new OutputBank([out], { logger, clock: new ManualClock(), bus: new Bus(), metrics: createMetrics({ defaultMetrics: false }) });
      await b.start();
      expect(b.availability()).toEqual([{ id: 'siren', ok: false, error: expect.any(String) }]);
      const seen = requests;
      expect(seen).toBeGreaterThan(0);
      expect(await b.reopen()).toEqual([]);
      expect(requests).toBe(seen);
      await b.stop();
    } finally {
      await new Promise((r) => cam.close(r));
    }
  });
});

