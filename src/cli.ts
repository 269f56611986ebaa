#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliCommand, CliIO } from './cli/types.js';
import { UsageError } from './cli/types.js';

/**
 * Command registry: each entry lazily imports its module so `camrelay --help`
 * does not load SQLite, MQTT or GPIO code. A module default-exports a CliCommand.
 */
const COMMANDS: Record<string, () => Promise<{ default: CliCommand }>> = {
  run: () => import('./cli/run.js'),
  'check-config': () => import('./cli/check-config.js'),
  schema: () => import('./cli/schema.js'),
  simulate: () => import('./cli/simulate.js'),
  'camera subscribe': () => import('./cli/camera-subscribe.js'),
  'camera status': () => import('./cli/camera-status.js'),
  'queue stats': () => import('./cli/queue-stats.js'),
  'queue list': () => import('./cli/queue-list.js'),
  'queue replay': () => import('./cli/queue-replay.js'),
  'queue purge': () => import('./cli/queue-purge.js'),
  'output test': () => import('./cli/output-test.js'),
  'output safe': () => import('./cli/output-safe.js'),
  'quarantine list': () => import('./cli/quarantine-list.js'),
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function topUsage(): string {
  const names = Object.keys(COMMANDS);
  return [
    'Usage: camrelay <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n}`),
    '',
    'Run `camrelay <command> --help` for the options of a command.',
    'Options: --help, --version',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(topUsage() + '\n');
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.stdout.write(`camrelay ${version()}\n`);
    return 0;
  }
  // Two-word commands ("queue stats") first, then one-word ones.
  const two = argv.slice(0, 2).join(' ');
  const key = COMMANDS[two] ? two : COMMANDS[argv[0]!] ? argv[0]! : null;
  if (!key) {
    const group = Object.keys(COMMANDS).filter((k) => k.startsWith(argv[0] + ' '));
    io.stderr.write(
      group.length
        ? `camrelay: "${argv.slice(0, 2).join(' ')}" is not a command; try: ${group.map((g) => `camrelay ${g}`).join(', ')}\n`
        : `camrelay: unknown command "${argv[0]}". Run \`camrelay --help\` for the list.\n`,
    );
    return 2;
  }
  const rest = argv.slice(key.split(' ').length);
  const cmd = (await COMMANDS[key]!()).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  if (rest.includes('--version')) {
    io.stdout.write(`camrelay ${version()}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`camrelay ${key}: ${e.message}\nRun \`camrelay ${key} --help\` for usage.\n`);
      return 2;
    }
    io.stderr.write(`camrelay ${key}: ${(e as Error).message}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
    (code) => {
      // `run` keeps the process alive itself and resolves only when stopped.
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`camrelay: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
