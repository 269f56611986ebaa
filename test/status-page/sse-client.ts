import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

/** A minimal SSE reader over node:http, for tests: records every message and comment with its arrival time. */

export interface SseMessage {
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  at: number;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  messages: SseMessage[];
  comments: string[];
  retry: number | null;
  closed: boolean;
  waitFor(pred: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const c: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages: [],
        comments: [],
        retry: null,
        closed: false,
        waitFor(pred, timeoutMs = 5000) {
          return new Promise((ok, fail) => {
            const hit = c.messages.find(pred);
            if (hit) return ok(hit);
            const t = setTimeout(() => {
              res.off('data', check);
              fail(new Error(`no matching SSE message in ${timeoutMs} ms; got: ${c.messages.map((m) => m.event).join(',')}`));
            }, timeoutMs);
            const check = () => {
              const h = c.messages.find(pred);
              if (h) {
                clearTimeout(t);
                res.off('data', check);
                ok(h);
              }
            };
            res.on('data', check);
          });
        },
        close() {
          req.destroy();
        },
      };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) c.comments.push(line);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('retry: ')) c.retry = Number(line.slice(7));
          }
          if (data.length) c.messages.push({ event, data: JSON.parse(data.join('\n')), at: Date.now() });
        }
      });
      res.on('close', () => (c.closed = true));
      res.on('error', () => (c.closed = true));
      resolve(c);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A client that asks for the stream and then never reads: the server's writes pile up. */
export function openStalledSse(host: string, port: number): Promise<Socket & { closedByPeer: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => {
      s.write(`GET /api/stream HTTP/1.1\r\nhost: ${host}:${port}\r\naccept: text/event-stream\r\n\r\n`);
      // read the first bytes (so we know the stream started), then stop reading
      s.once('data', () => {
        s.pause();
        resolve(Object.assign(s, { closedByPeer }));
      });
    });
    const closedByPeer = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', reject);
  });
}
