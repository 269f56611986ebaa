import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expBackoffMs, parseRetryAfter, scheduleDelayMs } from '../../src/sinks/backoff.js';
import { discoveryMessages, outputIdFromSetTopic, parseOutputCommand, topicLevel, topics } from '../../src/sinks/mqtt-topics.js';
import { secretKey, signHeaders, signV1, verifyStandardWebhook } from '../../src/sinks/signing.js';
import { classifyStatus, matchesFilter } from '../../src/sinks/webhook-policy.js';
import { makeEvent } from './fixtures.js';

describe('Standard Webhooks signing', () => {
  // Worked example from the Standard Webhooks spec / svix docs
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = 1614265330;
  const body = '{"test": 2432232314}';

  it('matches the published example signature', () => {
    expect(signV1(secret, id, ts, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('key is the base64-decoded part after whsec_', () => {
    expect(secretKey(secret)).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
    const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${ts}.${body}`).digest('base64');
    expect(signV1(secret, id, ts, Buffer.from(body))).toBe(`v1,${mac}`);
  });

  it('verify: accepts a good signature among several, rejects stale timestamps, tampering and bad headers', () => {
    const now = ts * 1000;
    const h = signHeaders(['whsec_AAAA', secret], id, ts, body);
    expect(h['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(secret, { ...h }, body, { now })).toBe(true);
    expect(verifyStandardWebhook(secret, { 'Webhook-Id': id, 'Webhook-Timestamp': String(ts), 'Webhook-Signature': h['webhook-signature'] }, body, { now })).toBe(true);
    expect(verifyStandardWebhook(secret, { ...h }, body, { now: now + 301_000 })).toBe(false);
    expect(verifyStandardWebhook(secret, { ...h }, body + ' ', { now })).toBe(false);
    expect(verifyStandardWebhook(secret, { ...h, 'webhook-id': 'other' }, body, { now })).toBe(false);
    expect(verifyStandardWebhook(secret, { ...h, 'webhook-signature': 'v2,abc' }, body, { now })).toBe(false);
    expect(verifyStandardWebhook(secret, {}, body, { now })).toBe(false);
  });

  it('no secret: no signature header', () => {
    expect(signHeaders([], 'a', 1, 'x')).toEqual({ 'webhook-id': 'a', 'webhook-timestamp': '1' });
  });
});

describe('retry timing (pure)', () => {
  it('Retry-After as seconds or HTTP date', () => {
    const now = Date.UTC(2026, 0, 15, 12, 0, 0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(['3'], now)).toBe(3000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('schedule: entry 0 is the first attempt, last entry repeats, ±20% jitter', () => {
    const sched = [0, 5, 300];
    expect(scheduleDelayMs(sched, 1, () => 0.5)).toBe(5000);
    expect(scheduleDelayMs(sched, 2, () => 0)).toBe(240_000);
    expect(scheduleDelayMs(sched, 2, () => 1)).toBe(360_000);
    expect(scheduleDelayMs(sched, 9, () => 0.5)).toBe(300_000);
  });

  it('reconnect backoff doubles from 1 s and is capped at 60 s', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 6, 7, 20].map((a) => expBackoffMs(a, 1000, 60_000, mid))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    expect(expBackoffMs(0, 1000, 60_000, () => 0)).toBe(800);
    expect(expBackoffMs(10, 1000, 60_000, () => 1)).toBe(60_000);
  });
});

describe('webhook outcome classification (pure)', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [301, 'retry'],
    [302, 'retry'],
    [400, 'dead'],
    [401, 'dead'],
    [404, 'dead'],
    [408, 'retry'],
    [410, 'disable'],
    [413, 'dead'],
    [425, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
  ])('HTTP %i → %s', (status, kind) => {
    expect(classifyStatus(status, null).kind).toBe(kind);
  });

  it('Retry-After is kept for 429 and 503 only', () => {
    expect(classifyStatus(429, 7000)).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
    expect(classifyStatus(503, 7000)).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
    expect(classifyStatus(500, 7000)).not.toHaveProperty('retryAfterMs');
  });

  it('filters by type (plain, camrelay.-prefixed, wildcard) and camera', () => {
    const lpr = makeEvent({ type: 'alarm.lpr', camera: 'gate' });
    const pres = makeEvent({ type: 'presence.on', camera: 'yard' });
    expect(matchesFilter({ types: [], cameras: [] }, lpr)).toBe(true);
    expect(matchesFilter({ types: ['alarm.lpr'], cameras: [] }, lpr)).toBe(true);
    expect(matchesFilter({ types: ['camrelay.alarm.lpr'], cameras: [] }, lpr)).toBe(true);
    expect(matchesFilter({ types: ['alarm.*'], cameras: [] }, lpr)).toBe(true);
    expect(matchesFilter({ types: ['alarm.*'], cameras: [] }, pres)).toBe(false);
    expect(matchesFilter({ types: [], cameras: ['gate'] }, pres)).toBe(false);
    expect(matchesFilter({ types: ['presence.on'], cameras: ['yard'] }, pres)).toBe(true);
  });
});

describe('MQTT commands and topics (pure)', () => {
  it.each([
    ['ON', { state: 'on' }],
    ['off', { state: 'off' }],
    [' AUTO\n', { state: 'auto' }],
    ['{"state":"ON","for_s":30}', { state: 'on', for_s: 30 }],
    ['{"state":"off"}', { state: 'off' }],
  ])('parses %j', (payload, want) => {
    expect(parseOutputCommand(payload)).toEqual(want);
  });

  it.each(['', 'TOGGLE', '1', '{"state":"ON","for_s":0}', '{"state":"ON","for_s":"30"}', '{"state":"ON","extra":1}', '{bad json', '["ON"]'])(
    'rejects %j',
    (payload) => {
      expect(parseOutputCommand(payload)).toBeNull();
    },
  );

  it('set topic → output id', () => {
    expect(outputIdFromSetTopic('camrelay/s', 'camrelay/s/outputs/relay1/set')).toBe('relay1');
    expect(outputIdFromSetTopic('camrelay/s', 'camrelay/s/outputs/a/b/set')).toBeNull();
    expect(outputIdFromSetTopic('camrelay/s', 'camrelay/x/outputs/relay1/set')).toBeNull();
  });

  it('topic levels never carry wildcards or separators', () => {
    expect(topicLevel('a/b+#c')).toBe('a_b__c');
    expect(topics('p').event('cam/1', 'alarm.lpr')).toBe('p/events/cam_1/alarm.lpr');
  });

  it('discovery: zone devices follow their camera, unique ids are unique', () => {
    const msgs = discoveryMessages({
      site: 's',
      prefix: 'camrelay/s',
      discoveryPrefix: 'homeassistant',
      cameras: [{ id: 'c1', name: 'Gate', online: true, last_seen: null, clock_skew_s: null }],
      zones: [
        { id: 'z1', presence: false, count: 0, since: null, source: 'x' },
        { id: 'z2', presence: false, count: 0, since: null, source: 'x' },
      ],
      outputs: [],
      zoneCamera: (z) => (z === 'z1' ? 'c1' : '*'),
    });
    const parsed = msgs.map((m) => JSON.parse(m.payload) as { unique_id: string; device: { identifiers: string[] } });
    expect(new Set(parsed.map((p) => p.unique_id)).size).toBe(msgs.length);
    const z1 = parsed.find((p) => p.unique_id.endsWith('zone_z1'))!;
    const z2 = parsed.find((p) => p.unique_id.endsWith('zone_z2'))!;
    expect(z1.device.identifiers).toEqual(['camrelay_s_camera_c1']);
    expect(z2.device.identifiers).toEqual(['camrelay_s']);
    expect(msgs.every((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config'))).toBe(true);
  });
});

describe('properties', () => {
  it('sign → verify round-trips for any secret, id and body; any changed byte fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1 }), fc.string(), fc.integer({ min: 1, max: 2 ** 31 }), (key, id, body, ts) => {
        const secret = `whsec_${Buffer.from(key).toString('base64')}`;
        const h = signHeaders([secret], id, ts, body);
        expect(verifyStandardWebhook(secret, { ...h }, body, { now: ts * 1000 })).toBe(true);
        expect(verifyStandardWebhook(secret, { ...h }, body + 'x', { now: ts * 1000 })).toBe(false);
      }),
    );
  });

  it('command parsing never throws and only yields on/off/auto', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (payload) => {
        const c = parseOutputCommand(payload);
        if (c !== null) expect(['on', 'off', 'auto']).toContain(c.state);
      }),
    );
  });
});
