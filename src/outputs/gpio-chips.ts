import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GpioChipInfo {
  /** directory name, e.g. gpiochip512 */
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/**
 * Labels of the chip that carries the 40-pin header, best first. Since kernel 6.6 the sysfs
 * numbers no longer start at 0 (Raspberry Pi OS: base 512), so BCM n is `base + n` of this chip.
 * A Pi 5 exposes the header through the RP1 chip; its SoC chips come first in numbering.
 */
export const MAIN_CHIP_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2712', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

export function listGpioChips(sysfsRoot: string): GpioChipInfo[] {
  const chips: GpioChipInfo[] = [];
  for (const name of readdirSync(sysfsRoot)) {
    if (!/^gpiochip\d+$/.test(name)) continue;
    const read = (f: string) => readFileSync(join(sysfsRoot, name, f), 'utf8').trim();
    try {
      chips.push({ name, base: Number(read('base')), ngpio: Number(read('ngpio')), label: read('label') });
    } catch {
      // a chip whose attributes cannot be read is not one we can use
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/** Picks the main GPIO chip: known Raspberry Pi labels first, else the lowest base. */
export function pickMainChip(chips: GpioChipInfo[]): GpioChipInfo | undefined {
  for (const label of MAIN_CHIP_LABELS) {
    const c = chips.find((x) => x.label === label);
    if (c) return c;
  }
  return chips[0];
}

/** BCM line number → sysfs number, or an installer-readable reason why not. */
export function sysfsNumberFor(pin: number, chips: GpioChipInfo[]): { number: number; chip: GpioChipInfo } | { error: string } {
  const chip = pickMainChip(chips);
  if (!chip) return { error: 'no gpiochip found under the GPIO sysfs directory' };
  if (pin >= chip.ngpio) return { error: `pin ${pin} is beyond ${chip.name} (${chip.label}), which has ${chip.ngpio} lines` };
  return { number: chip.base + pin, chip };
}
