import type { CamEvent, ImageRef } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { ImageStore } from '../storage/images.js';
import { decodeImage } from '../viewtron/images.js';
import type { PendingImage } from '../viewtron/normalize.js';

/**
 * Decodes the base64 images of an alarm post to JPEG files and fills in the
 * events' ImageRefs before the events are committed. A placeholder or broken
 * image is recorded as invalid, never an error for the post.
 */
export class ImageWriter {
  private readonly log: Logger;

  constructor(
    private readonly store: ImageStore,
    private readonly deps: { logger: Logger; metrics: Metrics; now: () => number },
  ) {
    this.log = deps.logger.child({ component: 'images' });
  }

  async attach(events: CamEvent[], images: PendingImage[]): Promise<void> {
    const byEvent = new Map(events.map((e) => [e.id, e]));
    const slot = new Map<string, number>();
    for (const img of images) {
      const ev = byEvent.get(img.eventId);
      if (!ev) continue;
      const refs = (ev.data.images ??= []) as ImageRef[];
      const i = slot.get(img.eventId) ?? 0;
      slot.set(img.eventId, i + 1);
      refs[i] = await this.one(img);
    }
  }

  private async one(img: PendingImage): Promise<ImageRef> {
    const decoded = decodeImage(img.base64);
    // The decoded copy is the only one kept: drop our reference to the base64 text right away.
    img.base64 = '';
    if (!decoded.ok) return { kind: img.kind, valid: false, error: decoded.error };
    const ref: ImageRef = {
      kind: img.kind,
      valid: true,
      bytes: decoded.bytes.length,
      width: decoded.width ?? img.declaredWidth,
      height: decoded.height ?? img.declaredHeight,
    };
    if (!this.store.keep) return { ...ref, error: 'not kept (storage.images.keep: false)' };
    try {
      const saved = await this.store.save(img.eventId, img.kind, decoded.bytes, this.deps.now());
      return { ...ref, file: saved.file, sha256: saved.sha256 };
    } catch (e) {
      this.log.error({ err: e, event: img.eventId, kind: img.kind }, 'could not write image file');
      return { ...ref, error: `not written: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  }
}
