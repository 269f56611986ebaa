import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sourceSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { getPath, mapCamera, normConfidence, toEpochMs } from '../../src/sources/common.js';
import { topScore } from '../../src/sources/gaard.js';
import { classFor, deriveEventId, eventTypeFor } from '../../src/sources/index.js';
import { verifyHexHmac, verifyStandardWebhook } from '../../src/sources/signature.js';

describe('label table', () => {
  it.each([
    [['intrusion'], 'alarm.intrusion'],
    [['Trespassing'], 'alarm.intrusion'],
    [['perimeter_breach'], 'alarm.intrusion'],
    [['loitering'], 'alarm.loitering'],
    [['line_crossing'], 'alarm.line_crossing'],
    [['tripwire'], 'alarm.line_crossing'],
    [['license_plate'], 'alarm.lpr'],
    [['LPR'], 'alarm.lpr'],
    [['face_match'], 'alarm.face'],
    [['illegal_parking'], 'alarm.parking'],
    [['motion'], 'alarm.motion'],
    [['people_count'], 'alarm.counting'],
    [['person'], 'alarm.analytics'],
    [['vehicle'], 'alarm.analytics'],
    [['camera online'], 'alarm.analytics'],
    [['fire', 'smoke'], 'alarm.analytics'],
    [[], 'alarm.analytics'],
    // order is priority: intrusion beats the face it also saw
    [['face', 'intrusion'], 'alarm.intrusion'],
  ])('%j → %s', (labels, type) => {
    expect(eventTypeFor(labels)).toBe(type);
  });

  it.each([
    [['person'], 'person'],
    [['people'], 'person'],
    [['vehicle'], 'car'],
    [['truck'], 'car'],
    [['motorcycle'], 'motor'],
    [['intrusion'], undefined],
    [['fire'], undefined],
  ])('class of %j is %s', (labels, cls) => {
    expect(classFor(labels)).toBe(cls);
  });
});

describe('ids, cameras, times, confidences', () => {
  it('derives a stable id that differs by source, platform id and stage', () => {
    const a = deriveEventId('turing', 'evt-1', 'base');
    expect(deriveEventId('turing', 'evt-1', 'base')).toBe(a);
    expect(new Set([a, deriveEventId('turing', 'evt-1', 'processed'), deriveEventId('turing2', 'evt-1', 'base'), deriveEventId('turing', 'evt-2', 'base')]).size).toBe(4);
    expect(a).toMatch(/^hook-turing-[0-9a-f]{32}$/);
  });

  it('maps cameras through camera_map, else <source>-<their id> sanitized', () => {
    const src = sourceSchema.parse({ id: 'vdb', kind: 'videodb', camera_map: { 'rts-1': 'gate' } });
    expect(mapCamera(src, 'rts-1')).toBe('gate');
    expect(mapCamera(src, 'rts 2/left')).toBe('vdb-rts_2_left');
    expect(mapCamera(src, undefined)).toBe('vdb');
    expect(mapCamera(src, 'x'.repeat(100))).toHaveLength(64);
  });

  it('reads epoch seconds, epoch ms and ISO strings; refuses nonsense', () => {
    const ms = Date.UTC(2026, 10, 23, 2, 0, 0);
    expect(toEpochMs(ms / 1000)).toBe(ms);
    expect(toEpochMs(ms)).toBe(ms);
    expect(toEpochMs(String(ms / 1000))).toBe(ms);
    expect(toEpochMs('2026-11-23T02:00:00Z')).toBe(ms);
    expect(toEpochMs('yesterday')).toBeNull();
    expect(toEpochMs(0)).toBeNull();
    expect(toEpochMs(12.5)).toBeNull();
  });

  it('normalizes confidences to 0..1 (percentages too)', () => {
    expect(normConfidence(0.97)).toBe(0.97);
    expect(normConfidence(87)).toBe(0.87);
    expect(normConfidence('0.5')).toBe(0.5);
    expect(normConfidence(-1)).toBeUndefined();
    expect(normConfidence('high')).toBeUndefined();
  });

  it('walks dot paths through objects and arrays, never into the prototype', () => {
    const o = { a: { b: [{ c: 1 }] } };
    expect(getPath(o, 'a.b.0.c')).toBe(1);
    expect(getPath(o, 'a.x.c')).toBeUndefined();
    expect(getPath(o, 'a.constructor')).toBeUndefined();
  });

  it('finds the top score from a label→score map or an array aligned with labels', () => {
    expect(topScore(['a', 'b'], { a: 0.2, b: 0.9 })).toEqual({ label: 'b', score: 0.9 });
    expect(topScore(['a', 'b'], [0.7, 0.1])).toEqual({ label: 'a', score: 0.7 });
    expect(topScore([], null)).toEqual({});
  });
});

describe('signatures', () => {
  const body = Buffer.from('{"event_id":"e1"}');
  it('hex HMAC: matches case-insensitively, with or without a sha256= prefix, and never a wrong length', () => {
    const md5 = createHmac('md5', 's').update(body).digest('hex');
    expect(verifyHexHmac('md5', body, 's', md5)).toBe(true);
    expect(verifyHexHmac('md5', body, 's', md5.toUpperCase())).toBe(true);
    expect(verifyHexHmac('md5', body, 's', md5 + '0')).toBe(false);
    expect(verifyHexHmac('md5', body, 's', undefined)).toBe(false);
    const sha = createHmac('sha256', 's').update(body).digest('hex');
    expect(verifyHexHmac('sha256', body, 's', `sha256=${sha}`)).toBe(true);
    const b64 = createHmac('sha256', 's').update(body).digest('base64');
    expect(verifyHexHmac('sha256', body, 's', b64, 'base64')).toBe(true);
    expect(verifyHexHmac('sha256', body, 's', b64.toLowerCase(), 'base64')).toBe(false);
  });

  it('Standard Webhooks: 5 minute tolerance on the box clock (fake clock)', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 2, 0, 0));
    const key = Buffer.from('k'.repeat(24));
    const ts = Math.floor(clock.now() / 1000);
    const sig = createHmac('sha256', key).update(`msg_1.${ts}.${body.toString()}`).digest('base64');
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
    const secret = `whsec_${key.toString('base64')}`;
    expect(verifyStandardWebhook(body, secret, headers, clock.now())).toBeNull();
    clock.advance(299_000);
    expect(verifyStandardWebhook(body, secret, headers, clock.now())).toBeNull();
    clock.advance(2_000);
    expect(verifyStandardWebhook(body, secret, headers, clock.now())).toMatch(/5 minutes/);
    expect(verifyStandardWebhook(body, secret, { ...headers, 'webhook-signature': `v2,${sig}` }, ts * 1000)).toMatch(/no webhook-signature/);
    expect(verifyStandardWebhook(body, secret, { 'webhook-id': 'msg_1' }, ts * 1000)).toMatch(/missing/);
  });
});
