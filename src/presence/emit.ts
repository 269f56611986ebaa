import type { CamEvent, EventType } from '../core/event.js';

/**
 * Where the state machines put what they produce during one call. The site core
 * owns one and reuses it for every call, so a traject frame that changes nothing
 * allocates nothing.
 */
export interface Emit {
  /** `subject` is what the event is about (zone, output, target): it goes into the id */
  event(type: EventType, camera: string, subject: string, now: number, data: Record<string, unknown>): void;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Builds events with deterministic ids: `${type}:${subject}:${now}:${seq}`. The
 * sequence number is per core instance and only disambiguates events produced in
 * the same millisecond; the same inputs in the same order give the same ids.
 */
export class EventCollector implements Emit {
  private seq = 0;
  events: CamEvent[] | null = null;

  event(type: EventType, camera: string, subject: string, now: number, data: Record<string, unknown>): void {
    const time = iso(now);
    const ev: CamEvent = {
      id: `${type}:${subject}:${now}:${this.seq++}`,
      type,
      camera,
      time,
      data: { camera, received_at: time, ...data },
    };
    (this.events ??= []).push(ev);
  }

  take(): CamEvent[] | null {
    const e = this.events;
    this.events = null;
    return e;
  }
}
