// Baseline for the traject → GPIO benchmark: the least a receiver can do. Parses each
// post with fast-xml-parser and writes the relay's sysfs value file directly when the
// camera's presence changes. Cameras are told apart by their MAC's last byte.
import { createServer } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';

const first = Number(process.argv[2]);
const count = Number(process.argv[3]);
for (let i = 0; i < count; i++) {
  writeFileSync('/sys/class/gpio/export', String(first + i));
  // the kernel (here: the fake one) creates gpioN/ shortly after the export write
  for (let t = 0; t < 200 && !existsSync(`/sys/class/gpio/gpio${first + i}/direction`); t++) await new Promise((r) => setTimeout(r, 10));
  writeFileSync(`/sys/class/gpio/gpio${first + i}/direction`, 'high'); // active-low relay, off
}
const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
const on = new Map();
const timers = new Map();
const REPLY = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><status>success</status></config>');
const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const doc = parser.parse(Buffer.concat(chunks).toString('utf8'));
    const macNode = doc.config?.mac;
    const cam = parseInt(String(macNode?.['#text'] ?? macNode ?? '').split(':').pop(), 16);
    if (cam < count && doc.config?.traject?.item) {
      // Cameras stop posting when the scene is empty: off after 300 ms of silence.
      if (!on.get(cam)) {
        on.set(cam, true);
        writeFileSync(`/sys/class/gpio/gpio${first + cam}/value`, '0');
      }
      clearTimeout(timers.get(cam));
      timers.set(cam, setTimeout(() => {
        on.set(cam, false);
        writeFileSync(`/sys/class/gpio/gpio${first + cam}/value`, '1');
      }, 300));
    }
    res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': REPLY.length });
    res.end(REPLY);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
