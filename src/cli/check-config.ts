import { stringify } from 'yaml';
import { ConfigInvalid, loadConfig, maskConfig } from '../config/load.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const command: CliCommand = {
  name: 'check-config',
  summary: 'validate a config file and print it resolved (secrets masked)',
  usage: `Usage: camrelay check-config [FILE] [--json] [--quiet]

Validates FILE (default: the same search order as \`camrelay run\`: $CAMRELAY_CONFIG,
/etc/camrelay/config.yaml, ./config.yaml). Prints the resolved config with every default
filled in and every secret masked, or every error with its YAML path and line.
Exit 0 when valid, 1 when not, 2 on a usage error.

Options:
  --json    print the resolved config as JSON instead of YAML
  --quiet   print nothing on success`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { json: { type: 'boolean' }, quiet: { type: 'boolean' }, config: { type: 'string' } });
    if (positionals.length > 1) throw new UsageError('give one config file');
    const file = (positionals[0] ?? flags.config) as string | undefined;
    try {
      const loaded = loadConfig(file, io.env, io.cwd);
      const masked = maskConfig(loaded.config);
      if (!flags.quiet) {
        io.stdout.write(`# ${loaded.file ?? 'built-in defaults (no config file found)'}: valid\n`);
        io.stdout.write(flags.json ? JSON.stringify(masked, null, 2) + '\n' : stringify(masked));
      }
      return 0;
    } catch (e) {
      if (e instanceof ConfigInvalid) {
        io.stderr.write(e.message + '\n');
        return 1;
      }
      throw e;
    }
  },
};
export default command;
