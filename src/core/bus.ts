import { EventEmitter } from 'node:events';
import type { CamEvent } from './event.js';

/**
 * The in-process hub the wiring module creates once and hands to components.
 * Not a singleton: each daemon (and each test) has its own.
 */
export interface BusEvents {
  /** events committed to storage (ready for sinks) */
  committed: [events: CamEvent[]];
  /** zone state changed: retained MQTT state, status page */
  zone: [zone: ZoneState];
  /** output state changed */
  output: [output: OutputState];
  /** camera availability/last-seen changed */
  camera: [camera: CameraState];
  /** a traject frame was applied (status page draws boxes) */
  traject: [frame: { camera: string; at: number; targets: { id: string; cls: string; box: readonly [number, number, number, number] }[] }];
}

export interface ZoneState {
  id: string;
  presence: boolean;
  count: number;
  since: string | null;
  source: string;
}

export interface OutputState {
  id: string;
  state: 'ON' | 'OFF';
  mode: 'auto' | 'manual';
  reason: string;
  available: boolean;
  since: string;
}

export interface CameraState {
  id: string;
  name: string;
  online: boolean | null; // null: configured but never posted
  last_seen: string | null;
  clock_skew_s: number | null;
}

export class Bus extends EventEmitter<BusEvents> {
  constructor() {
    super();
    this.setMaxListeners(50);
  }
}
