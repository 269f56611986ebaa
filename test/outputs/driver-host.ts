import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { GpioSandbox } from '../harness/gpio-sandbox.js';

const HOST = fileURLToPath(new URL('./driver-host.mjs', import.meta.url));

/** Client for driver-host.mjs running inside a GPIO sandbox. */
export class DriverHost {
  private readonly child: ChildProcess;
  private readonly replies: ((r: { ok: boolean; result?: unknown; error?: string }) => void)[] = [];
  stderr = '';

  constructor(sb: GpioSandbox, build: string, spawnPrefix: string[] = []) {
    const [cmd, ...args] = [...spawnPrefix, process.execPath, HOST, build];
    this.child = sb.spawn(cmd!, args);
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.replies.shift()?.(JSON.parse(l)));
    this.child.on('exit', (code) => {
      for (const r of this.replies.splice(0)) r({ ok: false, error: `driver host exited (${code}): ${this.stderr}` });
    });
  }

  private send(cmd: object): Promise<{ ok: boolean; result?: unknown; error?: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`driver host did not answer ${JSON.stringify(cmd)}; stderr: ${this.stderr}`)), 15_000);
      this.replies.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin!.write(JSON.stringify(cmd) + '\n');
    });
  }

  /** runs an op; rejects with the driver's error message when it failed */
  async op(op: string, extra: object = {}): Promise<unknown> {
    const r = await this.send({ op, ...extra });
    if (!r.ok) throw new Error(r.error);
    return r.result;
  }

  create(cfg: object) {
    return this.op('create', { cfg });
  }

  /** messages the driver logged (pino JSON on stderr) */
  logs(): { level: string; msg: string }[] {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string });
  }

  async exit(): Promise<number | null> {
    this.child.stdin!.end();
    if (this.child.exitCode !== null) return this.child.exitCode;
    return new Promise((r) => this.child.once('exit', (code) => r(code)));
  }
}
