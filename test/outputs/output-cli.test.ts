import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import { startGpioSandbox, type GpioSandbox } from '../harness/gpio-sandbox.js';
import { buildOutputsSrc } from './build-src.js';
import { sandboxOrReason } from './sandbox-support.js';

const sink = () => {
  let text = '';
  const stream = new Writable({
    write(c, _e, cb) {
      text += String(c);
      cb();
    },
  });
  return { stream, text: () => text };
};

async function cli(argv: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(argv, { stdout: out.stream, stderr: err.stream, env: {}, cwd: process.cwd() });
  return { code, stdout: out.text(), stderr: err.text() };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'camrelay-outcli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = (name: string, yaml: string) => {
  const f = join(dir, name);
  writeFileSync(f, yaml);
  return f;
};

describe('output CLI in-process via main()', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    server = undefined;
  });

  // Only where this box has no GPIO sysfs: on a real Pi the host's lines must not be touched.
  const hostHasGpio = existsSync('/sys/class/gpio');
  if (hostHasGpio) console.warn('output CLI: this host has /sys/class/gpio; the in-process GPIO failure case is left to the sandbox tests');

  test('output safe: every output is driven safe and reported; one bad output does not stop the others', async () => {
    const bodies: string[] = [];
    server = createServer(async (req, res) => {
      let b = '';
      for await (const c of req) b += c;
      bodies.push(`${req.method} ${req.url} ${b}`);
      res.end('<config status="success"/>');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const cfg = config(
      'safe.yaml',
      `outputs:
  - { id: sim, driver: simulated }
  - id: nvr
    driver: viewtron
    viewtron: { host: 127.0.0.1, port: ${port}, password: pw, auth: basic, kind: alarm_out, channel: 3 }
  - id: dead
    driver: viewtron
    viewtron: { host: 127.0.0.1, port: 1, password: pw, retries: 0, timeout_ms: 500 }
${hostHasGpio ? '' : '  - { id: relay, driver: gpio, pin: 17, active_low: true }\n'}`,
    );
    const r = await cli(['output', 'safe', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('sim: off (safe state, driver simulated)');
    expect(r.stdout).toContain('nvr: off (safe state, driver viewtron)');
    expect(r.stdout).toMatch(/dead: FAILED: .*ECONNREFUSED/);
    if (!hostHasGpio) expect(r.stdout).toMatch(/relay: FAILED: \/sys\/class\/gpio does not exist.*driver: gpiod/);
    expect(bodies).toEqual([expect.stringMatching(/^POST \/ManualAlarmOut\/3 .*<status>false<\/status>/)]);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack traces
  });

  test('output safe with only healthy outputs exits 0', async () => {
    const r = await cli(['output', 'safe', '--config', config('ok.yaml', 'outputs:\n  - { id: a }\n  - { id: b, safe_state: on }\n')]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toBe('a: off (safe state, driver simulated)\nb: on (safe state, driver simulated)\n');
  });

  test('output test pulses and returns to safe; unknown ids and bad usage are explained', async () => {
    const cfg = config('t.yaml', 'outputs:\n  - { id: porch }\n');
    const r = await cli(['output', 'test', 'porch', '--config', cfg, '--seconds', '0']);
    expect(r).toMatchObject({ code: 0, stdout: 'porch: ON for 0 s\nporch: back to its safe state (off)\n' });
    const u = await cli(['output', 'test', 'garage', '--config', cfg]);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/no output "garage" in the config \(outputs: porch\)/);
    expect((await cli(['output', 'test', '--config', cfg])).code).toBe(2);
    expect((await cli(['output', 'safe', '--bogus'])).code).toBe(2);
    const missing = await cli(['output', 'safe', '--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});

const ok = await sandboxOrReason('output CLI against the fake sysfs');

describe.runIf(ok)('output CLI (built) against the fake sysfs sandbox', () => {
  let build: string;
  let sb: GpioSandbox | undefined;
  beforeAll(() => {
    build = buildOutputsSrc();
  });
  afterAll(() => rmSync(build, { recursive: true, force: true }));
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });

  test('output safe (as ExecStopPost): a relay left ON goes off, an impossible pin is reported, exit 1', async () => {
    // The daemon died with the active-low relay on (raw low).
    sb = await startGpioSandbox({ lines: { 529: { exported: true, direction: 'out', raw: 0 } } });
    const cfg = config(
      'sb-safe.yaml',
      'outputs:\n  - { id: relay, driver: gpio, pin: 17, active_low: true }\n  - { id: lamp, driver: gpio, pin: 27 }\n  - { id: bad, driver: gpio, pin: 70 }\n',
    );
    const r = await sb.run(process.execPath, [join(build, 'cli.js'), 'output', 'safe', '--config', cfg]);
    expect(r.stdout).toContain('relay: off (safe state, driver gpio)');
    expect(r.stdout).toContain('lamp: off (safe state, driver gpio)');
    expect(r.stdout).toMatch(/bad: FAILED: pin 70 is beyond gpiochip512/);
    expect(r.code).toBe(1);
    await sb.waitFor(() => sb!.rawLevel(529) === 1 && sb!.rawLevel(539) === 0);
    expect(existsSync(sb.path('/sys/class/gpio/gpio529'))).toBe(true); // left exported, held
  });

  test('output test: raw low (on) for the pulse, then back to raw high (off)', async () => {
    sb = await startGpioSandbox();
    const cfg = config('sb-test.yaml', 'outputs:\n  - { id: relay, driver: gpio, pin: 17, active_low: true }\n');
    const r = await sb.run(process.execPath, [join(build, 'cli.js'), 'output', 'test', 'relay', '--config', cfg, '--seconds', '0.3']);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: 'relay: ON for 0.3 s\nrelay: back to its safe state (off)\n' });
    const w = await sb.waitFor((x) => x.filter((e) => e.gpio === 529 && e.file === 'value').length >= 2);
    expect(w.filter((e) => e.gpio === 529 && e.raw !== null).map((e) => e.raw)).toEqual([1, 0, 1]);
  });
});
