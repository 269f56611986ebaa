/**
 * The body every Viewtron post is answered with (protocol §2.3): exactly the
 * SDK's 126 bytes, no whitespace. Devices treat it as "receiver alive".
 */
export const VIEWTRON_SUCCESS_XML =
  '<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><status>success</status></config>';

/** Shared immutable bytes; callers must not write into it. */
export const VIEWTRON_SUCCESS_BODY: Buffer = Buffer.from(VIEWTRON_SUCCESS_XML, 'utf8');

export const VIEWTRON_REPLY_CONTENT_TYPE = 'application/xml';
