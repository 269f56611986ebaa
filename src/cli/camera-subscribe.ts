import { CameraHttp } from '../camera/http.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE, explainCameraError, targetFromFlags } from '../camera/credentials.js';
import {
  DATA_TYPES,
  NoHttpPostV2Error,
  diffSlot,
  formatSlot,
  mismatches,
  parseHttpPostConfig,
  planSubscription,
} from '../camera/post-config.js';
import { describeFailure, parseConfigDoc } from '../camera/xml.js';
import { parseFlags, UsageError, type CliCommand } from './types.js';

export const REMINDERS = [
  'Reminder: traject (live tracking) also needs the "Smart track data" checkbox in the camera web UI',
  '  (HTTP POST / HTTP Notification settings); the API cannot set it, and without it no traject posts arrive.',
  'Reminder: reboot the camera after the first HTTP POST configuration change, or it may show "Online"',
  '  and still send no events. Detection rules (zones, tripwires) must be enabled in the camera\'s Event settings.',
];

const splitList = (v: unknown): string[] | undefined =>
  v === undefined
    ? undefined
    : String(v)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

const command: CliCommand = {
  name: 'camera subscribe',
  summary: "point a camera's httpPostV2 subscription (SetHttpPostConfig) at this box",
  usage: `Usage: camrelay camera subscribe --host H --user U --password-file F --url URL [options]

Reads the camera's HTTP POST configuration (GetHttpPostConfig), writes one httpPostV2 URL
slot (SetHttpPostConfig) so the camera posts to URL, keeps the other slots as they were,
reads the configuration back and prints what changed. Basic and Digest logins work.

Options:
${CONNECTION_USAGE}
  --url URL             where the camera posts, e.g. http://192.168.1.10:8080/API (required)
  --events LIST         subscription events, comma separated: PERIMETER,TRIPWIRE,LOITER,...
                        or ALL (default: keep the slot's events, ALL for a new slot)
  --data LIST           data types (default: ${DATA_TYPES.join(',')})
  --slot N              URL slot 1-3 (default: the slot already posting to URL, else the first free one)
  --keepalive S         heartbeat interval, 30-120 s (default 30)
  --dry-run             print the change and the SetHttpPostConfig body without writing it

Exit 0 on success, 1 when the camera refused or did not keep the change, 2 on a usage error.`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, {
      ...CONNECTION_FLAGS,
      url: { type: 'string' },
      events: { type: 'string' },
      data: { type: 'string' },
      slot: { type: 'number' },
      keepalive: { type: 'number' },
      'dry-run': { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const target = targetFromFlags(flags, io, true);
    if (!flags.url) throw new UsageError('--url is required (where the camera should post, e.g. http://192.168.1.10:8080/API)');
    let url: URL;
    try {
      url = new URL(String(flags.url));
    } catch {
      throw new UsageError(`--url "${String(flags.url)}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http:// or https://');
    if (url.username || url.password) throw new UsageError('--url must not carry credentials');
    const keepaliveS = (flags.keepalive as number | undefined) ?? 30;
    if (!Number.isInteger(keepaliveS) || keepaliveS < 30 || keepaliveS > 120) throw new UsageError('--keepalive must be 30..120 seconds');
    const slot = flags.slot as number | undefined;
    if (slot !== undefined && (!Number.isInteger(slot) || slot < 1 || slot > 3)) throw new UsageError('--slot must be 1, 2 or 3');
    const dataTypes = splitList(flags.data) ?? [...DATA_TYPES];
    const events = splitList(flags.events)?.map((e) => e.toUpperCase());
    if (dataTypes.length === 0) throw new UsageError('--data needs at least one data type');

    const out = (s: string) => io.stdout.write(s + '\n');
    const cam = new CameraHttp(target);
    try {
      const current = parseHttpPostConfig((await cam.command('GetHttpPostConfig')).body);
      let plan;
      try {
        plan = planSubscription(current, { url, dataTypes, events, slot, keepaliveS });
      } catch (e) {
        if (e instanceof NoHttpPostV2Error && current.v1) {
          io.stderr.write(
            `camrelay camera subscribe: ${e.message}\n  httpPost v1 now: ${current.v1.enabled ? 'on' : 'off'} ` +
              `${current.v1.serverIp}:${current.v1.serverPort}${current.v1.url}\n`,
          );
          return 1;
        }
        throw e;
      }
      const changes = diffSlot(plan.before, plan.after);
      out(`camera ${cam.where}, httpPostV2 slot ${plan.slotId}:`);
      if (changes.length === 0) out('  already configured as asked; writing it again anyway');
      for (const c of changes) out(`  ${c}`);
      if (!dataTypes.includes('traject')) out('  note: traject is not subscribed, so live presence will rely on alarm posts only');
      if (flags['dry-run']) {
        out('dry run: nothing written. SetHttpPostConfig body:');
        out(plan.body);
        for (const r of REMINDERS) out(r);
        return 0;
      }
      const setRes = await cam.command('SetHttpPostConfig', plan.body);
      if (setRes.body.trim()) {
        const doc = parseConfigDoc(setRes.body);
        if ('status' in doc) {
          io.stderr.write(`camrelay camera subscribe: SetHttpPostConfig failed: ${describeFailure(doc)}\n`);
          return 1;
        }
      }
      const readBack = parseHttpPostConfig((await cam.command('GetHttpPostConfig')).body);
      const got = readBack.v2?.slots.find((s) => s.urlId === plan.slotId);
      const bad = mismatches(plan.after, got);
      if (bad.length) {
        io.stderr.write(`camrelay camera subscribe: the camera did not keep the change on slot ${plan.slotId}: ${bad.join('; ')}\n`);
        return 1;
      }
      out('written and read back:');
      for (const l of formatSlot(got!)) out(`  ${l}`);
      const others = (readBack.v2?.slots ?? []).filter((s) => s.urlId !== plan.slotId);
      if (others.length) out(`other slots unchanged: ${others.map((s) => s.urlId).join(', ')}`);
      for (const r of REMINDERS) out(r);
      return 0;
    } catch (e) {
      const msg = explainCameraError(e);
      if (msg === undefined && !(e instanceof NoHttpPostV2Error)) throw e;
      io.stderr.write(`camrelay camera subscribe: ${msg ?? (e as Error).message}\n`);
      return 1;
    } finally {
      await cam.close();
    }
  },
};
export default command;
