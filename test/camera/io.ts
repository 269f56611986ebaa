import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';

/** Runs the real CLI dispatcher in-process with captured stdout/stderr. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = process.cwd(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const code = await main(argv, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env,
    cwd,
  });
  return { code, stdout, stderr };
}
