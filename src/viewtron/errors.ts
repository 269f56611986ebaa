/**
 * The one error type the Viewtron parser throws. Anything else escaping
 * parseViewtron/normalize is a bug (the property tests check this).
 *
 * Status codes (what the ingest should answer):
 * - 400: the body is not a usable XML document: malformed or truncated XML
 *   (`malformed_xml`), a DOCTYPE/ENTITY declaration (`doctype`: refused outright,
 *   it is the entity-expansion attack surface and no device sends one), or an
 *   alarm post whose `smartType` is empty (`empty_smart_type`).
 * - 415: the bytes are not UTF-8 (`not_utf8`) or the XML declaration names
 *   another encoding (`unsupported_encoding`).
 * Size limits (413) belong to the ingest, which sees the body first.
 * Valid XML of a shape we do not know is not an error: it parses to
 * `{ family: 'unknown' }` (the ingest answers 200 and quarantines it).
 */
export type ViewtronErrorReason =
  | 'malformed_xml'
  | 'doctype'
  | 'not_utf8'
  | 'unsupported_encoding'
  | 'empty_smart_type';

export class ViewtronParseError extends Error {
  readonly status: 400 | 415;
  readonly reason: ViewtronErrorReason;

  constructor(status: 400 | 415, reason: ViewtronErrorReason, message: string) {
    super(message);
    this.name = 'ViewtronParseError';
    this.status = status;
    this.reason = reason;
  }
}
