import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import type { CamEvent, EventType, TargetClass } from '../../src/core/event.js';
import { createSiteCore, type CoreOutput, type SiteCore } from '../../src/rules/site-core.js';

/** Builds a site core from a config written like YAML would be (defaults applied by the real schema). */
export function buildCore(input: ConfigInput, now = T0): SiteCore {
  const cfg = configSchema.parse(input);
  return createSiteCore(cfg, now);
}

/** 2026-01-15 12:00:00 UTC, a Thursday */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export const cams = (...ids: string[]) => ids.map((id) => ({ id, name: id }));

export type Tgt = { id: string; cls: TargetClass; rect: [number, number, number, number] };
export const person = (id: string, rect: [number, number, number, number] = [4000, 4000, 5000, 8000]): Tgt => ({ id, cls: 'person', rect });

export const types = (out: CoreOutput): string[] => out.events.map((e) => e.type);

export function alarm(type: EventType, camera: string, data: Record<string, unknown> = {}, t = T0): CamEvent {
  return { id: `${type}:${camera}:${t}`, type, camera, time: new Date(t).toISOString(), data: { camera, received_at: new Date(t).toISOString(), ...data } };
}

/**
 * Drives a core through time like the daemon's ticker does: tick at every
 * deadline up to `until`, collecting everything produced.
 */
export function runUntil(core: SiteCore, until: number, from: number): CoreOutput[] {
  const outs: CoreOutput[] = [];
  let now = from;
  for (let guard = 0; guard < 100_000; guard++) {
    const d = core.nextDeadline();
    if (d === null || d > until) break;
    // a deadline that does not move after its tick would spin the daemon's timer
    if (d < now || (d === now && guard > 0)) throw new Error(`deadline ${d} did not advance past ${now}`);
    now = d;
    outs.push(core.tick(now));
  }
  outs.push(core.tick(until));
  return outs;
}

export const allEvents = (outs: CoreOutput[]) => outs.flatMap((o) => o.events);

export interface Step {
  t: number;
  /** the input applied at t (after every deadline before or at t has been ticked) */
  run: (core: SiteCore, t: number) => CoreOutput;
}

/**
 * Plays inputs in time order with the ticks the daemon would make between them
 * (at every nextDeadline), then ticks on to `until`. Returns every event in order.
 */
export function play(core: SiteCore, steps: Step[], until: number): CamEvent[] {
  const events: CamEvent[] = [];
  let now = -Infinity;
  const tickTo = (limit: number) => {
    for (let guard = 0; guard < 100_000; guard++) {
      const d = core.nextDeadline();
      if (d === null || d > limit) return;
      if (d <= now) throw new Error(`deadline ${d} did not advance past ${now}`);
      now = d;
      events.push(...core.tick(now).events);
    }
    throw new Error('deadline loop');
  };
  for (const s of [...steps].sort((a, b) => a.t - b.t)) {
    tickTo(s.t);
    now = s.t;
    events.push(...s.run(core, s.t).events);
  }
  tickTo(until);
  return events;
}

/** traject frames of `targets` every `periodMs` from `from` (inclusive) to `to` (exclusive) */
export function frames(camera: string, from: number, to: number, targets: (t: number) => Tgt[], periodMs = 143): Step[] {
  const out: Step[] = [];
  for (let t = from; t < to; t += periodMs) out.push({ t, run: (c, now) => c.traject(camera, targets(now), now) });
  return out;
}

export const at = (t: number, run: Step['run']): Step => ({ t, run });
