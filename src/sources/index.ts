/**
 * Cloud analytics webhooks (Gaard, Turing, VideoDB, generic JSON) → events.
 * See docs/sources.md.
 */
export { createSourceRouter, type SourceRouter, type SourceRouterDeps } from './router.js';
export { deriveEventId, mapCamera } from './common.js';
export { eventTypeFor, classFor, LABEL_TYPES } from './labels.js';
export type { MediaResult } from './media.js';
