/**
 * A fake sysfs GPIO in a private mount namespace, for tests of the real `onoff` package and of
 * the real daemon. `startGpioSandbox()` starts test/harness/fake-kernel.mjs under
 * `unshare -m --propagation private`; it mounts a tmpfs on /sys/class (visible only inside that
 * namespace) and emulates /sys/class/gpio. `spawn()` runs a command in the same namespace with
 * `nsenter -t <kernel pid> -m`. Every write the kernel sees is logged as a JSON line
 * ({t, gpio, file, wrote, raw, error?}); `writes()`/`rawLevel()` read that log.
 * The emulation's limits are listed at the top of fake-kernel.mjs.
 *
 * Needs root (mount namespaces). `probeGpioSandbox()` says why it cannot run.
 *
 * Typical end-to-end use (a relay on BCM 17, active low, Pi 4 numbering from 512):
 *   const sb = await startGpioSandbox();                       // chips default: base 512, 58 lines
 *   const d = sb.spawn('node', ['dist/cli.js', 'run', '--config', cfg], { env });
 *   await sb.waitFor((w) => w.some((x) => x.gpio === 529 && x.file === 'direction'));
 *   expect(sb.rawLevel(529)).toBe(1);                          // safe off = raw high, no click
 *   d.kill('SIGTERM'); await once(d, 'exit');                  // graceful stop is the caller's job
 *   await sb.stop();                                           // SIGKILLs leftovers, drops the namespace
 * Writes are applied asynchronously by the kernel process: wait with `waitFor`, not a fixed sleep.
 */
import { spawn as spawnChild, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ChipSpec {
  base: number;
  ngpio: number;
  label: string;
}

export interface LineSpec {
  direction?: 'in' | 'out';
  raw?: 0 | 1;
  /** already exported when the sandbox starts (as a previous run that did not unexport left it) */
  exported?: boolean;
}

export interface SandboxOptions {
  /** default: one Raspberry Pi 4 chip, base 512, 58 lines, pinctrl-bcm2711 */
  chips?: ChipSpec[];
  /** state of lines before anything runs, by sysfs number */
  lines?: Record<number, LineSpec>;
  /** 'missing': no /sys/class/gpio; 'readonly': it exists but export/unexport give EROFS */
  gpioDir?: 'normal' | 'missing' | 'readonly';
  /**
   * Scheduling of the kernel process (default: inherited). A real sysfs write is applied inside the
   * writer's syscall; here the kernel process must first get a CPU to notice it, so benchmarks run
   * it ahead of everything else: `{ fifo: 10 }` (SCHED_FIFO, chrt) or `{ nice: -10 }`.
   */
  kernelPriority?: { fifo?: number; nice?: number };
}

export interface GpioWrite {
  t: number;
  /** CLOCK_MONOTONIC in µs (process.hrtime), comparable across processes: when the kernel logged it */
  hr_us?: number;
  /** CLOCK_MONOTONIC µs: when the kernel process woke for this change (line files only) */
  seen_us?: number;
  gpio: number | null;
  file: 'export' | 'unexport' | 'direction' | 'value' | 'active_low' | 'edge' | 'initial' | string;
  wrote: string;
  /** raw level the line drives after this write; null = not an output */
  raw: 0 | 1 | null;
  direction?: 'in' | 'out';
  activeLow?: 0 | 1;
  error?: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface GpioSandbox {
  /** pid of the kernel process (inside the namespace) */
  readonly pid: number;
  /** host path of a file inside the namespace, e.g. path('/sys/class/gpio/gpio529/value') */
  path(p: string): string;
  /** runs a command inside the namespace (stdio piped unless given) */
  spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  /** spawn + wait for exit, collecting output */
  run(cmd: string, args: string[], opts?: SpawnOptions & { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** the raw level a line drives (0|1), null when it is not an output / never touched */
  rawLevel(gpio: number): 0 | 1 | null;
  writes(): GpioWrite[];
  waitFor(pred: (writes: GpioWrite[]) => boolean, timeoutMs?: number): Promise<GpioWrite[]>;
  stop(): Promise<void>;
}

const KERNEL = fileURLToPath(new URL('./fake-kernel.mjs', import.meta.url));
const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p)) ?? 'unshare';
const NSENTER = ['/usr/bin/nsenter', '/bin/nsenter', '/usr/sbin/nsenter'].find((p) => existsSync(p)) ?? 'nsenter';
const NICE = ['/usr/bin/nice', '/bin/nice'].find((p) => existsSync(p)) ?? 'nice';
const CHRT = ['/usr/bin/chrt', '/bin/chrt'].find((p) => existsSync(p)) ?? 'chrt';

/** null when the sandbox can run here, else why not. */
export async function probeGpioSandbox(): Promise<string | null> {
  if (process.platform !== 'linux') return `fake sysfs GPIO sandbox needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'fake sysfs GPIO sandbox needs root (mount namespace + tmpfs over /sys/class); run the tests as root';
  for (const tool of ['unshare', 'nsenter', 'mount', 'mkfifo']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `fake sysfs GPIO sandbox needs \`${tool}\` (util-linux/coreutils)`;
  }
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'mount', '-t', 'tmpfs', 'none', '/sys/class'], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot mount a tmpfs on /sys/class in a private mount namespace: ${(r.stderr || r.error?.message || '').trim()}`;
  return null;
}

export async function startGpioSandbox(opts: SandboxOptions = {}): Promise<GpioSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-gpio-'));
  const logFile = join(dir, 'writes.jsonl');
  writeFileSync(logFile, '');
  const cfgFile = join(dir, 'kernel.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      chips: opts.chips ?? [{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }],
      lines: opts.lines ?? {},
      gpioDir: opts.gpioDir ?? 'normal',
      log: logFile,
    }),
  );
  const cmd = [UNSHARE, '-m', '--propagation', 'private', process.execPath, KERNEL, cfgFile];
  const prio = opts.kernelPriority ?? {};
  if (prio.nice !== undefined) cmd.unshift(NICE, '-n', String(prio.nice));
  if (prio.fifo !== undefined) cmd.unshift(CHRT, '-f', String(prio.fifo));
  const kernel = spawnChild(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  kernel.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fake kernel did not start in 10 s: ${err}`)), 10_000);
    kernel.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    kernel.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fake kernel exited (${code}) before it was ready: ${err.trim()}`));
    });
  });
  const pid = kernel.pid!;
  const children = new Set<ChildProcess>();

  const writes = (): GpioWrite[] =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as GpioWrite);

  const sb: GpioSandbox = {
    pid,
    path: (p) => `/proc/${pid}/root${p}`,
    spawn(cmd, args, o = {}) {
      // Absolute paths: the caller's env may have no PATH. 'node' means this very node binary.
      const exe = cmd === 'node' ? process.execPath : cmd;
      const child = spawnChild(NSENTER, ['-t', String(pid), '-m', `--wd=${o.cwd ?? process.cwd()}`, '--', exe, ...args], {
        stdio: 'pipe',
        ...o,
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    run(cmd, args, o = {}) {
      const { input, timeoutMs = 30_000, ...rest } = o;
      const child = sb.spawn(cmd, args, rest);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      if (input !== undefined) child.stdin?.end(input);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${cmd} ${args.join(' ')} did not exit in ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    rawLevel(gpio) {
      const mine = writes().filter((w) => w.gpio === gpio && !w.error);
      return mine.length ? mine[mine.length - 1]!.raw : null;
    },
    writes,
    async waitFor(pred, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const w = writes();
        if (pred(w)) return w;
        if (Date.now() > end) throw new Error(`gpio sandbox: condition not met in ${timeoutMs} ms; writes:\n${w.map((x) => JSON.stringify(x)).join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      for (const c of children) c.kill('SIGKILL');
      if (kernel.exitCode === null) {
        const gone = new Promise((r) => kernel.once('exit', r));
        kernel.kill('SIGTERM');
        await gone;
      }
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
  return sb;
}
