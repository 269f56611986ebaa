import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests spawn the daemon and mosquitto; forks isolate native addons (better-sqlite3, epoll).
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // 2-core machine: keep parallelism modest so timing-sensitive e2e tests stay stable.
    maxWorkers: 2,
    reporters: process.env.CAMRELAY_JSON_REPORT
      ? ['default', ['json', { outputFile: process.env.CAMRELAY_JSON_REPORT }]]
      : ['default'],
  },
});
