// Load generator for the traject → GPIO benchmark: the 64 "cameras", in a process of their own so
// the benchmark can run it at the lowest priority (real cameras are separate devices and take no
// CPU from the receiver). Each camera keeps one HTTP/1.1 keep-alive connection and posts at RATE
// on its own fixed timetable (start + frame × period, offset per camera), waiting for each answer
// as a camera does; a post that is late by more than a frame skips the frames it missed rather
// than bunching up behind the others. Posts are written straight to the socket, and the send time
// of a measured post is taken just before that write, so the generator's own scheduling before
// the write is not counted as the receiver's latency.
//
//   node gpio-load.mjs CONFIG.json   → prints one JSON line: { sent: [[camera, hr_us], ...], posts, errors, skipped }
// CONFIG: { host, port, cameras, rate, measured, seconds, warmupS, templates: [body, ...] }: one traject
// body per camera with "{{ID}}" for the target id (a new id for each appearance). A camera with
// nobody in view sends nothing (Viewtron cameras stop posting). Measured cameras (0..measured-1)
// have someone in view 1 s out of 2; the first post of each appearance after the warm-up is timed.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const period = 1000 / cfg.rate;
const hrUs = () => Number(process.hrtime.bigint() / 1000n);
const sent = [];
let posts = 0;
let errors = 0;
let skipped = 0;
let nextTarget = 1000;

const request = (body) => Buffer.from(`POST /API HTTP/1.1\r\nHost: ${cfg.host}:${cfg.port}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

function camera(cam, start, end) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: cfg.host, port: cfg.port, noDelay: true });
    const tpl = cfg.templates[cam];
    let frame = 0;
    let present = false;
    let req = null;
    let inFlight = false;
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('error', reject);
    const schedule = () => {
      let due = start + frame * period;
      const now = performance.now();
      if (now - due > period) {
        const missed = Math.floor((now - due) / period);
        frame += missed;
        skipped += missed;
        due += missed * period;
      }
      if (due >= end) {
        sock.end();
        return;
      }
      setTimeout(post, Math.max(0, due - now));
    };
    const post = () => {
      const on = cam >= cfg.measured || Math.floor(frame / cfg.rate) % 2 === 0; // measured: 1 s in view, 1 s not
      const first = on && !present;
      if (first) req = request(tpl.replace('{{ID}}', String(nextTarget++)));
      present = on;
      frame++;
      if (!on) return schedule(); // nobody in view: the camera sends nothing
      inFlight = true;
      const t = hrUs();
      if (first && cam < cfg.measured && performance.now() - cfg.startedAt >= cfg.warmupS * 1000) sent.push([cam, t]);
      sock.write(req);
      posts++;
    };
    sock.on('data', (d) => {
      buf += d;
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
      if (buf.length < head + 4 + len) return;
      if (!buf.startsWith('HTTP/1.1 200')) errors++;
      buf = buf.slice(head + 4 + len);
      if (!inFlight) return;
      inFlight = false;
      schedule();
    });
    sock.on('close', () => resolve());
    sock.on('connect', schedule);
  });
}

cfg.startedAt = performance.now();
const end = cfg.startedAt + (cfg.warmupS + cfg.seconds) * 1000;
await Promise.all(Array.from({ length: cfg.cameras }, (_, cam) => camera(cam, cfg.startedAt + (cam * period) / cfg.cameras, end)));
process.stdout.write(JSON.stringify({ sent, posts, errors, skipped }) + '\n');
