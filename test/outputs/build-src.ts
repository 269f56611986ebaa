import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Code that must run inside the GPIO sandbox's mount namespace cannot run in the vitest worker:
 * transpile (esbuild, no bundling) the source it needs into test-artifacts/ (gitignored; inside
 * the repo so `node_modules` resolves). Only the modules the output CLI loads are included, so
 * another area's half-written file cannot break these tests.
 */
export function buildOutputsSrc(): string {
  const base = join(REPO, 'test-artifacts');
  mkdirSync(base, { recursive: true });
  const out = mkdtempSync(join(base, 'outputs-build-'));
  chmodSync(out, 0o755); // the non-root test runs the build as uid 65534
  const files = [
    'src/cli.ts',
    'src/cli/types.ts',
    ...['src/cli', 'src/core', 'src/config', 'src/outputs'].flatMap((d) =>
      readdirSync(join(REPO, d))
        .filter((f) => f.endsWith('.ts') && (d !== 'src/cli' || f.startsWith('output')))
        .map((f) => `${d}/${f}`),
    ),
  ];
  execFileSync(join(REPO, 'node_modules/.bin/esbuild'), [...files, `--outdir=${out}`, '--outbase=src', '--format=esm', '--platform=node', '--log-level=error'], {
    cwd: REPO,
  });
  return out;
}
