import type { Logger } from '../core/logger.js';

/** Anything the daemon starts and must stop. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** must finish (or give up) within the time the daemon allows */
  stop(): Promise<void>;
}

/**
 * Starts components in order and stops them in reverse order. A failed start
 * stops what already started. Each stop gets its own time budget so one stuck
 * component cannot hold the others hostage.
 */
export class Lifecycle {
  private started: Component[] = [];

  constructor(
    private readonly components: Component[],
    private readonly logger: Logger,
    private readonly stopBudgetMs = 8000,
  ) {}

  async start(): Promise<void> {
    for (const c of this.components) {
      const t0 = performance.now();
      try {
        await c.start();
      } catch (e) {
        this.logger.error({ err: e, part: c.name }, `start failed: ${c.name}`);
        await this.stop();
        throw e;
      }
      this.started.push(c);
      this.logger.debug({ part: c.name, ms: Math.round(performance.now() - t0) }, `started ${c.name}`);
    }
  }

  async stop(): Promise<void> {
    const list = this.started.reverse();
    this.started = [];
    for (const c of list) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), this.stopBudgetMs);
      });
      try {
        const r = await Promise.race([c.stop().then(() => 'ok' as const), timeout]);
        if (r === 'timeout') this.logger.warn({ part: c.name }, `stop of ${c.name} took longer than ${this.stopBudgetMs} ms; moving on`);
      } catch (e) {
        this.logger.error({ err: e, part: c.name }, `stop failed: ${c.name}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** A component from two closures (for small adapters). */
export function component(name: string, start: () => Promise<void> | void, stop: () => Promise<void> | void): Component {
  return { name, start: async () => start(), stop: async () => stop() };
}
