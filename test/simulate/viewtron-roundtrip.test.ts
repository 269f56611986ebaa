import { describe, expect, it } from 'vitest';
import { ipcPlan, nvrPlan, type PlanOptions } from '../../src/simulate/plan.js';
import { parseViewtron } from '../../src/viewtron/parse.js';
import { parseTrajectFast } from '../../src/viewtron/traject-fast.js';

/**
 * The simulator's bodies through the daemon's own Viewtron parser: every post
 * must be recognised as the family and alarm kind it was generated as, with the
 * device identity, targets and plates intact.
 */

const opts: PlanOptions = {
  seed: 99,
  scenario: 'mixed',
  rate: 7,
  images: 'jpeg',
  startMs: Date.UTC(2026, 4, 2, 9, 0, 0),
  keepaliveS: 30,
  alarmHoldS: 10,
  durationMs: 180_000,
};

const FAMILY = { keepalive: 'keepalive', traject: 'traject', alarmStatus: 'alarm_status', alarmData: 'alarm_data' } as const;
const IPC_KIND: Record<string, string> = { PEA: 'intrusion', 'PEA/tripwire': 'line_crossing', VEHICE: 'lpr', VFD: 'face', LOITER: 'loitering' };
const NVR_KIND: Record<string, string> = { regionIntrusion: 'intrusion', lineCrossing: 'line_crossing', vehicle: 'lpr', videoFaceDetect: 'face' };

describe('simulator bodies parse as what they claim to be (src/viewtron)', () => {
  it('IPC: family, alarm kind, identity, traject targets (full and fast parser agree), plates', () => {
    const kinds = new Set<string>();
    for (const cam of [1, 2, 3, 4, 5]) {
      const mac = `58:5b:69:00:00:0${cam}`;
      for (const p of ipcPlan(cam, opts)) {
        const msg = parseViewtron(Buffer.from(p.body, 'utf8'), '/API');
        expect(msg.family, `${p.kind} ${p.detail}`).toBe(FAMILY[p.kind]);
        if (msg.family === 'unknown') continue;
        if (p.body !== '') expect(msg.device.mac).toBe(mac);
        if (msg.family === 'traject') {
          const fast = parseTrajectFast(Buffer.from(p.body, 'utf8'));
          expect(fast?.targets).toEqual(msg.targets);
          expect(msg.targets.length).toBe(Number(p.detail));
          for (const t of msg.targets) expect(['person', 'car', 'motor']).toContain(t.cls);
        }
        if (msg.family === 'alarm_data') {
          expect(msg.kind).toBe(IPC_KIND[p.detail]);
          expect(msg.header).toBe('E2');
          kinds.add(msg.kind);
          if (msg.kind === 'lpr') {
            const plate = /<plateNumber type="string"><!\[CDATA\[([^\]]+)\]\]>/.exec(p.body)![1];
            expect(msg.plates[0]?.number).toBe(plate); // leading zeros kept
          }
          expect(msg.images.length).toBeGreaterThanOrEqual(2);
        }
        if (msg.family === 'alarm_status') {
          const [field, on] = p.detail.split('=');
          expect(msg.states).toEqual([expect.objectContaining({ field, active: on === 'true' })]);
        }
      }
    }
    expect([...kinds].sort()).toEqual(['face', 'intrusion', 'line_crossing', 'loitering', 'lpr']);
  });

  it('NVR: family, alarm kind, NVR identity with the channel', () => {
    const kinds = new Set<string>();
    for (const p of nvrPlan(5, opts)) {
      const msg = parseViewtron(Buffer.from(p.body, 'utf8'), 'http://127.0.0.1:8080/API');
      expect(msg.family, `${p.kind} ${p.detail}`).toBe(FAMILY[p.kind]);
      if (msg.family === 'unknown') continue;
      expect(msg.device.dialect).toBe('nvr');
      expect(msg.device.mac).toBe('58:5b:69:f0:00:01');
      if (p.kind !== 'keepalive') expect(msg.device.channel).toBe(p.camera);
      if (msg.family === 'alarm_data') {
        expect(msg.kind).toBe(NVR_KIND[p.detail]);
        kinds.add(msg.kind);
        expect(msg.targets.length + msg.plates.length + msg.faces.length).toBeGreaterThan(0);
      }
    }
    expect([...kinds].sort()).toEqual(['face', 'intrusion', 'line_crossing', 'lpr']);
  });
});
