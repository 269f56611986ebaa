import { afterEach, describe, expect, test } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createDriver } from '../../src/outputs/index.js';
import { gpiosetArgs, parseGpiodetect } from '../../src/outputs/gpiod.js';

// No gpio-sim kernel module (and no GPIO character device) here: gpioset/gpiodetect are shell
// stand-ins that log their command lines and hold like `gpioset --mode=signal` does.
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function fakeTools(version: string, fail = false) {
  dir = mkdtempSync(join(tmpdir(), 'camrelay-gpiod-'));
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const gpioset = join(dir, 'gpioset');
  writeFileSync(
    gpioset,
    `#!/bin/sh
if [ "$1" = "--version" ]; then echo "gpioset (libgpiod) ${version}"; exit 0; fi
echo "start $*" >> ${log}
${fail ? 'echo "gpioset: error setting the GPIO line values: Device or resource busy" >&2; exit 1' : ''}
case "$*" in *--mode=exit*|*"-t 0"*) exit 0;; esac
trap 'echo "stop $*" >> ${log}; exit 0' TERM
while :; do sleep 0.05; done
`,
  );
  const gpiodetect = join(dir, 'gpiodetect');
  writeFileSync(gpiodetect, '#!/bin/sh\necho "gpiochip0 [pinctrl-bcm2711] (58 lines)"\necho "gpiochip1 [raspberrypi-exp-gpio] (8 lines)"\n');
  chmodSync(gpioset, 0o755);
  chmodSync(gpiodetect, 0o755);
  return { gpioset, gpiodetect, calls: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

const make = (tools: { gpioset: string; gpiodetect: string }, extra: Record<string, unknown> = {}) =>
  createDriver(outputSchema.parse({ id: 'relay', driver: 'gpiod', pin: 17, ...extra }), {
    logger: silentLogger(),
    clock: new ManualClock(),
    ...tools,
  });

describe('gpiod driver', () => {
  test('command lines for libgpiod v1 (Debian 12) and v2', () => {
    expect(gpiosetArgs(1, 'pinctrl-bcm2711', 17, false, true, true)).toEqual(['--mode=signal', '--active-low', 'pinctrl-bcm2711', '17=0']);
    expect(gpiosetArgs(1, 'gpiochip0', 17, true, false, false)).toEqual(['--mode=exit', 'gpiochip0', '17=1']);
    expect(gpiosetArgs(2, 'gpiochip4', 5, true, true, true)).toEqual(['-l', '-c', 'gpiochip4', '5=1']);
    expect(gpiosetArgs(2, 'gpiochip4', 5, false, false, false)).toEqual(['-t', '0', '-c', 'gpiochip4', '5=0']);
    expect(parseGpiodetect('gpiochip0 [pinctrl-rp1] (54 lines)\ngpiochip10 [pinctrl-bcm2712] (32 lines)\n')).toEqual([
      { name: 'gpiochip0', label: 'pinctrl-rp1', ngpio: 54, base: 0 },
      { name: 'gpiochip10', label: 'pinctrl-bcm2712', ngpio: 32, base: 1 },
    ]);
  });

  test('v1: holds the safe state from init, restarts gpioset on each change, leaves safe on close (mock: gpioset)', async () => {
    const tools = fakeTools('v1.6.3');
    const d = make(tools, { active_low: true });
    await d.init();
    expect(d.available()).toEqual({ ok: true });
    await d.set(true);
    await d.close();
    expect(tools.calls()).toEqual([
      'start --mode=signal --active-low gpiochip0 17=0',
      'stop --mode=signal --active-low gpiochip0 17=0',
      'start --mode=signal --active-low gpiochip0 17=1',
      'stop --mode=signal --active-low gpiochip0 17=1',
      'start --mode=exit --active-low gpiochip0 17=0',
    ]);
    expect(d.state()).toBe(false);
  });

  test('v2 syntax and an explicit chip label (mock: gpioset)', async () => {
    const tools = fakeTools('v2.1');
    const d = make(tools, { chip: 'pinctrl-rp1', pin: 4 });
    await d.init();
    await d.close();
    expect(tools.calls()).toEqual(['start -c pinctrl-rp1 4=0', 'stop -c pinctrl-rp1 4=0', 'start -t 0 -c pinctrl-rp1 4=0']);
  });

  test('a busy line is reported with gpioset\'s message, no throw from init (mock: gpioset)', async () => {
    const tools = fakeTools('v1.6.3', true);
    const d = make(tools);
    await d.init();
    expect(d.available()).toEqual({ ok: false, error: expect.stringMatching(/Device or resource busy/) });
    await expect(d.set(true)).rejects.toThrow(/output "relay": .*Device or resource busy/);
  });

  test('sysfs_number alone is not a line offset: clear error', async () => {
    const tools = fakeTools('v1.6.3');
    const d = createDriver(outputSchema.parse({ id: 'r', driver: 'gpiod', sysfs_number: 529 }), { logger: silentLogger(), clock: new ManualClock(), ...tools });
    await d.init();
    expect(d.available().error).toMatch(/needs `pin`/);
    expect(tools.calls()).toEqual([]);
  });

  test('gpioset missing: tells to install the gpiod package', async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-gpiod-'));
    const d = make({ gpioset: join(dir, 'nope/gpioset'), gpiodetect: join(dir, 'nope/gpiodetect') });
    await d.init();
    expect(d.available().error).toMatch(/apt install gpiod/);
  });
});
