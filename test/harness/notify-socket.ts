import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Stands in for systemd's NOTIFY_SOCKET: a python3 process binds an AF_UNIX
 * SOCK_DGRAM socket (Node cannot) and prints each datagram it receives.
 * `addr` is a path, or `@name` for an abstract socket.
 */
const RECEIVER = `
import json, socket, sys, time
addr = sys.argv[1]
bind = '\\0' + addr[1:] if addr.startswith('@') else addr
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(bind)
print(json.dumps({'bound': True}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({'t': time.monotonic(), 'msg': data.decode()}), flush=True)
`;

export interface Datagram {
  /** python's time.monotonic(), seconds */
  t: number;
  msg: string;
}

export async function startNotifySocket(addr: string): Promise<{ datagrams: Datagram[]; proc: ChildProcess; close(): void }> {
  const py = spawn('python3', ['-c', RECEIVER, addr], { stdio: ['ignore', 'pipe', 'inherit'] });
  const datagrams: Datagram[] = [];
  const rl = createInterface({ input: py.stdout! });
  await new Promise<void>((resolve, reject) => {
    py.once('error', reject);
    py.once('exit', (code) => reject(new Error(`notify socket receiver exited ${code}`)));
    rl.on('line', (line) => {
      const j = JSON.parse(line) as { bound?: boolean } & Datagram;
      if (j.bound) resolve();
      else datagrams.push({ t: j.t, msg: j.msg });
    });
  });
  return { datagrams, proc: py, close: () => void py.kill('SIGKILL') };
}
