import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { startGpioSandbox, type GpioSandbox, type SandboxOptions } from '../harness/gpio-sandbox.js';
import { buildOutputsSrc } from './build-src.js';
import { DriverHost } from './driver-host.js';
import { sandboxOrReason } from './sandbox-support.js';

const ok = await sandboxOrReason('gpio driver with real onoff');

describe.runIf(ok)('gpio driver (real onoff in the fake sysfs sandbox)', () => {
  let build: string;
  let sb: GpioSandbox | undefined;
  let host: DriverHost | undefined;
  beforeAll(() => {
    build = buildOutputsSrc();
  });
  afterAll(() => rmSync(build, { recursive: true, force: true }));
  afterEach(async () => {
    await host?.exit();
    await sb?.stop();
    host = sb = undefined;
  });
  const start = async (opts: SandboxOptions = {}, prefix: string[] = []) => {
    sb = await startGpioSandbox(opts);
    host = new DriverHost(sb, build, prefix);
    return { sb, host };
  };
  const sys = (p: string) => readFileSync(sb!.path(`/sys/class/gpio/${p}`), 'utf8').trim();

  test('BCM 17 maps to sysfs 529 on a chip with base 512; on/off drive the line; close leaves it safe', async () => {
    const { sb, host } = await start();
    expect(sb.rawLevel(529)).toBeNull();
    await host.create({ id: 'light', driver: 'gpio', pin: 17 });
    await host.op('init');
    expect(await host.op('available')).toEqual({ ok: true });
    expect(sb.writes()[0]).toMatchObject({ gpio: 529, file: 'export' });
    await sb.waitFor((w) => w.some((x) => x.file === 'direction'));
    expect(sb.rawLevel(529)).toBe(0);
    await host.op('set', { on: true });
    await sb.waitFor(() => sb.rawLevel(529) === 1);
    expect(sys('gpio529/value')).toBe('1');
    await host.op('set', { on: false });
    await sb.waitFor(() => sb.rawLevel(529) === 0);
    await host.op('set', { on: true });
    await sb.waitFor(() => sb.rawLevel(529) === 1);
    await host.op('close');
    await sb.waitFor(() => sb.rawLevel(529) === 0);
    expect(existsSync(sb.path('/sys/class/gpio/gpio529'))).toBe(true); // still exported, held at safe
    expect(await host.op('state')).toBe(false);
    expect(host.logs().some((l) => /GPIO 529 \(BCM 17 on gpiochip512 \(pinctrl-bcm2711, base 512\)/.test(l.msg))).toBe(true);
  });

  test('active-low relay opens without a glitch: raw high before any raw low; on = raw low', async () => {
    const { sb, host } = await start();
    await host.create({ id: 'relay', driver: 'gpio', pin: 17, active_low: true });
    await host.op('init');
    const opened = await sb.waitFor((w) => w.some((x) => x.file === 'direction'));
    const mine = opened.filter((w) => w.gpio === 529);
    // export (input, drives nothing) → active_low=1 (still input) → direction high (first driven level: raw 1)
    expect(mine.map((w) => [w.file, w.wrote, w.raw])).toEqual([
      ['export', '529', null],
      ['active_low', '1', null],
      ['direction', 'high', 1],
    ]);
    expect(sys('gpio529/value')).toBe('0'); // logical off
    await host.op('set', { on: true });
    await sb.waitFor(() => sb.rawLevel(529) === 0);
    const firstLow = sb.writes().findIndex((w) => w.gpio === 529 && w.raw === 0);
    expect(sb.writes()[firstLow]).toMatchObject({ file: 'value', wrote: '1' }); // the intended "on"
    await host.op('safe');
    await sb.waitFor(() => sb.rawLevel(529) === 1);
    await host.op('set', { on: true });
    await sb.waitFor(() => sb.rawLevel(529) === 0);
    await host.op('safeSync'); // the last-chance path (process exit) without promises
    await sb.waitFor(() => sb.rawLevel(529) === 1);
    await host.op('init'); // a second init does not reopen the line
    expect(sb.writes().filter((w) => w.file === 'export')).toHaveLength(1);
  });

  test('restart: a relay line left exported and held off (raw high) never goes low while reopened', async () => {
    const { sb, host } = await start({ lines: { 529: { exported: true, direction: 'out', raw: 1 } } });
    expect(sb.rawLevel(529)).toBe(1);
    await host.create({ id: 'relay', driver: 'gpio', pin: 17, active_low: true });
    await host.op('init');
    await sb.waitFor((w) => w.some((x) => x.file === 'direction'));
    await host.op('close');
    const w = await sb.waitFor((x) => x.filter((e) => e.gpio === 529).length >= 4);
    expect(w.filter((e) => e.gpio === 529 && e.raw === 0)).toEqual([]);
    expect(sb.rawLevel(529)).toBe(1);
  });

  test('setSync: the value file holds the new level when the call returns; the kernel then applies it', async () => {
    const { sb, host } = await start();
    await host.create({ id: 'relay', driver: 'gpio', pin: 17, active_low: true });
    await host.op('init');
    await sb.waitFor((w) => w.some((x) => x.gpio === 529 && x.file === 'direction'));
    const valueFile = '/sys/class/gpio/gpio529/value';
    expect(await host.op('setSync', { on: true, valueFile })).toBe('1'); // written inside the call, no thread pool hop
    await sb.waitFor(() => sb.rawLevel(529) === 0); // active low: on = raw low
    expect(await host.op('state')).toBe(true);
    expect(await host.op('setSync', { on: false, valueFile })).toBe('0');
    await sb.waitFor(() => sb.rawLevel(529) === 1);
  });

  test('setSync on an output that could not open throws the same error set() rejects with', async () => {
    const { host } = await start({ gpioDir: 'missing' });
    await host.create({ id: 'x', driver: 'gpio', pin: 17 });
    await host.op('init');
    await expect(host.op('setSync', { on: true, valueFile: '/dev/null' })).rejects.toThrow(/output "x": .*does not exist/);
    await expect(host.op('set', { on: true })).rejects.toThrow(/output "x": .*does not exist/);
  });

  test('safe_state on is driven at init (active_low: raw low)', async () => {
    const { sb, host } = await start();
    await host.create({ id: 'gate', driver: 'gpio', pin: 4, active_low: true, safe_state: 'on' });
    await host.op('init');
    await sb.waitFor((w) => w.some((x) => x.gpio === 516 && x.file === 'direction'));
    expect(sb.rawLevel(516)).toBe(0);
    expect(sys('gpio516/value')).toBe('1');
  });

  test('Pi 5: the RP1 chip is chosen by label over lower-numbered SoC chips', async () => {
    const { sb, host } = await start({
      chips: [
        { base: 512, ngpio: 32, label: 'pinctrl-bcm2712' },
        { base: 544, ngpio: 2, label: 'raspberrypi-exp-gpio' },
        { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
      ],
    });
    await host.create({ id: 'light', driver: 'gpio', pin: 17 });
    await host.op('init');
    expect(await host.op('available')).toEqual({ ok: true });
    expect(sb.writes()[0]).toMatchObject({ gpio: 588, file: 'export' });
  });

  test('sysfs_number overrides the chip mapping', async () => {
    const { sb, host } = await start();
    await host.create({ id: 'x', driver: 'gpio', sysfs_number: 530 });
    await host.op('init');
    expect(sb.writes()[0]).toMatchObject({ gpio: 530, file: 'export' });
  });

  test('a number no chip has: clear error, no crash', async () => {
    const { sb, host } = await start();
    await host.create({ id: 'x', driver: 'gpio', sysfs_number: 700 });
    await host.op('init');
    const a = (await host.op('available')) as { ok: boolean; error: string };
    expect(a.ok).toBe(false);
    expect(a.error).toMatch(/GPIO 700 did not appear .* is the number valid/);
    expect(sb.writes()[0]!.error).toMatch(/EINVAL/);
    await expect(host.op('set', { on: true })).rejects.toThrow(/output "x": .*GPIO 700/);
  });

  test('a pin beyond the chip: clear error', async () => {
    const { host } = await start();
    await host.create({ id: 'x', driver: 'gpio', pin: 60 });
    await host.op('init');
    expect(((await host.op('available')) as { error: string }).error).toMatch(/pin 60 is beyond gpiochip512 .* 58 lines/);
  });

  test('missing /sys/class/gpio: clear error pointing at the gpiod driver, no stack trace', async () => {
    const { host } = await start({ gpioDir: 'missing' });
    await host.create({ id: 'relay', driver: 'gpio', pin: 17 });
    await host.op('init');
    const a = (await host.op('available')) as { ok: boolean; error: string };
    expect(a).toEqual({ ok: false, error: expect.stringMatching(/\/sys\/class\/gpio does not exist.*driver: gpiod/) });
    await expect(host.op('safe')).rejects.toThrow(/does not exist/);
    expect(host.stderr).not.toMatch(/\n\s+at /);
    expect(host.logs().find((l) => l.level === 'error')?.msg).toMatch(/unavailable/);
  });

  test('read-only /sys/class/gpio: clear error', async () => {
    const { host } = await start({ gpioDir: 'readonly' });
    await host.create({ id: 'relay', driver: 'gpio', pin: 17 });
    await host.op('init');
    expect(((await host.op('available')) as { error: string }).error).toMatch(/read-only/);
  });

  test('not writable by the service user: error names the gpio group and udev rule', async () => {
    const { host } = await start({}, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']);
    await host.create({ id: 'relay', driver: 'gpio', pin: 17 });
    await host.op('init');
    expect(((await host.op('available')) as { error: string }).error).toMatch(/not writable by uid 65534 .*`gpio` group.*udev rule.*gpiod/);
  });
});
