import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, REPO } from '../harness/daemon.js';

const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

describe('camrelay CLI (built dist/cli.js as a child process)', () => {
  it('--version and --help exit 0', async () => {
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^camrelay \d+\.\d+\.\d+\n$/);
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['run', 'check-config', 'schema']) expect(h.stdout).toContain(c);
  });

  it('each command has --help and --version', async () => {
    for (const c of [['run'], ['check-config'], ['schema']]) {
      const h = await run([...c, '--help']);
      expect(h.code, c.join(' ')).toBe(0);
      expect(h.stdout).toContain(`Usage: camrelay ${c.join(' ')}`);
      const v = await run([...c, '--version']);
      expect(v.stdout).toMatch(/^camrelay \d/);
    }
  });

  it('an unknown command or option exits 2 with a message', async () => {
    const u = await run(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('unknown command "frobnicate"');
    const o = await run(['check-config', '--frob']);
    expect(o.code).toBe(2);
    expect(o.stderr).toContain('unknown option --frob');
    const none = await run([]);
    expect(none.code).toBe(2);
  });

  it('check-config config.example.yaml exits 0 and prints the resolved config', async () => {
    const r = await run(['check-config', 'config.example.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(r.stdout).toContain('durability: full');
  });

  it('check-config on a broken config exits 1 and names every error by path, never printing secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-cli-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'ingest:\n  listen: 8080\nmqtt:\n  url: http://nope\n  password: hunter2-very-secret\nlog:\n  level: loud\n');
    const r = await run(['check-config', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ingest.listen (line 2)');
    expect(r.stderr).toContain('mqtt.url (line 4)');
    expect(r.stderr).toContain('log.level (line 7)');
    expect(r.stderr + r.stdout).not.toContain('hunter2-very-secret');
  });

  it('check-config masks secrets in its output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-cli-'));
    const f = join(dir, 'ok.yaml');
    writeFileSync(join(dir, 'token'), 'admin-token-from-a-file\n');
    writeFileSync(f, 'admin:\n  token_file: token\nmqtt:\n  url: mqtt://127.0.0.1:1883\n  password_env: MQTT_PW_TEST\n');
    const r = await run(['check-config', f], { MQTT_PW_TEST: 'mqtt-password-from-env' });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('admin-token-from-a-file');
    expect(r.stdout).not.toContain('mqtt-password-from-env');
    expect(r.stdout).toMatch(/token: "?\*\*\*"?/);
  });

  it('schema prints a JSON Schema', async () => {
    const r = await run(['schema']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown> };
    expect(s.$schema).toMatch(/json-schema/);
    expect(s.properties.zones).toBeTruthy();
  });
});
