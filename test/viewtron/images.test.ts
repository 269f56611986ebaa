import { describe, expect, it } from 'vitest';
import { decodeImage, jpegDimensions } from '../../src/viewtron/index.js';
import { tinyJpeg, tinyJpegBase64 } from '../builders/viewtron.js';

describe('decodeImage', () => {
  it('decodes a real JPEG and reads its SOF dimensions', () => {
    const r = decodeImage(tinyJpegBase64(184, 120));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.width, r.height]).toEqual([184, 120]);
    expect(r.bytes.equals(tinyJpeg(184, 120))).toBe(true);
  });

  it('tolerates line-wrapped base64', () => {
    const b64 = tinyJpegBase64(16, 16).replace(/(.{20})/g, '$1\r\n');
    const r = decodeImage(b64);
    expect(r).toMatchObject({ ok: true, width: 16, height: 16 });
  });

  it('refuses vendor placeholders and junk', () => {
    for (const ph of ['BASE64_JPEG_TARGET_CROP', 'BASE64_JPEG_OVERVIEW_IMAGE', '...', '... (base64 JPEG) ...']) {
      expect(decodeImage(ph)).toEqual({ ok: false, error: 'invalid_base64' });
    }
    expect(decodeImage('')).toEqual({ ok: false, error: 'empty' });
    expect(decodeImage(' \r\n\t')).toEqual({ ok: false, error: 'empty' });
    expect(decodeImage('QUJD\nRA=')).toEqual({ ok: false, error: 'invalid_base64' });
    expect(decodeImage('QU JD\u00e9')).toEqual({ ok: false, error: 'invalid_base64' });
    expect(decodeImage('abc')).toEqual({ ok: false, error: 'invalid_base64' });
    expect(decodeImage('ab=c')).toEqual({ ok: false, error: 'invalid_base64' });
  });

  it('refuses valid base64 that is not a JPEG', () => {
    expect(decodeImage(Buffer.from('\x89PNG\r\n\x1a\nxxxxxxxx', 'latin1').toString('base64'))).toEqual({ ok: false, error: 'not_jpeg' });
  });

  it('a JPEG whose SOF is missing or truncated is kept without dimensions', () => {
    const noSof = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xd9]);
    expect(decodeImage(noSof.toString('base64'))).toEqual({ ok: true, bytes: noSof });
    const truncated = tinyJpeg(32, 32).subarray(0, 30);
    expect(jpegDimensions(truncated)).toBeNull();
  });
});
