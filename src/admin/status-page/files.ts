import { createReadStream, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page's static files (read once from assets/, served from memory) and
 * the stored alarm snapshots (`/images/<day>/<file>.jpg` from the images folder).
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Folder of the assets next to this module: src/... under vitest/tsx, dist/... once built (scripts/copy-assets.mjs). */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

export interface Asset {
  type: string;
  body: Buffer;
}

export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type || !/^[\w.-]+$/.test(name)) continue;
    out.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  if (!out.has('index.html')) throw new Error(`status page assets incomplete: no index.html in ${dir}`);
  return out;
}

export function sendAsset(res: ServerResponse, a: Asset, head: boolean): void {
  res.writeHead(200, {
    'content-type': a.type,
    'content-length': a.body.length,
    // small files, changed only by an upgrade: revalidate each load rather than serve stale JS
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // no external origins at all: the page works offline on a site LAN
    'content-security-policy': "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
  res.end(head ? undefined : a.body);
}

/** Image names the image store writes: `YYYY-MM-DD/<safe name>.jpg`. Anything else is refused before touching the disk. */
const IMAGE_PATH = /^\d{4}-\d{2}-\d{2}\/[A-Za-z0-9_.-]+\.jpe?g$/;

/**
 * Resolves `/images/<rel>` to a file inside imagesDir, or null. Rejects
 * traversal (`..`, encoded or not), absolute paths, odd characters, and
 * symlinks that lead out of the folder.
 */
export function resolveImage(imagesDir: string, rel: string): string | null {
  if (!IMAGE_PATH.test(rel) || rel.split('/').some((p) => p === '..' || p === '.' || p.startsWith('.'))) return null;
  const root = resolve(imagesDir);
  const abs = resolve(root, rel);
  if (!abs.startsWith(root + sep)) return null;
  try {
    const real = realpathSync(abs);
    const realRoot = realpathSync(root);
    if (!real.startsWith(realRoot + sep)) return null;
    if (!statSync(real).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}

export function sendImage(res: ServerResponse, file: string, head: boolean): void {
  const size = statSync(file).size;
  res.writeHead(200, {
    'content-type': 'image/jpeg',
    'content-length': size,
    // an image file is never rewritten under the same name with other content that matters here
    'cache-control': 'private, max-age=3600',
    'x-content-type-options': 'nosniff',
  });
  if (head) {
    res.end();
    return;
  }
  const s = createReadStream(file);
  s.on('error', () => res.destroy());
  s.pipe(res);
}
