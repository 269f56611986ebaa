import { afterEach, describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { startGpioSandbox, type GpioSandbox } from '../harness/gpio-sandbox.js';
import { sandboxOrReason } from './sandbox-support.js';

const ok = await sandboxOrReason('fake sysfs GPIO harness');

describe.runIf(ok)('fake sysfs GPIO harness (kernel semantics)', () => {
  let sb: GpioSandbox | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });
  const sh = async (script: string) => {
    const r = await sb!.run('sh', ['-c', script]);
    expect(r.stderr).toBe('');
    return r;
  };
  const read = (p: string) => readFileSync(sb!.path(`/sys/class/gpio/${p}`), 'utf8').trim();
  const settled = (n: number) => sb!.waitFor((w) => w.length >= n, 5000);

  test('chips are described like the kernel does, only inside the namespace', async () => {
    sb = await startGpioSandbox({
      chips: [
        { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
        { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
      ],
    });
    expect(read('gpiochip512/base')).toBe('512');
    expect(read('gpiochip512/ngpio')).toBe('58');
    expect(read('gpiochip512/label')).toBe('pinctrl-bcm2711');
    expect(read('gpiochip570/label')).toBe('raspberrypi-exp-gpio');
    // The host's /sys/class is untouched.
    expect(existsSync('/sys/class/gpio/gpiochip570')).toBe(false);
    const r = await sb.run(process.execPath, ['-e', "console.log(require('onoff').Gpio.accessible)"]);
    expect(r.stdout.trim()).toBe('true');
  });

  test('export creates gpioN in its reset state; out drives 0, high/low set the raw level', async () => {
    sb = await startGpioSandbox();
    await sh('echo 529 > /sys/class/gpio/export');
    await settled(1);
    expect(read('gpio529/direction')).toBe('in');
    expect(read('gpio529/value')).toBe('0');
    expect(read('gpio529/active_low')).toBe('0');
    expect(read('gpio529/edge')).toBe('none');
    expect(sb.rawLevel(529)).toBeNull(); // an input drives nothing

    await sh('echo high > /sys/class/gpio/gpio529/direction');
    await settled(2);
    expect(sb.rawLevel(529)).toBe(1);
    expect(read('gpio529/value')).toBe('1');
    await sh('echo out > /sys/class/gpio/gpio529/direction');
    await settled(3);
    expect(sb.rawLevel(529)).toBe(0);
    await sh('echo high > /sys/class/gpio/gpio529/direction');
    await settled(4);
    await sh('echo low > /sys/class/gpio/gpio529/direction');
    await settled(5);
    expect(sb.rawLevel(529)).toBe(0);
    expect(sb.writes().map((w) => [w.file, w.wrote, w.raw])).toEqual([
      ['export', '529', null],
      ['direction', 'high', 1],
      ['direction', 'out', 0],
      ['direction', 'high', 1],
      ['direction', 'low', 0],
    ]);
  });

  test('value is logical: raw XOR active_low; flipping active_low keeps the raw level', async () => {
    sb = await startGpioSandbox();
    await sh('echo 530 > /sys/class/gpio/export');
    await settled(1);
    await sh('echo low > /sys/class/gpio/gpio530/direction');
    await settled(2);
    await sh('echo 1 > /sys/class/gpio/gpio530/active_low');
    await settled(3);
    expect(sb.rawLevel(530)).toBe(0); // raw kept
    expect(read('gpio530/value')).toBe('1'); // logical flipped
    await sh('echo 0 > /sys/class/gpio/gpio530/value');
    await settled(4);
    expect(sb.rawLevel(530)).toBe(1); // logical 0 with active_low = raw high
    expect(read('gpio530/value')).toBe('0');
    await sh('echo 1 > /sys/class/gpio/gpio530/value');
    await settled(5);
    expect(sb.rawLevel(530)).toBe(0);
  });

  test('export of a number outside every chip fails (logged; no directory)', async () => {
    sb = await startGpioSandbox();
    await sh('echo 17 > /sys/class/gpio/export');
    const w = await settled(1);
    expect(w[0]).toMatchObject({ gpio: 17, file: 'export', raw: null });
    expect(w[0]!.error).toMatch(/EINVAL/);
    expect(existsSync(sb.path('/sys/class/gpio/gpio17'))).toBe(false);
    // onoff gives up with ENOENT after its open() retry loop.
    const r = await sb.run(process.execPath, ['-e', "try { new (require('onoff').Gpio)(600, 'out') } catch (e) { console.log(e.code) }"]);
    expect(r.stdout.trim()).toBe('ENOENT');
  });

  test('unexport removes the directory and keeps the raw level; a re-export shows it', async () => {
    sb = await startGpioSandbox();
    await sh('echo 529 > /sys/class/gpio/export');
    await settled(1);
    await sh('echo 1 > /sys/class/gpio/gpio529/active_low; echo high > /sys/class/gpio/gpio529/direction');
    await sb.waitFor((w) => w.some((x) => x.file === 'direction'));
    await sh('echo 529 > /sys/class/gpio/unexport');
    await sb.waitFor((w) => w.some((x) => x.file === 'unexport'));
    expect(existsSync(sb.path('/sys/class/gpio/gpio529'))).toBe(false);
    expect(sb.rawLevel(529)).toBe(1);
    await sh('echo 529 > /sys/class/gpio/export');
    await sb.waitFor((w) => w.filter((x) => x.file === 'export').length === 2);
    expect(read('gpio529/direction')).toBe('out');
    expect(read('gpio529/active_low')).toBe('0'); // a flag of the released descriptor
    expect(read('gpio529/value')).toBe('1');
  });

  test('back-to-back unexports read as one chunk are still split', async () => {
    sb = await startGpioSandbox({ lines: { 529: { exported: true }, 530: { exported: true } } });
    await sh('printf 529 > /sys/class/gpio/unexport; printf 530 > /sys/class/gpio/unexport');
    const w = await sb.waitFor((x) => x.filter((e) => e.file === 'unexport').length === 2);
    expect(w.filter((e) => e.error)).toEqual([]);
    expect(existsSync(sb.path('/sys/class/gpio/gpio529'))).toBe(false);
    expect(existsSync(sb.path('/sys/class/gpio/gpio530'))).toBe(false);
  });
});
