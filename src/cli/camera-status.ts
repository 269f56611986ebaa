import { CameraHttp } from '../camera/http.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE, explainCameraError, targetFromFlags } from '../camera/credentials.js';
import { parseDeviceInfo } from '../camera/device-info.js';
import { formatSlot, parseHttpPostConfig } from '../camera/post-config.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

const command: CliCommand = {
  name: 'camera status',
  summary: "show a camera's identity and HTTP POST configuration",
  usage: `Usage: camrelay camera status --host H [--user U --password-file F] [--json]

Prints GetDeviceInfo (name, model, MAC, serial, firmware, API version) and the HTTP POST
configuration: every httpPostV2 URL slot (URL, data types, events, switch) and the
httpPost v1 block with its onlineStatus.

Options:
${CONNECTION_USAGE}
  --json                print one JSON object instead of text`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, { ...CONNECTION_FLAGS, json: { type: 'boolean' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const target = targetFromFlags(flags, io, false);
    const out = (s: string) => io.stdout.write(s + '\n');
    const cam = new CameraHttp(target);
    try {
      const info = parseDeviceInfo((await cam.command('GetDeviceInfo')).body);
      const post = parseHttpPostConfig((await cam.command('GetHttpPostConfig')).body);
      if (flags.json) {
        out(
          JSON.stringify(
            { device: info, httpPost: post.v1 ?? null, httpPostV2: post.v2 ? { maxCount: post.v2.maxCount, slots: post.v2.slots } : null },
            null,
            2,
          ),
        );
        return 0;
      }
      out(`camera ${cam.where}`);
      out(`  name:     ${info.name ?? '?'}`);
      out(`  model:    ${info.model ?? '?'}`);
      out(`  mac:      ${info.mac ?? '?'}`);
      out(`  serial:   ${info.sn ?? '?'}`);
      out(`  firmware: ${info.firmware ?? '?'}`);
      out(`  api:      ${info.apiVersion ?? `(none reported; config version ${info.configVersion ?? '?'})`}`);
      if (post.v2) {
        out(`httpPostV2 (${post.v2.slots.length} of ${post.v2.maxCount ?? 3} slots):`);
        if (post.v2.slots.length === 0) out('  (no slots configured)');
        for (const s of post.v2.slots) for (const l of formatSlot(s)) out(`  ${l}`);
      } else {
        out('httpPostV2: not offered by this firmware (no traject; configure httpPost v1 or upgrade)');
      }
      if (post.v2?.slots.some((s) => s.enabled && s.dataTypes.includes('traject'))) {
        out('note: traject also needs the "Smart track data" checkbox in the camera web UI; the API cannot show or set it');
      }
      if (post.v1) {
        const v = post.v1;
        out(
          `httpPost v1: ${v.enabled ? 'on' : 'off'} ${v.serverIp}:${v.serverPort}${v.url}, heartbeat ${v.keepaliveS}s, ` +
            `online: ${v.onlineStatus === undefined ? 'unknown' : v.onlineStatus ? 'yes' : 'no'}`,
        );
      } else {
        out('httpPost v1: not present');
      }
      return 0;
    } catch (e) {
      const msg = explainCameraError(e);
      if (msg === undefined) throw e;
      io.stderr.write(`camrelay camera status: ${msg}\n`);
      return 1;
    } finally {
      await cam.close();
    }
  },
};
export default command;
