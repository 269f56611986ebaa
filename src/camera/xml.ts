import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/**
 * XML plumbing for the camera control API. Pure: strings in, values out.
 *
 * Parsing keeps every value as text (parseTagValue:false: a numeric plate or
 * serial must not lose leading zeros) and keeps CDATA sections apart
 * (cdataPropName) so an untouched httpPostV2 slot can be written back with the
 * same shape the camera produced.
 */

export type XmlNode = string | { [key: string]: XmlNode | XmlNode[] | string | undefined };

export const NS = 'http://www.ipc.com/ver10';
export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';

// List containers of the control API whose <item> must always be an array.
const LIST_ITEM_PARENTS = new Set(['urlList', 'subscribeDateType', 'subscriptionEvents']);

export function makeParser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    cdataPropName: '__cdata',
    processEntities: false,
    isArray: (name, jpath) => {
      if (name !== 'item') return false;
      const parts = String(jpath).split('.');
      return LIST_ITEM_PARENTS.has(parts[parts.length - 2] ?? '');
    },
  });
}

export function makeBuilder(): XMLBuilder {
  return new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    cdataPropName: '__cdata',
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
    processEntities: true,
  });
}

/** Text of an element whether plain, CDATA, attributed or absent; trimmed. */
export function text(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string') return node.trim();
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (Array.isArray(node)) return text(node[0]);
  if (typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.__cdata !== undefined) return text(o.__cdata);
    if (o['#text'] !== undefined) return text(o['#text']);
    // an element that only has attributes (e.g. <x type="string"/>) is empty
    return Object.keys(o).every((k) => k.startsWith('@_')) ? '' : undefined;
  }
  return undefined;
}

export function child(node: unknown, key: string): unknown {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return (node as Record<string, unknown>)[key];
}

export function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export interface FailedStatus {
  status: 'failed';
  errorCode?: string;
  errorDesc?: string;
}

/**
 * The device's answer to a command as a document root, or the failure it
 * reports (`<config status="failed" errorCode="N" errorDesc="..."/>`).
 */
export function parseConfigDoc(xml: string): { config: Record<string, unknown> } | FailedStatus {
  const doc = makeParser().parse(xml) as Record<string, unknown>;
  const config = doc.config;
  if (config === undefined) throw new Error('the device answered without a <config> document');
  const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  if (String(c['@_status'] ?? '').toLowerCase() === 'failed') {
    const errorCode = c['@_errorCode'] as string | undefined;
    const errorDesc = c['@_errorDesc'] as string | undefined;
    return { status: 'failed', errorCode, errorDesc };
  }
  return { config: c };
}

/** Human text for a failed status. Only errorDesc (v2.0 firmware) explains the code; the table is in the vendor docs. */
export function describeFailure(f: FailedStatus): string {
  return `errorCode ${f.errorCode ?? '?'}${f.errorDesc ? ` (${f.errorDesc})` : ' (see the vendor error-code table)'}`;
}

export function buildDocument(config: Record<string, unknown>): string {
  const xml = makeBuilder().build({ config }) as string;
  // The formatter puts CDATA on its own line; vendor samples keep it inline (<domain><![CDATA[..]]></domain>).
  const inline = xml.replace(/>\s*\n\s*(<!\[CDATA\[[\s\S]*?\]\]>)\s*\n\s*</g, '>$1<');
  return `${XML_DECL}\n${inline}`;
}
