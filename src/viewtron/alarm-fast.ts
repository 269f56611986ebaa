import { messageOf } from './parse.js';
import type { ViewtronMessage } from './types.js';
import { parseLeanDocument } from './xml-lean.js';

/**
 * Lean path for the posts traject-fast.ts leaves alone, alarm posts first:
 * the generic XML parser and its validator cost ~0.5 ms a post, which capped
 * committed alarms at ~1,000/s on two cores. The body is read by the lean
 * tree builder (xml-lean.ts) and handed to the same family parsers as the
 * full path, so the message is the same by construction wherever the tree is.
 *
 * Contract: a non-null result equals `parseViewtron(body, path)`; null means
 * "not plain enough, use the full parser" (which also produces every error
 * status). A ViewtronParseError thrown here (an empty smartType) is the one
 * the full parser would throw for the same body.
 */
export function parseAlarmFast(body: Buffer, path?: string): ViewtronMessage | null {
  const doc = parseLeanDocument(body);
  return doc ? messageOf(doc, path) : null;
}
