import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { XMLParser } from 'fast-xml-parser';

/**
 * A node:http server that behaves like a Viewtron IPC control API for the
 * camera CLI tests: it demands Basic or Digest auth (Digest verified here,
 * independently of the product's code), serves GetDeviceInfo and
 * GetHttpPostConfig from its state, and applies SetHttpPostConfig to it.
 */

export interface FakeSlot {
  urlId: number;
  enabled: boolean;
  domain: string;
  port: number;
  path: string;
  keepalive: number;
  data: string[];
  events: string[];
}

export interface FakeCameraOptions {
  auth: 'basic' | 'digest';
  user: string;
  password: string;
  /** false: firmware without an httpPostV2 block */
  v2?: boolean;
  slots?: FakeSlot[];
  /** answer SetHttpPostConfig with this body (e.g. a failed status) and keep state */
  setAnswer?: string;
  /** ignore Set (read-back then shows the old slot) */
  ignoreSet?: boolean;
}

export interface FakeCamera {
  port: number;
  slots: FakeSlot[];
  /** every request after authentication: command path, method, body, Authorization header */
  log: { path: string; method: string; body: string; authorization?: string }[];
  setBodies: string[];
  /** Digest responses the server checked and accepted */
  digestOk: number;
  close(): Promise<void>;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function params(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)) out[m[1]!] = m[2] ?? m[3]!;
  return out;
}

function slotXml(s: FakeSlot): string {
  return `        <item>
          <urlId>${s.urlId}</urlId>
          <switch>${s.enabled}</switch>
          <url>
            <protocol>http</protocol>
            <domain><![CDATA[${s.domain}]]></domain>
            <port>${s.port}</port>
            <path><![CDATA[${s.path}]]></path>
            <authentication>none</authentication>
          </url>
          <heatBeatSwitch>true</heatBeatSwitch>
          <keepaliveTimeval>${s.keepalive}</keepaliveTimeval>
          <subscribeDateType type="list" count="${s.data.length}">
${s.data.map((d) => `            <item>${d}</item>`).join('\n')}
          </subscribeDateType>
          <subscriptionEvents type="list" count="${s.events.length}">
${s.events.map((d) => `            <item>${d}</item>`).join('\n')}
          </subscriptionEvents>
        </item>`;
}

export function httpPostConfigXml(slots: FakeSlot[], v2 = true): string {
  const v1 = `  <httpPost>
    <bSwitch type="boolean">false</bSwitch>
    <protocolType><![CDATA[API]]></protocolType>
    <serverIp><![CDATA[10.1.2.3]]></serverIp>
    <serverPort>8000</serverPort>
    <keepaliveTimeval>60</keepaliveTimeval>
    <onlineStatus type="boolean">false</onlineStatus>
    <URL><![CDATA[/legacy]]></URL>
  </httpPost>`;
  const v2x = `  <httpPostV2>
    <postUrlConf>
      <urlList type="list" count="${slots.length}" maxCount="3">
${slots.map(slotXml).join('\n')}
      </urlList>
    </postUrlConf>
  </httpPostV2>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<config version="1.7" xmlns="http://www.ipc.com/ver10">
${v1}
${v2 ? v2x : ''}
</config>
`;
}

const DEVICE_INFO = `<?xml version="1.0" encoding="UTF-8"?>
<config version="2.0.0" xmlns="http://www.ipc.com/ver10">
  <deviceInfo>
    <deviceName type="string"><![CDATA[Gate East]]></deviceName>
    <apiVersion type="string"><![CDATA[2.0.0]]></apiVersion>
    <softwareVersion type="string">
      <![CDATA[5.3.1.4242B250101.TEST]]>
    </softwareVersion>
    <model type="string"><![CDATA[TEST-IPC-4MP]]></model>
    <mac type="string"><![CDATA[58:5B:69:AA:00:07]]></mac>
    <sn type="string"><![CDATA[00421TESTSN7]]></sn>
    <alarmOutCount type="uint32">1</alarmOutCount>
  </deviceInfo>
</config>
`;

function applySet(body: string, slots: FakeSlot[]): FakeSlot[] {
  const p = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (n) => n === 'item' });
  const doc = p.parse(body);
  const items = doc.config?.httpPostV2?.postUrlConf?.urlList?.item;
  if (!Array.isArray(items)) return slots;
  return items.map((i: Record<string, any>) => ({
    urlId: Number(i.urlId),
    enabled: i.switch === 'true',
    domain: String(i.url.domain),
    port: Number(i.url.port),
    path: String(i.url.path),
    keepalive: Number(i.keepaliveTimeval),
    data: (i.subscribeDateType?.item ?? []).map(String),
    events: (i.subscriptionEvents?.item ?? []).map(String),
  }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export async function startFakeCamera(opts: FakeCameraOptions): Promise<FakeCamera> {
  const realm = 'IPCamera Login';
  const nonces = new Set<string>();
  const sockets = new Set<Socket>();
  const state: FakeCamera = {
    port: 0,
    slots: opts.slots ?? [],
    log: [],
    setBodies: [],
    digestOk: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const authorized = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? '';
    if (opts.auth === 'basic') {
      if (!h.startsWith('Basic ')) return false;
      return Buffer.from(h.slice(6), 'base64').toString('utf8') === `${opts.user}:${opts.password}`;
    }
    if (!h.startsWith('Digest ')) return false;
    const p = params(h.slice(7));
    if (p.username !== opts.user || p.realm !== realm || !p.nonce || !nonces.has(p.nonce) || p.qop !== 'auth') return false;
    if (p.uri !== req.url) return false;
    const ha1 = md5(`${opts.user}:${realm}:${opts.password}`);
    const ha2 = md5(`${req.method}:${p.uri}`);
    const expect = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    if (expect !== p.response) return false;
    state.digestOk += 1;
    return true;
  };

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (!authorized(req)) {
      const nonce = randomBytes(12).toString('hex');
      nonces.add(nonce);
      res.writeHead(401, {
        'www-authenticate':
          opts.auth === 'basic' ? `Basic realm="${realm}"` : `Digest realm="${realm}", qop="auth", nonce="${nonce}", opaque="0a1b"`,
        'content-type': 'text/html',
      });
      res.end('<html>401 Unauthorized</html>');
      return;
    }
    state.log.push({ path: req.url ?? '', method: req.method ?? '', body, authorization: req.headers.authorization });
    const xml = (s: string) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(s);
    };
    switch (req.url) {
      case '/GetDeviceInfo':
        return xml(DEVICE_INFO);
      case '/GetHttpPostConfig':
        return xml(httpPostConfigXml(state.slots, opts.v2 !== false));
      case '/SetHttpPostConfig':
        state.setBodies.push(body);
        if (opts.setAnswer) return xml(opts.setAnswer);
        if (!opts.ignoreSet) state.slots = applySet(body, state.slots);
        return xml('<?xml version="1.0" encoding="UTF-8"?>\n<config status="success"/>\n');
      default:
        return xml('<?xml version="1.0" encoding="utf-8" ?>\n<config status="failed" errorCode="1" errorDesc="Invalid Request"/>\n');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  return state;
}
