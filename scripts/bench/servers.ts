import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, spawnDaemon, type DaemonHandle } from '../../test/harness/daemon.js';

export interface Target {
  name: string;
  url: string;
  stop(): Promise<void>;
  pid: number;
}

export async function startBaseline(mode: 'parse' | 'noparse'): Promise<Target> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO, 'scripts/bench/baseline-server.mjs'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (c) => reject(new Error(`baseline exited ${c}`)));
  });
  return {
    name: `baseline node:http ${mode === 'parse' ? '+ fast-xml-parser' : '(no parsing)'}`,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export async function startCamrelay(config: Record<string, unknown> = {}, name = 'camrelay'): Promise<Target & { daemon: DaemonHandle }> {
  const daemon = await spawnDaemon({ config: { log: { level: 'info' }, ...config } });
  return {
    name,
    url: daemon.ingestUrl,
    pid: daemon.child.pid!,
    daemon,
    stop: async () => {
      await daemon.stop();
    },
  };
}

/**
 * CPU time (user + system, all threads) a server process has used so far, in
 * ms, from /proc (NaN elsewhere). On a shared machine the throughput of a
 * closed loop moves with whatever else runs; the CPU a post costs the server
 * moves much less.
 */
export function cpuTimeMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 of stat(5) (utime, stime) in clock ticks, 100 a second on Linux
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
