import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEvent, sleep, until } from './fixtures.js';
import { makeSink, mqttCfg } from './mqtt-helpers.js';
import { openTestStore } from './store.js';

/**
 * mosquitto 2.0.11 drops the connection instead of sending a failing PUBACK
 * reason code, so the PUBACK reason-code path is exercised against a tiny
 * scripted MQTT 5 broker (real TCP, real mqtt-packet encoding).
 */
interface Seen {
  topic: string;
  id: string;
  rc: number;
}

async function scriptedBroker(decide: (id: string, attempt: number) => number) {
  const seen: Seen[] = [];
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const send = (p: object) => sock.write(mqttPacket.generate(p as mqttPacket.Packet, { protocolVersion: 5 }));
    parser.on('packet', (p: mqttPacket.Packet) => {
      switch (p.cmd) {
        case 'connect':
          send({ cmd: 'connack', sessionPresent: false, reasonCode: 0 });
          break;
        case 'subscribe':
          send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map(() => 1) });
          break;
        case 'publish': {
          if (p.qos === 0) break;
          let rc = 0;
          if (p.topic.includes('/events/')) {
            const id = (JSON.parse(p.payload.toString()) as { id: string }).id;
            const n = (attempts.get(id) ?? 0) + 1;
            attempts.set(id, n);
            rc = decide(id, n);
            seen.push({ topic: p.topic, id, rc });
          }
          send({ cmd: 'puback', messageId: p.messageId, reasonCode: rc });
          break;
        }
        case 'pingreq':
          send({ cmd: 'pingresp' });
          break;
        case 'disconnect':
          sock.end();
          break;
      }
    });
    sock.on('data', (d) => parser.parse(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('MQTT 5 PUBACK reason codes (mock: scripted MQTT 5 broker)', () => {
  it('a failing reason code is not an ack: transient (0x80) is retried, permanent (0x87) is dead-lettered', async () => {
    const { store, close } = openTestStore('test', ['mqtt']);
    cleanups.push(close);
    const stored = await store.append(Array.from({ length: 5 }, () => makeEvent()));
    const [e1, e2, e3, e4, e5] = stored.map((s) => s.event.id);
    const broker = await scriptedBroker((id, attempt) => (id === e2 ? 0x87 : id === e3 && attempt === 1 ? 0x80 : 0));
    cleanups.push(broker.close);
    const sink = makeSink(mqttCfg(broker.url, { protocol_version: 5 }), store);
    cleanups.push(() => sink.stop());
    await sink.start();
    await until(() => store.sinkStats('mqtt').depth === 0, 10_000, 'queue settled');
    await sleep(100);
    // e3 was refused once and only acked on its retry; e2 was refused for good
    expect(broker.seen.filter((s) => s.id === e3).map((s) => s.rc)).toEqual([0x80, 0]);
    expect(broker.seen.filter((s) => s.id === e2).map((s) => s.rc)).toEqual([0x87]);
    expect(store.listDeadLetters('mqtt').map((d) => d.seq)).toEqual([stored[1]!.seq]);
    expect(store.listDeadLetters('mqtt')[0]!.reason).toMatch(/0x87|not authori[sz]ed/i);
    expect(store.sinkStats('mqtt').delivered).toBe(4);
    expect(sink.status().connected).toBe(true);
    // first pass in order; the window means e4/e5 were already out when e3 was refused
    expect(broker.seen.slice(0, 5).map((s) => s.id)).toEqual([e1, e2, e3, e4, e5]);
  });

  it('with max_inflight 1 a transient refusal keeps strict order', async () => {
    const { store, close } = openTestStore('test', ['mqtt']);
    cleanups.push(close);
    const stored = await store.append(Array.from({ length: 4 }, () => makeEvent()));
    const ids = stored.map((s) => s.event.id);
    const broker = await scriptedBroker((id, attempt) => (id === ids[1] && attempt < 3 ? 0x97 : 0));
    cleanups.push(broker.close);
    const sink = makeSink(mqttCfg(broker.url, { protocol_version: 5, max_inflight: 1 }), store);
    cleanups.push(() => sink.stop());
    await sink.start();
    await until(() => store.sinkStats('mqtt').depth === 0, 10_000, 'queue settled');
    const delivered = broker.seen.filter((s) => s.rc === 0).map((s) => s.id);
    expect(delivered).toEqual(ids);
    expect(broker.seen.filter((s) => s.id === ids[1])).toHaveLength(3);
  });
});
