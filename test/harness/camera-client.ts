import { connect, type Socket } from 'node:net';

/**
 * A camera-like HTTP client: one TCP connection, posts in sequence, each answer
 * read before the next post (as Viewtron cameras do on a persistent connection).
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A camera-like client: one TCP connection, posts in sequence, each answer read before the next post. */
export class KeepAliveConnection {
  private buf = Buffer.alloc(0);
  private waiting: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null;
  private readonly sock: Socket;
  private closedErr: Error | null = null;
  constructor(port: number) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.setNoDelay(true); // header and body are two writes: Nagle + delayed ACK would add ~40 ms per post
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.tryParse();
    });
    const fail = (e: Error) => {
      this.closedErr ??= e;
      const w = this.waiting;
      this.waiting = null;
      w?.reject(this.closedErr);
    };
    this.sock.on('error', fail);
    this.sock.on('close', () => fail(new Error('connection closed')));
  }
  private tryParse(): void {
    const s = this.buf.toString('latin1');
    const end = s.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const lines = s.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    if (this.buf.length < end + 4 + len) return;
    const body = this.buf.subarray(end + 4, end + 4 + len).toString();
    this.buf = this.buf.subarray(end + 4 + len);
    const w = this.waiting;
    this.waiting = null;
    w.resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body });
  }
  /** `requestTarget` overrides the request line's target, e.g. an NVR's absolute form `http://host:port/API`. */
  post(body: string, path = '/API', requestTarget?: string): Promise<RawResponse> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const b = Buffer.from(body);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.sock.write(
        `POST ${requestTarget ?? path} HTTP/1.1\r\nHost: box\r\nContent-Type: application/xml; charset=utf-8\r\nConnection: keep-alive\r\nContent-Length: ${b.length}\r\n\r\n`,
      );
      this.sock.write(b);
    });
  }
  get open(): boolean {
    return !this.sock.destroyed && !this.closedErr;
  }
  close(): void {
    this.sock.destroy();
  }
}

