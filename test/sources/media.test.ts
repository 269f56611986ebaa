import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveEventId } from '../../src/sources/index.js';
import { counterValue, startHarness, type Harness } from './helpers.js';
import { gaardResult } from './payloads.js';

/** A JPEG-ish body: SOI marker + deterministic bytes + EOI. */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, 7), Buffer.from([0xff, 0xd9])]);

let h: Harness | null = null;
let media: Server | null = null;
const hanging: (() => void)[] = [];
afterEach(async () => {
  for (const release of hanging.splice(0)) release();
  await h?.close();
  h = null;
  await new Promise<void>((r) => (media ? media.close(() => r()) : r()));
  media?.closeAllConnections();
  media = null;
});

/** The platform's media CDN: /clip.jpg, /big.bin (5000 bytes), /hang (answers when released). */
async function startMedia(): Promise<{ base: string; hits: string[] }> {
  const hits: string[] = [];
  media = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.startsWith('/clip.jpg')) {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': JPEG.length });
      res.end(JPEG);
    } else if (req.url?.startsWith('/big.bin')) {
      // No content-length: the size limit must hold while streaming.
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write(Buffer.alloc(2500, 1));
      res.end(Buffer.alloc(2500, 2));
    } else if (req.url?.startsWith('/hang')) {
      hanging.push(() => res.destroy());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => media!.listen(0, '127.0.0.1', () => r()));
  const a = media.address();
  return { base: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, hits };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const source = (extra: Record<string, unknown> = {}) => ({ id: 'g', kind: 'gaard', download_media: { enabled: true, ...extra } });

describe('download_media', () => {
  it('downloads the clip after answering into <images>/sources/<id>/ and reports file, bytes and sha256', async () => {
    const m = await startMedia();
    h = await startHarness([source()]);
    const r = await h.post('/hooks/g', JSON.stringify({ ...gaardResult, video: `${m.base}/clip.jpg?X-Amz-Signature=s3cr3t` }));
    expect(r.status).toBe(200);
    const harness = h;
    await waitFor(() => harness.media.length === 1);
    const id = deriveEventId('g', gaardResult.id);
    const [res] = h.media[0]!.results;
    expect(h.media[0]!.eventId).toBe(id);
    expect(res).toMatchObject({ ok: true, kind: 'clip', bytes: JPEG.length, sha256: createHash('sha256').update(JPEG).digest('hex') });
    expect(res!.url).not.toContain('s3cr3t'); // the signed query never reaches logs
    const file = join(h.dataDir, 'images', res!.file!);
    expect(res!.file).toBe(join('sources', 'g', `${id}-0.jpg`));
    expect(readFileSync(file).equals(JPEG)).toBe(true);
    expect(await counterValue(h.metrics, 'camrelay_hook_media_downloads_total', { source: 'g', result: 'ok' })).toBe(1);
  });

  it('never delays the 2xx: the answer arrives while the media server has not answered yet', async () => {
    const m = await startMedia();
    h = await startHarness([source({ timeout_ms: 20_000 })]);
    const r = await h.post('/hooks/g', JSON.stringify({ ...gaardResult, video: `${m.base}/hang` }));
    expect(r.status).toBe(200);
    await waitFor(() => m.hits.includes('/hang'));
    expect(h.media).toHaveLength(0);
  });

  it('stops at max_bytes while streaming and leaves no partial file', async () => {
    const m = await startMedia();
    h = await startHarness([source({ max_bytes: 1024 })]);
    await h.post('/hooks/g', JSON.stringify({ ...gaardResult, video: `${m.base}/big.bin` }));
    const harness = h;
    await waitFor(() => harness.media.length === 1);
    expect(h.media[0]!.results[0]).toMatchObject({ ok: false });
    expect(h.media[0]!.results[0]!.error).toMatch(/max_bytes/);
    const dir = join(h.dataDir, 'images', 'sources', 'g');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    expect(await counterValue(h.metrics, 'camrelay_hook_media_downloads_total', { source: 'g', result: 'too_large' })).toBe(1);
  });

  it('gives up after timeout_ms', async () => {
    const m = await startMedia();
    h = await startHarness([source({ timeout_ms: 150 })]);
    await h.post('/hooks/g', JSON.stringify({ ...gaardResult, video: `${m.base}/hang` }));
    const harness = h;
    await waitFor(() => harness.media.length === 1);
    expect(h.media[0]!.results[0]).toMatchObject({ ok: false });
    expect(h.media[0]!.results[0]!.error).toMatch(/timeout|abort/i);
    expect(await counterValue(h.metrics, 'camrelay_hook_media_downloads_total', { source: 'g', result: 'failed' })).toBe(1);
  });

  it('downloads nothing when download_media is off (the default)', async () => {
    const m = await startMedia();
    h = await startHarness([{ id: 'g', kind: 'gaard' }]);
    expect((await h.post('/hooks/g', JSON.stringify({ ...gaardResult, video: `${m.base}/clip.jpg` }))).status).toBe(200);
    await h.router.idle();
    expect(m.hits).toEqual([]);
  });
});
