/**
 * Payload generators for every post family the simulator sends
 * (viewtron-protocol.md §1): IPC keepalive (A, B), alarm status (C), alarm
 * data in the httpPostV2 "E2" header style (with device identity), traject
 * (F), and NVR v2.0 keepalive / alarmStatus / alarmData (G, H, I).
 *
 * Pure string builders (templates, not a generic serializer: they run ~500
 * times a second in a soak). Product code: benchmarks and tests import them.
 */

export interface SimDevice {
  name: string;
  /** lowercase colon form for IPCs, uppercase for NVRs (as the devices send it) */
  mac: string;
  sn: string;
  ip: string;
}

export type TargetClass = 'person' | 'car' | 'motor';

/** A box on the 0..10000 grid. */
export interface SimBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface SimTarget {
  id: number;
  cls: TargetClass;
  box: SimBox;
}

export interface SimImage {
  width: number;
  height: number;
  base64: string;
  /** what the device claims in *Base64Length (the text length unless a placeholder) */
  length?: number;
}

export interface AlarmImages {
  source?: SimImage;
  target?: SimImage;
}

export type SmartStatus = 'SMART_START' | 'SMART_PROCEDURE' | 'SMART_STOP';
export interface Point {
  x: number;
  y: number;
}

export const NS = 'http://www.ipc.com/ver10';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function cdata(s: string): string {
  return `<![CDATA[${s.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** 16-digit Unix microseconds, as IPC and NVR put in currentTime. */
export function micros(ms: number, subMs = 0): string {
  return String(Math.floor(ms) * 1000 + (Math.floor(subMs) % 1000));
}

const IPC_CLASS_CODE: Record<TargetClass, number> = { person: 1, car: 2, motor: 4 };
const u = (name: string, v: number | string, type = 'uint32') => `<${name} type="${type}">${v}</${name}>`;
const rectIpc = (b: SimBox, ind: string) =>
  `${ind}<rect>\n${ind}    ${u('x1', b.x1)}${u('y1', b.y1)}\n${ind}    ${u('x2', b.x2)}${u('y2', b.y2)}\n${ind}</rect>`;
const rectNvr = (tag: string, b: SimBox, ind: string) =>
  `${ind}<${tag}>\n${ind}    <x1>${b.x1}</x1><y1>${b.y1}</y1>\n${ind}    <x2>${b.x2}</x2><y2>${b.y2}</y2>\n${ind}</${tag}>`;
const imgLen = (i: SimImage) => i.length ?? i.base64.length;

// ---------------------------------------------------------------- IPC (camera direct)

/** Family A (empty body) or B (`<DeviceInfo>` root, mixed-case names, no namespace). */
export function ipcKeepalive(dev: SimDevice, style: 'empty' | 'xml'): string {
  if (style === 'empty') return '';
  return `${DECL}<DeviceInfo>
    <DeviceName>${esc(dev.name)}</DeviceName>
    <DeviceNo.>1</DeviceNo.>
    <SN>${cdata(dev.sn)}</SN>
    <ipAddress>${dev.ip}</ipAddress>
    <macAddress>${dev.mac}</macAddress>
</DeviceInfo>
`;
}

/** The httpPostV2 "E2" enum block that precedes traject and smartData posts. */
const E2_TYPES = `    <types>
        <openAlramObj>
            <enum>MOTION</enum>
            <enum>SENSOR</enum>
            <enum>PEA</enum>
            <enum>AVD</enum>
            <enum>OSC</enum>
            <enum>CPC</enum>
            <enum>CDD</enum>
            <enum>IPD</enum>
            <enum>VFD</enum>
            <enum>VFD_MATCH</enum>
            <enum>VEHICE</enum>
            <enum>AOIENTRY</enum>
            <enum>AOILEAVE</enum>
            <enum>PASSLINECOUNT</enum>
            <enum>TRAFFIC</enum>
        </openAlramObj>
        <subscribeRelation>
            <enum>ALARM</enum>
            <enum>FEATURE_RESULT</enum>
            <enum>ALARM_FEATURE</enum>
        </subscribeRelation>
        <perStatus>
            <enum>SMART_NONE</enum>
            <enum>SMART_START</enum>
            <enum>SMART_STOP</enum>
            <enum>SMART_PROCEDURE</enum>
        </perStatus>
        <targetType>
            <enum>person</enum>
            <enum>car</enum>
            <enum>motor</enum>
        </targetType>
    </types>
`;

function e2Head(dev: SimDevice, timeUs: string, smartType?: string): string {
  return (
    `${DECL}<config version="1.7" xmlns="${NS}">\n${E2_TYPES}` +
    (smartType ? `    <smartType type="openAlramObj">${smartType}</smartType>\n` : '') +
    `    <subscribeOption type="subscribeRelation">FEATURE_RESULT</subscribeOption>
    <currentTime type="tint64">${timeUs}</currentTime>
    <mac type="string">${cdata(dev.mac)}</mac>
    <sn type="string">${cdata(dev.sn)}</sn>
    <deviceName type="string">${cdata(dev.name)}</deviceName>
`
  );
}

/** Family F: one traject post with every tracked target (no smartType, no images). */
export function ipcTraject(dev: SimDevice, timeUs: string, targets: readonly SimTarget[]): string {
  const items = targets
    .map(
      (t) => `        <item>
            ${u('targetId', t.id)}
            <point>${u('x', 0)}${u('y', 0)}</point>
${rectIpc(t.box, '            ')}
            ${u('velocity', 0)}
            ${u('direction', 0)}
            <targetType type="targetType">${t.cls}</targetType>
            <trajectlength type="list" count="0"/>
        </item>
`,
    )
    .join('');
  return `${e2Head(dev, timeUs)}    <traject type="list" count="${targets.length}">\n${items}    </traject>\n</config>\n`;
}

export type IpcAlarmField =
  | 'perimeterAlarm'
  | 'tripwireAlarm'
  | 'vehiceAlarm'
  | 'VFDAlarm'
  | 'motionAlarm'
  | 'sensorAlarm';

/** `dataTime` layouts seen on IPCs (device-local wall time, here rendered from UTC). */
export function dataTime(ms: number, layout: '24h' | '12h'): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const Y = d.getUTCFullYear();
  const M = p(d.getUTCMonth() + 1);
  const D = p(d.getUTCDate());
  if (layout === '24h') return `${Y}-${M}-${D} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  const h = d.getUTCHours() % 12 || 12;
  return `${M}-${D}-${Y} ${p(h)}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}

/** Family C: alarm status on/off. */
export function ipcAlarmStatus(dev: SimDevice, ms: number, field: IpcAlarmField, on: boolean, layout: '24h' | '12h' = '24h'): string {
  return `${DECL}<config version="1.7" xmlns="${NS}">
    <alarmStatusInfo>
        <${field} type="boolean" id="1">${on}</${field}>
    </alarmStatusInfo>
    <dataTime>${cdata(dataTime(ms, layout))}</dataTime>
    <deviceInfo>
        <deviceName>${cdata(dev.name)}</deviceName>
        <deviceNo.>${cdata('1')}</deviceNo.>
        <sn>${cdata(dev.sn)}</sn>
        <ipAddress>${cdata(dev.ip)}</ipAddress>
        <macAddress>${cdata(dev.mac)}</macAddress>
    </deviceInfo>
</config>
`;
}

function ipcSource(img: SimImage | undefined, ind = '    '): string {
  if (!img) return '';
  return `${ind}<sourceDataInfo>
${ind}    ${u('dataType', 0)}
${ind}    ${u('width', img.width)}
${ind}    ${u('height', img.height)}
${ind}    ${u('sourceBase64Length', imgLen(img))}
${ind}    <sourceBase64Data type="string">${cdata(img.base64)}</sourceBase64Data>
${ind}</sourceDataInfo>
`;
}

function ipcTargetImage(img: SimImage | undefined, cls: TargetClass, ind: string): string {
  if (!img) return '';
  return `${ind}<targetImageData>
${ind}    ${u('dataType', 0)}
${ind}    ${u('targetType', IPC_CLASS_CODE[cls])}
${ind}    ${u('Width', img.width, 'tuint32')}
${ind}    ${u('Height', img.height, 'tuint32')}
${ind}    ${u('targetBase64Length', imgLen(img))}
${ind}    <targetBase64Data type="string">${cdata(img.base64)}</targetBase64Data>
${ind}</targetImageData>
`;
}

/** listInfo with one target (id, rect, optional crop). */
function ipcListInfo(t: SimTarget, img: SimImage | undefined, typed = true): string {
  return `    <listInfo${typed ? ' type="list"' : ''} count="1">
        <item>
            ${u('targetId', t.id, 'tuint32')}
${rectIpc(t.box, '            ')}
${ipcTargetImage(img, t.cls, '            ')}        </item>
    </listInfo>
`;
}

const relTime = (ms: number) => `    <relativeTime type="tint64">${(Math.floor(ms) % 1_000_000_000) * 100}</relativeTime>\n`;

export interface PerimeterEvent {
  eventId: number;
  target: SimTarget;
  status: SmartStatus;
  boundary: readonly Point[];
}

function perimeterLike(dev: SimDevice, ms: number, timeUs: string, smartType: 'PEA' | 'LOITER', ev: PerimeterEvent, images: AlarmImages): string {
  const pts = ev.boundary.map((p) => `<item><point>${u('x', p.x)}${u('y', p.y)}</point></item>`).join('\n                    ');
  const loiter = smartType === 'LOITER';
  return `${e2Head(dev, timeUs, smartType)}    <perimeter>
        <perInfo type="list" count="1">
            <item>
                ${u('eventId', ev.eventId)}
                ${u('targetId', ev.target.id)}
                <status type="perStatus">${ev.status}</status>
                <boundary type="list" count="${ev.boundary.length}">
                    ${pts}
                </boundary>
${rectIpc(ev.target.box, '                ')}
            </item>
        </perInfo>
    </perimeter>
${ipcSource(images.source)}${ipcListInfo(ev.target, images.target, !loiter)}${loiter ? '' : relTime(ms)}</config>
`;
}

/** Family E, PEA intrusion: perimeter/perInfo + optional overview + listInfo. */
export function ipcPerimeter(dev: SimDevice, ms: number, timeUs: string, ev: PerimeterEvent, images: AlarmImages): string {
  return perimeterLike(dev, ms, timeUs, 'PEA', ev, images);
}

/** Family E, LOITER (shape of the vendor's application page: perimeter/perInfo + overview + listInfo without type). */
export function ipcLoiter(dev: SimDevice, ms: number, timeUs: string, ev: PerimeterEvent, images: AlarmImages): string {
  return perimeterLike(dev, ms, timeUs, 'LOITER', ev, images);
}

export interface TripwireEvent {
  eventId: number;
  target: SimTarget;
  status: SmartStatus;
  line: { start: Point; end: Point };
}

/** Family E, PEA line crossing: tripwire/tripInfo with line/startPoint/endPoint. */
export function ipcTripwire(dev: SimDevice, ms: number, timeUs: string, ev: TripwireEvent, images: AlarmImages): string {
  const pt = (tag: string, p: Point) => `<${tag}>${u('x', p.x)}${u('y', p.y)}</${tag}>`;
  return `${e2Head(dev, timeUs, 'PEA')}    <tripwire>
        <tripInfo type="list" count="1">
            <item>
                ${u('eventId', ev.eventId)}
                ${u('targetId', ev.target.id)}
                <status type="perStatus">${ev.status}</status>
                <line>
                    ${pt('startPoint', ev.line.start)}
                    ${pt('endPoint', ev.line.end)}
                </line>
${rectIpc(ev.target.box, '                ')}
            </item>
        </tripInfo>
    </tripwire>
${ipcSource(images.source)}${ipcListInfo(ev.target, images.target)}${relTime(ms)}</config>
`;
}

export type PlateList = 'whiteList' | 'blackList' | 'temporaryList';
export interface LprEvent {
  target: SimTarget;
  plate: string;
  /** omitted when the plate is not in any list */
  list?: PlateList;
}

/**
 * Family E, VEHICE: listInfo count=2, item[0] = overview only, item[1] = plate +
 * list + plate crop; plus sourceDataInfo. `images.target` is the plate crop.
 */
export function ipcLpr(dev: SimDevice, ms: number, timeUs: string, ev: LprEvent, images: AlarmImages): string {
  const overview = images.source ? `        <item>\n${ipcTargetImage(images.source, 'car', '            ')}        </item>\n` : '        <item/>\n';
  return `${e2Head(dev, timeUs, 'VEHICE')}    <listInfo type="list" count="2">
${overview}        <item>
            <plateNumber type="string">${cdata(ev.plate)}</plateNumber>
${ev.list ? `            <vehicleListType type="string">${ev.list}</vehicleListType>\n` : ''}${ipcTargetImage(images.target, 'car', '            ')}        </item>
    </listInfo>
${ipcSource(images.source)}${relTime(ms)}</config>
`;
}

/** Family E, VFD face detection: overview + listInfo with the face crop; no attributes on IPC. */
export function ipcFace(dev: SimDevice, ms: number, timeUs: string, target: SimTarget, images: AlarmImages): string {
  return `${e2Head(dev, timeUs, 'VFD')}${ipcSource(images.source)}${ipcListInfo(target, images.target)}${relTime(ms)}</config>\n`;
}

/** Family E, AOIENTRY / AOILEAVE: overview + listInfo, no zone block. */
export function ipcZone(dev: SimDevice, ms: number, timeUs: string, kind: 'AOIENTRY' | 'AOILEAVE', target: SimTarget, images: AlarmImages): string {
  return `${e2Head(dev, timeUs, kind)}${ipcSource(images.source)}${ipcListInfo(target, images.target)}${relTime(ms)}</config>\n`;
}

// ---------------------------------------------------------------- NVR v2.0

export interface NvrDevice extends SimDevice {}

function nvrHead(nvr: NvrDevice, type: string, channel?: number): string {
  return `${DECL}<config version="2.0.0" xmlns="${NS}">
    <messageType>${type}</messageType>
    <deviceInfo>
        <deviceName>${cdata(nvr.name)}</deviceName>
        <ip>${cdata(nvr.ip)}</ip>
        <mac>${cdata(nvr.mac)}</mac>
${channel !== undefined ? `        <channelId>${channel}</channelId>\n` : ''}    </deviceInfo>
`;
}

/** Family G: NVR keepalive (no channelId, no currentTime). */
export function nvrKeepalive(nvr: NvrDevice): string {
  return `${nvrHead(nvr, 'keepalive')}</config>\n`;
}

export type NvrAlarmField = 'perimeterAlarm' | 'passlineAlarm' | 'vfdAlarm' | 'motionAlarm' | 'chlOfflineAlarm';

/** Family H: NVR alarmStatus; the value sits in item id=rule (whole-second currentTime). */
export function nvrAlarmStatus(nvr: NvrDevice, channel: number, ms: number, field: NvrAlarmField, on: boolean, rule = 1): string {
  return `${nvrHead(nvr, 'alarmStatus', channel)}    <currentTime>${Math.floor(ms / 1000) * 1_000_000}</currentTime>
    <alarmStatusInfo>
        <${field}><item id="${rule}">${on}</item></${field}>
    </alarmStatusInfo>
</config>
`;
}

function nvrSource(img: SimImage | undefined): string {
  if (!img) return '';
  return `    <sourceDataInfo>
        <dataType>0</dataType>
        <width>${img.width}</width>
        <height>${img.height}</height>
        <sourceBase64Length>${imgLen(img)}</sourceBase64Length>
        <sourceBase64Data>${img.base64}</sourceBase64Data>
    </sourceDataInfo>
`;
}

function nvrTargetImage(img: SimImage | undefined, ind: string): string {
  if (!img) return '';
  return `${ind}<targetImageData>
${ind}    <dataType>0</dataType>
${ind}    <width>${img.width}</width>
${ind}    <height>${img.height}</height>
${ind}    <targetBase64Length>${imgLen(img)}</targetBase64Length>
${ind}    <targetBase64Data>${img.base64}</targetBase64Data>
${ind}</targetImageData>
`;
}

export type NvrEventInfoType = 'regionIntrusion' | 'lineCrossing' | 'targetCountingByLine' | 'targetCountingByArea' | 'videoMetadata';

export interface NvrAreaEvent {
  eventId: number;
  target: SimTarget;
  /** polygon for area types, line for tripwire types */
  area?: readonly Point[];
  line?: { start: Point; end: Point };
}

/** Family I, eventInfo + sourceDataInfo + targetListInfo (targetListInfo even without images). */
export function nvrEventInfo(nvr: NvrDevice, channel: number, timeUs: string, type: NvrEventInfoType, ev: NvrAreaEvent, images: AlarmImages): string {
  const tripwire = type === 'lineCrossing' || type === 'targetCountingByLine';
  const shape = tripwire
    ? `            <boundary>tripwire</boundary>
            <directionLine>
                <startPoint><x>${ev.line?.start.x ?? 5000}</x><y>${ev.line?.start.y ?? 1000}</y></startPoint>
                <endPoint><x>${ev.line?.end.x ?? 5000}</x><y>${ev.line?.end.y ?? 9000}</y></endPoint>
            </directionLine>
`
    : `            <boundary>area</boundary>
            <pointGroup>
${(ev.area ?? []).map((p) => `                <item><x>${p.x}</x><y>${p.y}</y></item>`).join('\n')}
            </pointGroup>
`;
  const rect = type === 'targetCountingByLine' ? { x1: 0, y1: 0, x2: 0, y2: 0 } : ev.target.box;
  return `${nvrHead(nvr, 'alarmData', channel)}    <smartType>${type}</smartType>
    <currentTime>${timeUs}</currentTime>
    <eventInfo>
        <item>
            <eventId>${ev.eventId}</eventId>
            <targetId>${ev.target.id}</targetId>
${shape}${rectNvr('rect', rect, '            ')}
        </item>
    </eventInfo>
${nvrSource(images.source)}    <targetListInfo>
        <item>
            <targetId>${ev.target.id}</targetId>
            <targetType>${ev.target.cls}</targetType>
${nvrTargetImage(images.target, '            ')}        </item>
    </targetListInfo>
</config>
`;
}

export interface NvrVehicleEvent {
  target: SimTarget;
  /** plate box in pixel-like units (as the NVR sends it) */
  plateRect: SimBox;
  plate: string;
  plateColor: string;
  car: { type: string; color: string; brand: string; model: string };
  group?: string;
}

/** Family I, vehicle: licensePlateListInfo (no eventInfo, no targetListInfo); overview size 0x0 like the firmware. */
export function nvrVehicle(nvr: NvrDevice, channel: number, timeUs: string, ev: NvrVehicleEvent, images: AlarmImages): string {
  const src = images.source ? nvrSource({ ...images.source, width: 0, height: 0 }) : '';
  return `${nvrHead(nvr, 'alarmData', channel)}    <smartType>vehicle</smartType>
    <currentTime>${timeUs}</currentTime>
${src}    <licensePlateListInfo>
        <item>
            <targetId>${ev.target.id}</targetId>
${rectNvr('rect', ev.plateRect, '            ')}
            <licensePlateAttribute>
                <licensePlateNumber>${cdata(ev.plate)}</licensePlateNumber>
                <color>${ev.plateColor}</color>
            </licensePlateAttribute>
${ev.group ? `            <licensePlateMatchInfo>\n                <groupName>${cdata(ev.group)}</groupName>\n            </licensePlateMatchInfo>\n` : ''}${rectNvr('carRect', { x1: 1, y1: 0, x2: 1, y2: 0 }, '            ')}
            <carAttribute>
                <carType>${cdata(ev.car.type)}</carType>
                <color>${cdata(ev.car.color)}</color>
                <brand>${cdata(ev.car.brand)}</brand>
                <model>${cdata(ev.car.model)}</model>
            </carAttribute>
${nvrTargetImage(images.target, '            ')}        </item>
    </licensePlateListInfo>
</config>
`;
}

export interface NvrFaceEvent {
  target: SimTarget;
  faceRect: SimBox;
  age: string;
  sex: string;
  glasses: string;
  mask: string;
}

/** Family I, videoFaceDetect: faceListInfo with attributes and the face crop. */
export function nvrFace(nvr: NvrDevice, channel: number, timeUs: string, ev: NvrFaceEvent, images: AlarmImages): string {
  return `${nvrHead(nvr, 'alarmData', channel)}    <smartType>videoFaceDetect</smartType>
    <currentTime>${timeUs}</currentTime>
${nvrSource(images.source)}    <faceListInfo>
        <item>
            <targetId>${ev.target.id}</targetId>
${rectNvr('rect', ev.faceRect, '            ')}
            <age>${ev.age}</age>
            <sex>${ev.sex}</sex>
            <glasses>${ev.glasses}</glasses>
            <mask>${ev.mask}</mask>
${nvrTargetImage(images.target, '            ')}        </item>
    </faceListInfo>
</config>
`;
}

// ---------------------------------------------------------------- identities

/** IPC number i (1-based): `58:5b:69:00:00:01`, serial, 'sim-cam-1', a LAN address. */
export function simCamera(i: number): SimDevice {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    name: `sim-cam-${i}`,
    mac: `58:5b:69:00:${hex((i >> 8) & 0xff)}:${hex(i & 0xff)}`,
    sn: `SIMC${String(i).padStart(8, '0')}`,
    ip: `192.168.${50 + ((i >> 8) & 0x7f)}.${i & 0xff}`,
  };
}

/** The simulated NVR (uppercase MAC, as NVRs send it). */
export function simNvr(i = 1): NvrDevice {
  const hex = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();
  return { name: `sim-nvr-${i}`, mac: `58:5B:69:F0:${hex((i >> 8) & 0xff)}:${hex(i & 0xff)}`, sn: `SIMN${String(i).padStart(8, '0')}`, ip: `192.168.49.${i & 0xff}` };
}
