import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonHandle } from '../harness/daemon.js';

// The client libraries of optional features are imported only when the config uses them: each
// costs megabytes of RSS on a Pi (docs/benchmarks.md). mqtt.js, undici and pino-pretty are
// CommonJS, so the daemon's require cache at exit lists them if anything imported them.
const WATCHED = ['mqtt', 'undici', 'pino-pretty'];

let daemons: DaemonHandle[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop('SIGKILL');
});

/** Runs the real daemon with `config`, stops it, and returns which WATCHED packages it had loaded. */
async function loadedPackages(config: Record<string, unknown>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-lazy-'));
  const out = join(dir, 'loaded.json');
  const preload = join(dir, 'preload.cjs');
  writeFileSync(
    preload,
    `process.once('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require('node:module')._cache))));\n`,
  );
  const d = await spawnDaemon({ config, env: { NODE_OPTIONS: `--require ${preload}` } });
  daemons.push(d);
  expect((await d.stop('SIGTERM')).code).toBe(0);
  const files = JSON.parse(readFileSync(out, 'utf8')) as string[];
  return WATCHED.filter((p) => files.some((f) => f.includes(`/node_modules/${p}/`)));
}

describe('optional features are loaded only when configured', () => {
  it('a daemon without MQTT, webhooks, cloud sources or viewtron outputs loads none of their libraries', async () => {
    const loaded = await loadedPackages({ outputs: [{ id: 'relay', driver: 'simulated' }] });
    expect(loaded).toEqual([]);
  });

  it('MQTT, a webhook, a cloud source and a viewtron output bring mqtt.js and undici (unreachable: start never waits for them)', async () => {
    const loaded = await loadedPackages({
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      webhooks: [{ id: 'cloud', url: 'http://127.0.0.1:1/hook' }],
      sources: [{ id: 'vdb', kind: 'videodb', path_secret: 'a-long-path-secret' }],
      outputs: [{ id: 'siren', driver: 'viewtron', viewtron: { host: '127.0.0.1', port: 1, username: 'admin', password: 'pw', retries: 0, timeout_ms: 200 } }],
    });
    expect(loaded).toEqual(['mqtt', 'undici']);
  });
});
