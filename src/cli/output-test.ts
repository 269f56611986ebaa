import { driverFor, loadForOutputs } from './output.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const usage = `Usage: camrelay output test ID [--config FILE] [--seconds N]

Pulses one output so an installer can check the wiring: it is driven to its safe state, switched
ON for N seconds (default 2), then returned to its safe state. Do not run it while the daemon
drives the same output. Ctrl-C ends the pulse early (the output still returns to safe).
`;

const command: CliCommand = {
  name: 'output test',
  summary: 'pulse one output to check wiring',
  usage,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, {
      config: { type: 'string', short: 'c' },
      seconds: { type: 'number', short: 's' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one output id');
    const seconds = (flags.seconds as number | undefined) ?? 2;
    if (seconds < 0 || seconds > 3600) throw new UsageError('--seconds must be between 0 and 3600');
    const { config, logger } = loadForOutputs(flags.config as string | undefined, io);
    const d = driverFor(config, positionals[0]!, logger);
    await d.init();
    const a = d.available();
    if (!a.ok) {
      io.stderr.write(`output ${d.id}: unavailable: ${a.error}\n`);
      return 1;
    }
    let code = 0;
    try {
      io.stdout.write(`${d.id}: ON for ${seconds} s\n`);
      await d.set(true);
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          process.off('SIGINT', stop);
          resolve();
        }, seconds * 1000);
        process.once('SIGINT', stop);
      });
    } catch (e) {
      io.stderr.write(`${(e as Error).message}\n`);
      code = 1;
    } finally {
      try {
        await d.close();
        io.stdout.write(`${d.id}: back to its safe state (${config.outputs.find((o) => o.id === d.id)!.safe_state})\n`);
      } catch (e) {
        io.stderr.write(`${(e as Error).message}\n`);
        code = 1;
      }
    }
    return code;
  },
};
export default command;
