import { afterEach, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { listGpioChips, pickMainChip, sysfsNumberFor } from '../../src/outputs/gpio-chips.js';
import { createDriver } from '../../src/outputs/index.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function tree(chips: { base: number; ngpio: number; label: string }[]) {
  root = mkdtempSync(join(tmpdir(), 'camrelay-chips-'));
  for (const c of chips) {
    const d = join(root, `gpiochip${c.base}`);
    mkdirSync(d);
    writeFileSync(join(d, 'base'), `${c.base}\n`);
    writeFileSync(join(d, 'ngpio'), `${c.ngpio}\n`);
    writeFileSync(join(d, 'label'), `${c.label}\n`);
  }
  mkdirSync(join(root, 'gpio999')); // an exported line: not a chip
  return root;
}

describe('GPIO chip discovery (files in a temp dir)', () => {
  test('Pi 3/Zero label pinctrl-bcm2835; pre-6.6 numbering from 0', () => {
    const chips = listGpioChips(tree([{ base: 0, ngpio: 54, label: 'pinctrl-bcm2835' }, { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' }]));
    expect(chips.map((c) => c.name)).toEqual(['gpiochip0', 'gpiochip504']);
    expect(sysfsNumberFor(17, chips)).toMatchObject({ number: 17 });
  });

  test('a preferred label beats a lower base; unknown boards fall back to the lowest base', () => {
    const chips = listGpioChips(tree([{ base: 100, ngpio: 8, label: 'expander' }, { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }]));
    expect(pickMainChip(chips)?.label).toBe('pinctrl-bcm2711');
    expect(pickMainChip([{ name: 'gpiochip300', base: 300, ngpio: 16, label: 'x' }, { name: 'gpiochip200', base: 200, ngpio: 16, label: 'y' }].sort((a, b) => a.base - b.base))?.base).toBe(200);
    expect(sysfsNumberFor(3, [])).toEqual({ error: 'no gpiochip found under the GPIO sysfs directory' });
  });
});

describe('simulated driver', () => {
  test('starts in its safe state, switches, returns to safe', async () => {
    const d = createDriver(outputSchema.parse({ id: 'sim', safe_state: 'on' }), { logger: silentLogger(), clock: new ManualClock() });
    expect(d.state()).toBeNull();
    await d.init();
    expect(d.state()).toBe(true);
    await d.set(false);
    expect(d.state()).toBe(false);
    d.safeSync!();
    expect(d.state()).toBe(true);
    await d.set(false);
    await d.close();
    expect(d.state()).toBe(true);
    expect(d.available()).toEqual({ ok: true });
  });
});
