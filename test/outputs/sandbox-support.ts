import { test } from 'vitest';
import { probeGpioSandbox } from '../harness/gpio-sandbox.js';

/**
 * Whether the fake sysfs GPIO sandbox can run. When it cannot: with CI=true a failing test says
 * why; otherwise the reason is printed and the caller skips its suite.
 */
export async function sandboxOrReason(suite: string): Promise<boolean> {
  const reason = await probeGpioSandbox();
  if (!reason) return true;
  if (process.env.CI === 'true') {
    test(`${suite}: fake sysfs GPIO sandbox is available`, () => {
      throw new Error(reason);
    });
  } else {
    console.warn(`SKIPPED ${suite}: ${reason}`);
  }
  return false;
}
