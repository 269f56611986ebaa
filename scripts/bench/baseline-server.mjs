// Baselines for the ingest benchmark: a bare node:http server that answers the
// Viewtron success XML, either after parsing the body with fast-xml-parser
// ("parse") or without looking at it ("noparse"). Prints its port on stdout.
import { createServer } from 'node:http';
import { XMLParser } from 'fast-xml-parser';

const mode = process.argv[2] ?? 'parse';
const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
const REPLY = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><config version="1.0" xmlns="http://www.ipc.com/ver10"><status>success</status></config>');
const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (mode === 'parse') parser.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': REPLY.length });
    res.end(REPLY);
  });
});
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
