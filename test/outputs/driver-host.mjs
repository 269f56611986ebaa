// Runs output drivers inside the GPIO sandbox and takes commands as JSON lines on stdin:
// {"op":"create","cfg":{...output config...}} then {"op":"init"|"set"|"setSync"|"safe"|"safeSync"|"close"|"available"|"state","on":true}.
// setSync answers what the line's value file holds right after the call returned (`valueFile` names it).
// Answers one JSON line per command: {"ok":true,"result":...} or {"ok":false,"error":"..."}.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const build = process.argv[2];
const { createDriver } = await import(pathToFileURL(join(build, 'outputs/index.js')).href);
const { outputSchema } = await import(pathToFileURL(join(build, 'config/schema.js')).href);
const { createLogger } = await import(pathToFileURL(join(build, 'core/logger.js')).href);
const logger = createLogger({ level: 'info', pretty: false, destination: process.stderr });
let driver = null;

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  let reply;
  try {
    let result = null;
    if (cmd.op === 'create') driver = createDriver(outputSchema.parse(cmd.cfg), { logger, clock: { now: () => Date.now() } });
    else if (cmd.op === 'set') await driver.set(cmd.on);
    else if (cmd.op === 'available' || cmd.op === 'state') result = driver[cmd.op]();
    else if (cmd.op === 'safeSync') driver.safeSync();
    else if (cmd.op === 'setSync') {
      driver.setSync(cmd.on);
      result = readFileSync(cmd.valueFile, 'utf8').trim();
    }
    else await driver[cmd.op]();
    reply = { ok: true, result };
  } catch (e) {
    reply = { ok: false, error: e.message, name: e.name };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
