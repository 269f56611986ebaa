import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { SqliteStore } from '../../src/storage/sqlite-store.js';
import type { StoredEvent } from '../../src/storage/types.js';
import { ev, newStore, tempDir } from './helpers.js';

/** The queue/quarantine commands in-process via main(), beside an open writer (as with a running daemon). */
let t: ReturnType<typeof tempDir>;
let daemon: SqliteStore;
let stored: StoredEvent[];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(argv, { stdout, stderr, env: {}, cwd: t.dir });
  return { code, out, err };
}

beforeAll(async () => {
  t = tempDir('camrelay-cli-');
  writeFileSync(join(t.dir, 'camrelay.yaml'), 'site:\n  id: site1\nstorage:\n  data_dir: ./data\n');
  ({ store: daemon } = newStore(join(t.dir, 'data')));
  daemon.registerSink('mqtt');
  daemon.registerSink('hook1');
  stored = await daemon.append([ev({ camera: 'gate' }), ev({ camera: 'gate' }), ev({ camera: 'yard' })]);
  daemon.ack('mqtt', [stored[0]!.seq]);
  daemon.deadLetter('hook1', stored[0]!.seq, 'HTTP 410 gone');
  daemon.quarantine({ reason: 'malformed XML', source: '10.1.2.3', kind: 'viewtron', body: Buffer.from('<config\x00 broken') });
});
afterAll(() => {
  daemon.close();
  t.cleanup();
});

describe('camrelay queue / quarantine', () => {
  it('queue stats prints depth, dead letters and delivered per sink', async () => {
    const r = await cli('queue', 'stats', '--config', 'camrelay.yaml');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^SINK\s+DEPTH\s+OLDEST\s+DEAD\s+DELIVERED\s+DROPPED$/);
    expect(lines.find((l) => l.startsWith('hook1'))).toMatch(/^hook1\s+2\s+\S+\s+1\s+0\s+0$/);
    expect(lines.find((l) => l.startsWith('mqtt'))).toMatch(/^mqtt\s+2\s+\S+\s+0\s+1\s+0$/);

    const j = await cli('queue', 'stats', '--config', 'camrelay.yaml', '--json');
    expect(JSON.parse(j.out).sinks).toEqual([
      expect.objectContaining({ sink: 'hook1', depth: 2, dead_letters: 1 }),
      expect.objectContaining({ sink: 'mqtt', depth: 2, delivered: 1 }),
    ]);
  });

  it('queue list shows waiting events, dead letters with --dead, and honours --limit', async () => {
    const r = await cli('queue', 'list', '--config', 'camrelay.yaml', '--sink', 'mqtt', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).map((x: { seq: number }) => x.seq)).toEqual([stored[1]!.seq, stored[2]!.seq]);

    const d = await cli('queue', 'list', '--config', 'camrelay.yaml', '--sink', 'hook1', '--dead');
    expect(d.code).toBe(0);
    expect(d.out).toContain('HTTP 410 gone');
    expect(d.out).toContain(stored[0]!.event.id);

    const l = await cli('queue', 'list', '--config', 'camrelay.yaml', '--limit', '1', '--json');
    expect(JSON.parse(l.out).map((x: { sink: string }) => x.sink)).toEqual(['hook1', 'mqtt']);

    const u = await cli('queue', 'list', '--config', 'camrelay.yaml', '--sink', 'nope');
    expect(u.code).toBe(1);
    expect(u.err).toMatch(/unknown sink "nope"; known sinks: hook1, mqtt/);
  });

  it('queue replay re-queues dead letters, and needs --sink', async () => {
    const bad = await cli('queue', 'replay', '--config', 'camrelay.yaml');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--sink is required/);

    const r = await cli('queue', 'replay', '--config', 'camrelay.yaml', '--sink', 'hook1');
    expect(r).toMatchObject({ code: 0, out: 're-queued 1 dead letter for hook1\n' });
    // the daemon's own connection sees it
    expect(daemon.pending('hook1', 10).map((s) => s.seq)).toEqual(stored.map((s) => s.seq));
  });

  it('queue purge refuses without --yes (exit 2) and purges with it', async () => {
    const no = await cli('queue', 'purge', '--config', 'camrelay.yaml', '--sink', 'hook1');
    expect(no.code).toBe(2);
    expect(no.err).toMatch(/refusing to purge .*without --yes/);
    expect(daemon.sinkStats('hook1').depth).toBe(3);

    const yes = await cli('queue', 'purge', '--config', 'camrelay.yaml', '--sink', 'hook1', '--yes');
    expect(yes).toMatchObject({ code: 0, out: 'purged 3 queued/dead entries for hook1\n' });
    expect(daemon.sinkStats('hook1').depth).toBe(0);
    expect(daemon.sinkStats('mqtt').depth).toBe(2);
  });

  it('quarantine list prints records and --json gives the head as base64', async () => {
    const r = await cli('quarantine', 'list', '--config', 'camrelay.yaml');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/malformed XML\s+10\.1\.2\.3\s+viewtron\s+15\s+<config\\x00 broken/);
    const j = await cli('quarantine', 'list', '--config', 'camrelay.yaml', '--json', '--limit', '5');
    const recs = JSON.parse(j.out);
    expect(recs).toHaveLength(1);
    expect(Buffer.from(recs[0].head, 'base64').toString()).toBe('<config\x00 broken');
  });

  it('fails with exit 1 and a clear message when there is no database; 2 on an unknown option', async () => {
    writeFileSync(join(t.dir, 'empty.yaml'), 'storage:\n  data_dir: ./nothing-here\n');
    const r = await cli('queue', 'stats', '--config', 'empty.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no database at .*nothing-here/);
    const u = await cli('queue', 'stats', '--bogus');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown option --bogus/);
  });
});
