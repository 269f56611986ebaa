import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { pickMainChip, type GpioChipInfo } from './gpio-chips.js';
import { OutputError, safeOn, type DriverDeps, type OutputConfig, type OutputDriver } from './types.js';

/** how long a freshly started gpioset may take to fail before we consider the line held */
const SETTLE_MS = 300;

export type GpiosetVersion = 1 | 2;

/**
 * gpioset command lines. v1 (libgpiod 1.6, Debian 12 `gpiod`): `gpioset --mode=signal [-l] CHIP OFF=V`
 * holds the line until signalled; `--mode=exit` sets and exits. v2: `gpioset -c CHIP [-l] OFF=V`
 * holds by default; `-t 0` sets and exits. With -l/--active-low the value is logical.
 */
export function gpiosetArgs(version: GpiosetVersion, chip: string, offset: number, on: boolean, activeLow: boolean, hold: boolean): string[] {
  const value = `${offset}=${on ? 1 : 0}`;
  if (version === 1) return [`--mode=${hold ? 'signal' : 'exit'}`, ...(activeLow ? ['--active-low'] : []), chip, value];
  return [...(hold ? [] : ['-t', '0']), ...(activeLow ? ['-l'] : []), '-c', chip, value];
}

/** `gpiodetect` lines `gpiochip0 [pinctrl-bcm2711] (58 lines)` → chips (base unknown: order kept). */
export function parseGpiodetect(text: string): GpioChipInfo[] {
  return text
    .split('\n')
    .map((l) => /^(\S+)\s+\[([^\]]*)\]\s+\((\d+) lines?\)/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m, i) => ({ name: m[1]!, label: m[2]!, ngpio: Number(m[3]), base: i }));
}

const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string; missing?: boolean }>((resolve) => {
    execFile(cmd, args, { timeout: 5000 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, missing: code === 'ENOENT' });
    });
  });

/**
 * A GPIO line through the character device and libgpiod's `gpioset`, for kernels without the
 * sysfs interface. The line is held by a gpioset process that lives as long as the level should;
 * every change restarts it (a few ms in which the line is released: its level stays on Raspberry
 * Pi kernels).
 */
export function createGpiodDriver(cfg: OutputConfig, deps: DriverDeps): OutputDriver {
  const gpioset = deps.gpioset ?? 'gpioset';
  const gpiodetect = deps.gpiodetect ?? 'gpiodetect';
  const log = deps.logger.child({ component: 'output', output: cfg.id, driver: 'gpiod' });
  let version: GpiosetVersion | null = null;
  let chip: string | null = null;
  let holder: ChildProcess | null = null;
  let unavailable: string | null = 'not initialised';
  let state: boolean | null = null;
  // The chardev has no global numbers: `sysfs_number` means nothing here, the offset is the BCM pin.
  const offset = cfg.pin ?? -1;

  /** logged once per distinct reason: the output bank retries init() while it fails */
  const fail = (msg: string) => {
    if (msg !== unavailable) log.error(`output ${cfg.id} unavailable: ${msg}`);
    unavailable = msg;
  };

  const stopHolder = async () => {
    const h = holder;
    holder = null;
    if (!h || h.exitCode !== null || h.signalCode !== null) return;
    const gone = new Promise((r) => h.once('exit', r));
    h.kill('SIGTERM');
    await gone;
  };

  const hold = async (on: boolean) => {
    if (!version || !chip) throw new OutputError(cfg.id, unavailable ?? 'not initialised');
    await stopHolder();
    const args = gpiosetArgs(version, chip, offset, on, cfg.active_low, true);
    const child = spawn(gpioset, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const early = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), SETTLE_MS);
      child.once('error', (e) => {
        clearTimeout(timer);
        resolve(e.message);
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        resolve(`gpioset exited (${code ?? sig}): ${stderr.trim() || 'no message'}`);
      });
    });
    if (early) {
      state = null;
      throw new OutputError(cfg.id, `${gpioset} ${args.join(' ')} failed: ${early}`);
    }
    holder = child;
    child.once('exit', (code, sig) => {
      if (holder !== child) return;
      holder = null;
      state = null;
      unavailable = `gpioset holding line ${offset} exited (${code ?? sig}): ${stderr.trim()}`;
      log.error(`output ${cfg.id}: ${unavailable}`);
    });
    state = on;
    unavailable = null;
  };

  return {
    id: cfg.id,
    kind: 'gpiod',
    async init() {
      if (offset < 0) return fail('the gpiod driver needs `pin` (the line offset on the chip, = BCM number on a Raspberry Pi)');
      const ver = await run(gpioset, ['--version']);
      if (ver.missing) return fail(`${gpioset} not found: install libgpiod's tools (\`apt install gpiod\`)`);
      const m = /v?(\d+)\.\d+/.exec(ver.stdout + ver.stderr);
      version = m && Number(m[1]) >= 2 ? 2 : 1;
      if (cfg.chip) chip = cfg.chip;
      else {
        const det = await run(gpiodetect, []);
        chip = pickMainChip(parseGpiodetect(det.stdout))?.name ?? 'gpiochip0';
      }
      try {
        await hold(safeOn(cfg));
        log.info(`output ${cfg.id} on ${chip} line ${offset} (gpioset v${version}), driven to safe state ${cfg.safe_state}`);
      } catch (e) {
        fail((e as Error).message);
      }
    },
    set: (on) => hold(on),
    safe: () => hold(safeOn(cfg)),
    async close() {
      if (!version || !chip) return;
      await stopHolder();
      // Leave the line at its safe level without a process holding it.
      const args = gpiosetArgs(version, chip, offset, safeOn(cfg), cfg.active_low, false);
      const r = await run(gpioset, args);
      unavailable = 'closed';
      if (r.code !== 0) throw new OutputError(cfg.id, `${gpioset} ${args.join(' ')} failed: ${r.stderr.trim()}`);
      state = safeOn(cfg);
    },
    available: () => (unavailable ? { ok: false, error: unavailable } : { ok: true }),
    state: () => state,
  };
}
