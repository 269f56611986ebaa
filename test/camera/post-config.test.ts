import { describe, expect, it } from 'vitest';
import { parseDeviceInfo } from '../../src/camera/device-info.js';
import { chooseSlot, diffSlot, mismatches, parseHttpPostConfig, planSubscription } from '../../src/camera/post-config.js';

// Modelled on the vendor's GetHttpPostConfig answer (own values): whitespace round CDATA,
// an <itemType> descriptor in the list, and a credential block we do not model.
const CONFIG = `<?xml version="1.0" encoding="UTF-8"?>
<config version="1.7" xmlns="http://www.ipc.com/ver10">
  <httpPost>
    <bSwitch type="boolean">true</bSwitch>
    <serverIp>
      <![CDATA[10.9.8.7]]>
    </serverIp>
    <serverPort>8081</serverPort>
    <keepaliveTimeval>45</keepaliveTimeval>
    <onlineStatus type="boolean">true</onlineStatus>
    <URL><![CDATA[/v1in]]></URL>
  </httpPost>
  <httpPostV2>
    <postUrlConf>
      <urlList type="list" count="2" maxCount="3">
        <itemType/>
        <item>
          <urlId>1</urlId>
          <switch>true</switch>
          <url>
            <protocol>http</protocol>
            <domain><![CDATA[nvr-bridge.lan]]></domain>
            <port>5002</port>
            <path><![CDATA[/API]]></path>
            <authentication>basic</authentication>
            <userName><![CDATA[bridge]]></userName>
          </url>
          <heatBeatSwitch>true</heatBeatSwitch>
          <keepaliveTimeval>90</keepaliveTimeval>
          <subscribeDateType type="list" count="1"><item>smartData</item></subscribeDateType>
          <subscriptionEvents type="list" count="1"><item>LOITER</item></subscriptionEvents>
        </item>
        <item>
          <urlId>2</urlId>
          <switch>false</switch>
          <url>
            <protocol>http</protocol>
            <domain><![CDATA[0.0.0.0]]></domain>
            <port>80</port>
            <path><![CDATA[/]]></path>
            <authentication>none</authentication>
          </url>
          <heatBeatSwitch>false</heatBeatSwitch>
          <keepaliveTimeval>30</keepaliveTimeval>
          <subscribeDateType type="list" count="0"/>
          <subscriptionEvents type="list" count="0"/>
        </item>
      </urlList>
    </postUrlConf>
  </httpPostV2>
</config>
`;

const req = (extra: Partial<Parameters<typeof planSubscription>[1]> = {}) => ({
  url: new URL('http://192.168.1.5:8080/API'),
  dataTypes: ['traject', 'alarmStatus'],
  keepaliveS: 30,
  ...extra,
});

describe('GetHttpPostConfig parsing', () => {
  it('reads both blocks, trims CDATA with whitespace, handles one-item and empty lists', () => {
    const c = parseHttpPostConfig(CONFIG);
    expect(c.v1).toEqual({ enabled: true, protocolType: undefined, serverIp: '10.9.8.7', serverPort: 8081, keepaliveS: 45, onlineStatus: true, url: '/v1in' });
    expect(c.v2!.maxCount).toBe(3);
    expect(c.v2!.slots.map((s) => s.urlId)).toEqual([1, 2]);
    expect(c.v2!.slots[0]).toMatchObject({ domain: 'nvr-bridge.lan', port: 5002, dataTypes: ['smartData'], events: ['LOITER'], authentication: 'basic' });
    expect(c.v2!.slots[1]).toMatchObject({ enabled: false, dataTypes: [], events: [] });
  });

  it('a failed status becomes an error with the errorCode', () => {
    expect(() => parseHttpPostConfig('<config status="failed" errorCode="5" errorDesc="No Permission"/>')).toThrow(/errorCode 5 \(No Permission\)/);
  });
});

describe('planSubscription', () => {
  it('takes the first free slot (switched off / 0.0.0.0), keeps slot 1 byte-for-byte in meaning, drops <itemType>', () => {
    const c = parseHttpPostConfig(CONFIG);
    const plan = planSubscription(c, req());
    expect(plan.slotId).toBe(2);
    expect(plan.body).not.toContain('itemType');
    expect(plan.body).not.toContain('maxCount');
    const back = parseHttpPostConfig(plan.body);
    const [one, two] = back.v2!.slots;
    expect(one).toEqual(c.v2!.slots[0]);
    expect(plan.body).toContain('<userName><![CDATA[bridge]]></userName>'); // unmodelled fields survive
    expect(two).toMatchObject({ enabled: true, domain: '192.168.1.5', port: 8080, path: '/API', dataTypes: ['traject', 'alarmStatus'], events: ['ALL'], heartbeat: true });
    expect(mismatches(plan.after, two)).toEqual([]);
  });

  it('re-uses the slot already posting to the same URL, and an explicit --slot wins', () => {
    const c = parseHttpPostConfig(CONFIG);
    expect(chooseSlot(c, req({ url: new URL('http://nvr-bridge.lan:5002/API') }))).toBe(1);
    expect(chooseSlot(c, req({ slot: 3 }))).toBe(3);
    expect(() => chooseSlot(c, req({ slot: 4 }))).toThrow(/--slot must be 1..3/);
  });

  it('refuses when all three slots are in use, naming them', () => {
    const full = CONFIG.replace('<switch>false</switch>', '<switch>true</switch>').replace('<![CDATA[0.0.0.0]]>', '<![CDATA[vms.lan]]>').replace(
      '</urlList>',
      `<item><urlId>3</urlId><switch>true</switch><url><protocol>http</protocol><domain><![CDATA[cloud.lan]]></domain><port>80</port><path><![CDATA[/x]]></path><authentication>none</authentication></url><heatBeatSwitch>true</heatBeatSwitch><keepaliveTimeval>30</keepaliveTimeval><subscribeDateType type="list" count="1"><item>smartData</item></subscribeDateType><subscriptionEvents type="list" count="1"><item>ALL</item></subscriptionEvents></item></urlList>`,
    );
    expect(() => planSubscription(parseHttpPostConfig(full), req())).toThrow(/all 3 httpPostV2 slots are in use .*vms\.lan.*--slot/);
  });

  it('diffSlot lists exactly the changed fields', () => {
    const c = parseHttpPostConfig(CONFIG);
    const plan = planSubscription(c, req({ url: new URL('http://nvr-bridge.lan:5002/API'), dataTypes: ['smartData', 'traject'] }));
    expect(diffSlot(plan.before, plan.after)).toEqual(['keepalive: 90s -> 30s', 'data: smartData -> smartData,traject']);
  });

  it('https URLs default to port 443; query strings stay in the path', () => {
    const plan = planSubscription(parseHttpPostConfig(CONFIG), req({ url: new URL('https://relay.example/API?site=3') }));
    expect(plan.after).toMatchObject({ protocol: 'https', port: 443, path: '/API?site=3' });
  });
});

describe('GetDeviceInfo parsing', () => {
  it('keeps text values as text and lowercases the MAC; v1.x has no apiVersion', () => {
    const info = parseDeviceInfo(`<?xml version="1.0" encoding="UTF-8"?>
<config version="1.0" xmlns="http://www.ipc.com/ver10"><deviceInfo>
<deviceName type="string"><![CDATA[0042]]></deviceName><model type="string"><![CDATA[M-1]]></model>
<softwareVersion type="string"><![CDATA[4.1.0]]></softwareVersion>
<mac type="string"><![CDATA[00:18:AE:01:02:03]]></mac><sn type="string"><![CDATA[0007SN]]></sn>
</deviceInfo></config>`);
    expect(info).toEqual({ name: '0042', model: 'M-1', mac: '00:18:ae:01:02:03', sn: '0007SN', firmware: '4.1.0', apiVersion: undefined, configVersion: '1.0' });
  });
});
