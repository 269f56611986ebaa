import { z } from 'zod';
import { configSchema } from '../config/schema.js';
import { parseFlags, type CliCommand } from './types.js';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'urn:camrelay:config:v1', title: 'camrelay config.yaml' };
}

const command: CliCommand = {
  name: 'schema',
  summary: "print the config's JSON Schema (for editor autocompletion)",
  usage: `Usage: camrelay schema

Prints the JSON Schema of config.yaml. With the YAML language server (VS Code "YAML"
extension), put this first line in config.yaml:
  # yaml-language-server: $schema=./camrelay.schema.json
after \`camrelay schema > camrelay.schema.json\`.`,
  async run(argv, io) {
    parseFlags(argv, {});
    io.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
    return 0;
  },
};
export default command;
