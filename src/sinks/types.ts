/** What the daemon, admin API and CLI see of any delivery sink. */
export interface SinkStatus {
  name: string;
  kind: 'mqtt' | 'webhook';
  connected: boolean;
  last_error: string | null;
  /** ms epoch of the last successful delivery */
  last_success_at: number | null;
  [key: string]: unknown;
}

export interface Sink {
  /** store sink name ('mqtt', 'webhook:<id>') */
  readonly name: string;
  /** resolves at once: an unreachable uplink never stops the daemon starting */
  start(): Promise<void>;
  /** bounded: flushes what is in flight, then closes */
  stop(): Promise<void>;
  /** new events were committed: wake up */
  notify(): void;
  status(): SinkStatus;
}
