import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/chaos.js';

/**
 * kill -9 at random moments while the real daemon ingests alarms (two keep-alive
 * connections) and delivers them to a real mosquitto and a webhook receiver; 22 restarts
 * in the same data folder, then a final run. The same loop runs longer as an operator's
 * tool: `npx tsx scripts/chaos.ts` (CHAOS_CYCLES, default 200).
 */
describe('crash: kill -9 during ingest and delivery (real daemon, mosquitto, webhook receiver)', () => {
  it('every alarm answered 200 reaches every sink after the final restart; duplicates only as same-id, same-bytes redeliveries; first deliveries in acknowledged order', async () => {
    const lines: string[] = [];
    const r = await runChaos({ cycles: 22, minUpMs: 150, maxUpMs: 700, durability: 'full', drainTimeoutMs: 30_000, log: (m) => lines.push(m) });
    const why = `${lines.join('\n')}\n${JSON.stringify(r)}`;
    expect(r.acked, why).toBeGreaterThan(50); // the daemon really ingested between kills
    expect(r.mqtt.missing, why).toEqual([]);
    expect(r.webhook.missing, why).toEqual([]);
    // distinct delivered ⊇ acknowledged (unacknowledged posts cut by a kill may be there too)
    expect(r.mqtt.distinct, why).toBeGreaterThanOrEqual(r.acked);
    expect(r.webhook.distinct, why).toBeGreaterThanOrEqual(r.acked);
    expect(r.mqtt.changedBytes + r.webhook.changedBytes, why).toBe(0);
    expect(r.idMismatch, why).toBe(0);
    // ordered per sink: an alarm acknowledged before another was sent is first delivered before it
    expect(r.mqtt.orderViolations, why).toBe(0);
    expect(r.webhook.orderViolations, why).toBe(0);
    expect(r.ok, why).toBe(true);
    console.log(lines.at(-1));
  }, 120_000);
});
