import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalid, findConfigFile, loadConfig, maskConfig, parseConfigText, validateConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/cli/schema.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'camrelay-cfg-'));

function errorsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigInvalid) return e.errors;
    throw e;
  }
  throw new Error('expected ConfigInvalid');
}

describe('config', () => {
  it('an empty config gives the built-in defaults of product.md', () => {
    const { config } = validateConfig({});
    expect(config.ingest.listen).toBe('0.0.0.0:8080');
    expect(config.admin.listen).toBe('127.0.0.1:8081');
    expect(config.storage.data_dir).toBe('./data');
    expect(config.storage.durability).toBe('full');
    expect(config.mqtt).toBeUndefined();
    expect(config.webhooks).toEqual([]);
    expect(config.outputs).toEqual([]);
    expect(config.log.level).toBe('info');
  });

  it('config.example.yaml is valid and uses every area', () => {
    const text = readFileSync(resolve(import.meta.dirname, '../../config.example.yaml'), 'utf8');
    const { config } = parseConfigText(text, 'config.example.yaml', {});
    expect(config.site.id).toBe('demo-site');
    expect(config.zones[0]!.camera).toBe('driveway');
    expect(config.rules.map((r) => r.id)).toContain('gate-whitelist');
    expect(config.mqtt?.url).toMatch(/^mqtt:/);
  });

  it('names every error by YAML path and line', () => {
    const text = [
      'ingest:',
      '  listen: nonsense',
      'storage:',
      '  durability: sometimes',
      'zones:',
      '  - id: z1',
      '    camera: nowhere',
      'outputs:',
      '  - id: o1',
      '    driver: gpio',
      'bogus: 1',
    ].join('\n');
    const errs = errorsOf(() => parseConfigText(text, 'x.yaml', {}));
    const paths = errs.map((e) => e.path);
    expect(paths).toContain('ingest.listen');
    expect(paths).toContain('storage.durability');
    expect(paths).toContain('outputs[0].pin');
    expect(errs.find((e) => e.path === 'ingest.listen')!.line).toBe(2);
    expect(errs.find((e) => e.path === 'storage.durability')!.line).toBe(4);
    expect(errs.some((e) => /bogus/.test(e.message) || e.path === '')).toBe(true);
  });

  it('reports YAML syntax errors with a line', () => {
    const errs = errorsOf(() => parseConfigText('site:\n  id: [unclosed\n', 'x.yaml', {}));
    expect(errs[0]!.message).toMatch(/YAML/);
    expect(errs[0]!.line).toBeGreaterThan(0);
  });

  it('cross-checks ids: rules naming unknown outputs and zones, duplicates, dark_only without coordinates', () => {
    const errs = errorsOf(() =>
      validateConfig({
        outputs: [{ id: 'a' }, { id: 'a' }],
        rules: [{ id: 'r', outputs: ['b'], when: { presence: { zones: ['nope'] } }, schedule: { dark_only: true } }],
      }),
    );
    const msgs = errs.map((e) => `${e.path}: ${e.message}`);
    expect(msgs).toContain('outputs[1].id: duplicate id "a"');
    expect(msgs).toContain('rules[0].outputs[0]: unknown output "b"');
    expect(msgs).toContain('rules[0].when.presence.zones[0]: unknown zone "nope"');
    expect(msgs.some((m) => m.startsWith('rules[0].schedule.dark_only'))).toBe(true);
  });

  it('reads secrets from *_file and *_env and masks them', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'pw'), 's3cret-from-file\n');
    const { config, secrets } = validateConfig(
      { mqtt: { url: 'mqtt://x:1883', password_file: 'pw' }, admin: { token_env: 'ADMIN_TOKEN_X' } },
      { ADMIN_TOKEN_X: 'token-from-env-123' },
      dir,
    );
    expect(config.mqtt!.password).toBe('s3cret-from-file');
    expect(config.admin.token).toBe('token-from-env-123');
    expect(secrets).toEqual(expect.arrayContaining(['s3cret-from-file', 'token-from-env-123']));
    const masked = JSON.stringify(maskConfig(config));
    expect(masked).not.toContain('s3cret-from-file');
    expect(masked).not.toContain('token-from-env-123');
    expect(masked).toContain('"password":"***"');
  });

  it('a missing secret file or env var is an error at its path', () => {
    const errs = errorsOf(() => validateConfig({ admin: { token_env: 'NOPE_NOT_SET' }, mqtt: { url: 'mqtt://x', password_file: '/nonexistent/pw' } }, {}));
    expect(errs.map((e) => e.path).sort()).toEqual(['admin.token_env', 'mqtt.password_file']);
  });

  it('CAMRELAY_ADMIN_TOKEN from the environment overrides the file', () => {
    const { config } = validateConfig({}, { CAMRELAY_ADMIN_TOKEN: 'env-token-abcdef' });
    expect(config.admin.token).toBe('env-token-abcdef');
  });

  it('searches --config, $CAMRELAY_CONFIG, then ./config.yaml, else defaults', () => {
    const dir = tmp();
    expect(findConfigFile('a.yaml', {}, dir)).toEqual({ file: join(dir, 'a.yaml'), origin: 'flag' });
    expect(findConfigFile(undefined, { CAMRELAY_CONFIG: '/x/c.yaml' }, dir)).toEqual({ file: '/x/c.yaml', origin: 'env' });
    // /etc/camrelay/config.yaml is not present on the test machine
    expect(findConfigFile(undefined, {}, dir).origin).toBe('defaults');
    writeFileSync(join(dir, 'config.yaml'), 'site: { id: here }\n');
    expect(findConfigFile(undefined, {}, dir)).toEqual({ file: join(dir, 'config.yaml'), origin: 'cwd' });
    expect(loadConfig(undefined, {}, dir).config.site.id).toBe('here');
  });

  it('exports a JSON Schema with every area', () => {
    const s = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(s.properties).sort()).toEqual(
      ['admin', 'cameras', 'ingest', 'log', 'mqtt', 'outputs', 'rules', 'site', 'sources', 'storage', 'webhooks', 'zones'].sort(),
    );
  });
});
