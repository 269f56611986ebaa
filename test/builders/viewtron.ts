/**
 * Payload builders for every Viewtron push family (protocol §1), written from
 * the digest, not copied from vendor files. Shared by unit, end-to-end tests
 * and the benchmark. Every builder returns the XML text; wrap it with
 * `Buffer.from(xml)` (or `body(xml)`) to post it.
 *
 * Common options:
 * - `declaration` (default true): prepend `<?xml version="1.0" encoding="UTF-8"?>`
 * - `macCase` 'lower' | 'upper' (default per dialect: IPC lower, NVR upper)
 * - `images` 'jpeg' (tiny real JPEGs) | 'placeholder' (vendor-style `BASE64_JPEG_*`) | 'none'
 * - `currentTimeUs`: the `currentTime` text (string or bigint/number of µs)
 */

export type Cls = 'person' | 'car' | 'motor' | string;
export type Rect = [number, number, number, number];

export interface BuilderTarget {
  id: string | number;
  cls?: Cls;
  rect?: Rect;
}

export type ImageMode = 'jpeg' | 'placeholder' | 'none';

interface Common {
  declaration?: boolean;
  macCase?: 'lower' | 'upper';
}

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://www.ipc.com/ver10"';

export const DEFAULT_IPC_MAC = '58:5b:69:5a:84:bb';
export const DEFAULT_NVR_MAC = '58:5B:69:40:F4:0D';
/** 2026-03-29T13:58:21.902505Z */
export const DEFAULT_TIME_US = '1774792701902505';

/** `Buffer.from(xml)`. */
export function body(xml: string): Buffer {
  return Buffer.from(xml, 'utf8');
}

function decl(o: Common): string {
  return o.declaration === false ? '' : DECL;
}

function cdata(s: string): string {
  return `<![CDATA[${s}]]>`;
}

function mac(m: string, c: 'lower' | 'upper' | undefined, dflt: 'lower' | 'upper'): string {
  return (c ?? dflt) === 'upper' ? m.toUpperCase() : m.toLowerCase();
}

const CLS_NUM: Record<string, string> = { person: '1', car: '2', motor: '4' };

/** IPC alarm posts use numeric classes (1/2/4); unknown strings pass through. */
export function ipcClassNumber(cls: Cls | undefined): string {
  return CLS_NUM[cls ?? 'person'] ?? String(cls);
}

function rectXml(r: Rect, typed: boolean): string {
  const t = typed ? ' type="uint32"' : '';
  return `<rect><x1${t}>${r[0]}</x1><y1${t}>${r[1]}</y1><x2${t}>${r[2]}</x2><y2${t}>${r[3]}</y2></rect>`;
}

// ------------------------------------------------------------------ JPEG

/**
 * A real, decodable baseline greyscale JPEG of w×h (flat grey), as base64.
 * Every 8×8 block is coded as "DC diff 0, EOB" with one-symbol Huffman tables.
 */
export function tinyJpeg(w = 8, h = 8): Buffer {
  const seg = (marker: number, payload: number[]): number[] => {
    const len = payload.length + 2;
    return [0xff, marker, len >> 8, len & 0xff, ...payload];
  };
  const app0 = seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const dqt = seg(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  const sof = seg(0xc0, [8, h >> 8, h & 0xff, w >> 8, w & 0xff, 1, 1, 0x11, 0]);
  const counts = [1, ...new Array<number>(15).fill(0)];
  const dhtDc = seg(0xc4, [0x00, ...counts, 0x00]);
  const dhtAc = seg(0xc4, [0x10, ...counts, 0x00]);
  const sos = seg(0xda, [1, 1, 0x00, 0, 63, 0]);
  const blocks = Math.ceil(w / 8) * Math.ceil(h / 8);
  const bits = blocks * 2; // "0" (DC size 0) + "0" (EOB) per block
  const scan = new Array<number>(Math.ceil(bits / 8)).fill(0);
  const pad = scan.length * 8 - bits;
  if (pad > 0) scan[scan.length - 1] = (1 << pad) - 1;
  return Buffer.from([0xff, 0xd8, ...app0, ...dqt, ...sof, ...dhtDc, ...dhtAc, ...sos, ...scan, 0xff, 0xd9]);
}

/** `tinyJpeg(w, h)` as base64: a valid image for posts. */
export function tinyJpegBase64(w = 8, h = 8): string {
  return tinyJpeg(w, h).toString('base64');
}

function imageData(mode: ImageMode, placeholder: string, w: number, h: number): string | undefined {
  if (mode === 'none') return undefined;
  return mode === 'jpeg' ? tinyJpegBase64(w, h) : placeholder;
}

function ipcSourceInfo(mode: ImageMode, w = 64, h = 36): string {
  const data = imageData(mode, 'BASE64_JPEG_OVERVIEW_IMAGE', w, h);
  if (data === undefined) return '';
  return (
    `<sourceDataInfo><dataType type="uint32">0</dataType><width type="uint32">${w}</width><height type="uint32">${h}</height>` +
    `<sourceBase64Length type="uint32">${data.length}</sourceBase64Length><sourceBase64Data type="string">${cdata(data)}</sourceBase64Data></sourceDataInfo>`
  );
}

function ipcTargetImage(mode: ImageMode, cls: Cls | undefined, placeholder: string, w: number, h: number): string {
  const data = imageData(mode, placeholder, w, h);
  if (data === undefined) return '';
  return (
    `<targetImageData><dataType type="uint32">0</dataType><targetType type="uint32">${ipcClassNumber(cls)}</targetType>` +
    `<Width type="tuint32">${w}</Width><Height type="tuint32">${h}</Height>` +
    `<targetBase64Length type="uint32">${data.length}</targetBase64Length><targetBase64Data type="string">${cdata(data)}</targetBase64Data></targetImageData>`
  );
}

function nvrSourceInfo(mode: ImageMode, w = 64, h = 36, declared: [number, number] = [w, h]): string {
  const data = imageData(mode, 'BASE64_JPEG_OVERVIEW_IMAGE', w, h);
  if (data === undefined) return '';
  return `<sourceDataInfo><dataType>0</dataType><width>${declared[0]}</width><height>${declared[1]}</height><sourceBase64Length>${data.length}</sourceBase64Length><sourceBase64Data>${data}</sourceBase64Data></sourceDataInfo>`;
}

function nvrTargetImage(mode: ImageMode, placeholder: string, w: number, h: number): string {
  const data = imageData(mode, placeholder, w, h);
  if (data === undefined) return '';
  return `<targetImageData><dataType>0</dataType><width>${w}</width><height>${h}</height><targetBase64Length>${data.length}</targetBase64Length><targetBase64Data>${data}</targetBase64Data></targetImageData>`;
}

// ------------------------------------------------------------------ IPC keepalive (A, B)

/** Family A: the empty-body httpPostV2 keepalive. */
export function ipcKeepaliveEmpty(): Buffer {
  return Buffer.alloc(0);
}

export interface IpcKeepaliveOptions extends Common {
  mac?: string;
  serial?: string;
  name?: string;
  ip?: string;
}

/** Family B: `<DeviceInfo>` keepalive (PascalCase DeviceName/DeviceNo./SN, camelCase ipAddress/macAddress). */
export function ipcKeepaliveXml(o: IpcKeepaliveOptions = {}): string {
  return (
    decl(o) +
    `<DeviceInfo><DeviceName>${o.name ?? 'Device Name'}</DeviceName><DeviceNo.>1</DeviceNo.>` +
    `<SN>${cdata(o.serial ?? 'NF40D099BCM0')}</SN><ipAddress>${o.ip ?? '192.168.1.192'}</ipAddress>` +
    `<macAddress>${mac(o.mac ?? DEFAULT_IPC_MAC, o.macCase, 'lower')}</macAddress></DeviceInfo>\n`
  );
}

// ------------------------------------------------------------------ IPC alarm status (C, D)

export interface StatusField {
  field: string;
  id?: string | number;
  active: boolean;
}

export interface IpcAlarmStatusOptions extends Common {
  /** default [{ field: 'perimeterAlarm', id: 1, active: true }] */
  fields?: StatusField[];
  /** shortcut for a single field */
  field?: string;
  active?: boolean;
  /** default `2026-03-29 09:58:21`; pass the 12-hour layout `11-19-2025 12:15:11 PM` to test it */
  dataTime?: string;
  mac?: string;
  serial?: string;
  name?: string;
  ip?: string;
  /**
   * family D: version 1.0, dashed uppercase MAC, no XML declaration
   * (post it to `/SendAlarmStatus`)
   */
  legacy?: boolean;
}

/** Family C (or D with `legacy: true`): IPC alarm status on/off post. */
export function ipcAlarmStatus(o: IpcAlarmStatusOptions = {}): string {
  const fields = o.fields ?? [{ field: o.field ?? 'perimeterAlarm', id: 1, active: o.active ?? true }];
  const legacy = o.legacy === true;
  let m = mac(o.mac ?? DEFAULT_IPC_MAC, o.macCase, legacy ? 'upper' : 'lower');
  if (legacy) m = m.replace(/:/g, '-');
  const states = fields
    .map((f) => `<${f.field} type="boolean"${f.id !== undefined ? ` id="${f.id}"` : ''}>${f.active}</${f.field}>`)
    .join('');
  const d = legacy ? (o.declaration === true ? DECL : '') : decl(o);
  return (
    d +
    `<config version="${legacy ? '1.0' : '1.7'}" ${NS}><alarmStatusInfo>${states}</alarmStatusInfo>` +
    `<dataTime>${cdata(o.dataTime ?? (legacy ? '2017-06-20 10:30:21' : '2026-03-29 09:58:21'))}</dataTime>` +
    `<deviceInfo><deviceName>${cdata(o.name ?? 'Viewtron IPC')}</deviceName><deviceNo.>${cdata('1')}</deviceNo.>` +
    `<sn>${cdata(o.serial ?? 'I84BB0A8D59C')}</sn><ipAddress>${cdata(o.ip ?? '192.168.1.57')}</ipAddress>` +
    `<macAddress>${cdata(m)}</macAddress></deviceInfo></config>\n`
  );
}

// ------------------------------------------------------------------ IPC traject (F)

export interface IpcTrajectOptions extends Common {
  mac?: string;
  serial?: string;
  name?: string;
  currentTimeUs?: string | number | bigint;
  /** default one person, id 2157 */
  targets?: BuilderTarget[];
  /** write `count` before `type` on the traject list (breaks the SDK's substring test) */
  countFirst?: boolean;
}

/** Family F: IPC traject post (E2-style header, string target classes, no smartType). */
export function ipcTraject(o: IpcTrajectOptions = {}): string {
  const targets = o.targets ?? [{ id: 2157, cls: 'person', rect: [4000, 2000, 5000, 9000] }];
  const list = targets
    .map((t) => {
      const r = t.rect ?? [1000, 1000, 2000, 4000];
      return (
        `<item><targetId type="uint32">${t.id}</targetId><point><x type="uint32">0</x><y type="uint32">0</y></point>` +
        rectXml(r, true) +
        `<velocity type="uint32">0</velocity><direction type="uint32">0</direction>` +
        `<targetType type="targetType">${t.cls ?? 'person'}</targetType><trajectlength type="list" count="0"/></item>`
      );
    })
    .join('');
  const attrs = o.countFirst ? `count="${targets.length}" type="list"` : `type="list" count="${targets.length}"`;
  return (
    decl(o) +
    `<config version="1.7" ${NS}>` +
    e2Types() +
    `<subscribeOption type="subscribeRelation">FEATURE_RESULT</subscribeOption>` +
    `<currentTime type="tint64">${String(o.currentTimeUs ?? DEFAULT_TIME_US)}</currentTime>` +
    `<mac type="string">${cdata(mac(o.mac ?? DEFAULT_IPC_MAC, o.macCase, 'lower'))}</mac>` +
    `<sn type="string">${cdata(o.serial ?? 'I421B0Z1173Q')}</sn>` +
    `<deviceName type="string">${cdata(o.name ?? 'FaceCam')}</deviceName>` +
    `<traject ${attrs}>${list}</traject></config>\n`
  );
}

function e2Types(): string {
  const en = (xs: string[]) => xs.map((x) => `<enum>${x}</enum>`).join('');
  return (
    `<types><openAlramObj>${en(['MOTION', 'SENSOR', 'PEA', 'AOIENTRY', 'AOILEAVE'])}</openAlramObj>` +
    `<subscribeRelation>${en(['ALARM', 'FEATURE_RESULT', 'ALARM_FEATURE'])}</subscribeRelation>` +
    `<perStatus>${en(['SMART_NONE', 'SMART_START', 'SMART_STOP', 'SMART_PROCEDURE'])}</perStatus>` +
    `<targetType>${en(['person', 'car', 'motor'])}</targetType></types>`
  );
}

// ------------------------------------------------------------------ IPC alarm data (E)

export interface IpcAlarmOptions extends Common {
  /** VEHICE, VEHICLE, VFD, VFD_MATCH, PEA, AOIENTRY, AOILEAVE, LOITER, PVD, VSD, PASSLINECOUNT, TRAFFIC, MOTION, or any code */
  smartType: string;
  /** E1 (LongPolling style, no identity), E2 (httpPostV2 capture, identity + relativeTime), E3 (abridged) */
  style?: 'E1' | 'E2' | 'E3';
  /** PEA only: intrusion (`perimeter`, default) or line crossing (`tripwire`) */
  pea?: 'perimeter' | 'tripwire';
  /** tripwire line shape: `line/startPoint` (default), bare `startPoint`, or `lineInfo` */
  lineShape?: 'line' | 'bare' | 'lineInfo';
  targets?: BuilderTarget[];
  eventId?: string | number;
  /** SMART_START (default), SMART_PROCEDURE, SMART_STOP */
  status?: string;
  currentTimeUs?: string | number | bigint;
  images?: ImageMode;
  /** LPR */
  plate?: string;
  /** LPR `vehicleListType`; omitted when undefined */
  plateList?: string;
  plateColor?: string;
  /** E2 identity */
  mac?: string;
  serial?: string;
  name?: string;
}

/** Family E: IPC alarm data for any smartType, in any of the three header styles. */
export function ipcAlarm(o: IpcAlarmOptions): string {
  const style = o.style ?? 'E1';
  const images = o.images ?? 'placeholder';
  const targets = o.targets ?? [{ id: 20, cls: o.smartType.startsWith('VEHIC') ? 'car' : 'person', rect: [113, 0, 5511, 8472] }];
  const t0 = targets[0];
  const time = String(o.currentTimeUs ?? DEFAULT_TIME_US);
  const statusType = style === 'E2' ? 'perStatus' : 'smartStatus';
  let head = '';
  if (style === 'E1') {
    head =
      `<smartType type="openAlramObj">${o.smartType}</smartType>` +
      `<subscribeRelation type="subscribeOption">FEATURE_RESULT</subscribeRelation>` +
      `<currentTime type="tint64">${time}</currentTime>` +
      `<types><openAlramObj type="string">VEHICE,VFD_MATCH,PEA,VFD,VSD,AOIENTRY,AOILEAVE,PASSLINECOUNT,TRAFFIC</openAlramObj><targetType type="string">1,2,4</targetType></types>`;
  } else if (style === 'E2') {
    head =
      e2Types() +
      `<smartType type="openAlramObj">${o.smartType}</smartType>` +
      `<subscribeOption type="subscribeRelation">FEATURE_RESULT</subscribeOption>` +
      `<currentTime type="tint64">${time}</currentTime>` +
      `<mac type="string">${cdata(mac(o.mac ?? DEFAULT_IPC_MAC, o.macCase, 'lower'))}</mac>` +
      `<sn type="string">${cdata(o.serial ?? 'I421B0Z1173Q')}</sn>` +
      `<deviceName type="string">${cdata(o.name ?? 'FaceCam')}</deviceName>`;
  } else {
    head = `<smartType>${o.smartType}</smartType>` + (o.name ? `<deviceName>${cdata(o.name)}</deviceName>` : '') + `<currentTime>${time}</currentTime>`;
  }

  let block = '';
  const status = o.status ?? 'SMART_START';
  const eventId = o.eventId ?? 220;
  const usesPerimeter = (o.smartType === 'PEA' && o.pea !== 'tripwire') || o.smartType === 'LOITER' || o.smartType === 'PVD';
  if (usesPerimeter && t0) {
    block =
      `<perimeter><perInfo type="list" count="1"><item><eventId type="uint32">${eventId}</eventId><targetId type="uint32">${t0.id}</targetId>` +
      `<status type="${statusType}">${status}</status><boundary type="list" count="4">` +
      [[1625, 2133], [1725, 8800], [7900, 8900], [7800, 2200]]
        .map(([x, y]) => `<item><point><x type="uint32">${x}</x><y type="uint32">${y}</y></point></item>`)
        .join('') +
      `</boundary>${rectXml(t0.rect ?? [113, 0, 5511, 8472], true)}</item></perInfo></perimeter>`;
  } else if (o.smartType === 'PEA' && t0) {
    const pts = `<startPoint><x type="uint32">5000</x><y type="uint32">1000</y></startPoint><endPoint><x type="uint32">5000</x><y type="uint32">9000</y></endPoint>`;
    const shape = o.lineShape ?? 'line';
    const line = shape === 'line' ? `<line>${pts}</line>` : shape === 'lineInfo' ? `<lineInfo>${pts}</lineInfo>` : pts;
    block =
      `<tripwire><tripInfo type="list" count="1"><item><eventId type="uint32">${eventId}</eventId><targetId type="uint32">${t0.id}</targetId>` +
      `<status type="${statusType}">${status}</status>${line}${rectXml(t0.rect ?? [3200, 2100, 4800, 8500], true)}</item></tripInfo></tripwire>`;
  }

  let list = '';
  let source = ipcSourceInfo(images);
  if (o.smartType === 'VEHICE' || o.smartType === 'VEHICLE') {
    const plateItem =
      `<item><plateNumber type="string">${cdata(o.plate ?? 'ABC1234')}</plateNumber>` +
      (o.plateList !== undefined ? `<vehicleListType type="string">${o.plateList}</vehicleListType>` : '') +
      (o.plateColor !== undefined ? `<plateColor type="string">${o.plateColor}</plateColor>` : '') +
      ipcTargetImage(images, 'car', 'BASE64_JPEG_PLATE_CROP', 24, 8) +
      `</item>`;
    const overviewItem = `<item>${ipcTargetImage(images, 'car', 'BASE64_JPEG_OVERVIEW_IMAGE', 64, 36)}</item>`;
    list = `<listInfo type="list" count="2">${overviewItem}${plateItem}</listInfo>`;
  } else if (o.smartType === 'VSD') {
    const tImg = ipcTargetImage(images, t0?.cls, 'BASE64_JPEG_TARGET_CROP', 16, 24);
    block += `<vsd>${source}${tImg || `<targetImageData><targetType type="uint32">${ipcClassNumber(t0?.cls)}</targetType></targetImageData>`}</vsd>`;
    source = '';
  } else {
    const face = o.smartType === 'VFD' || o.smartType === 'VFD_MATCH';
    const items = targets
      .map(
        (t) =>
          `<item><targetId type="tuint32">${t.id}</targetId>${rectXml(t.rect ?? [2000, 3000, 4000, 8000], true)}` +
          (ipcTargetImage(images, t.cls, face ? 'BASE64_JPEG_FACE_CROP' : 'BASE64_JPEG_TARGET_CROP', 16, 16) ||
            `<targetImageData><targetType type="uint32">${ipcClassNumber(t.cls)}</targetType></targetImageData>`) +
          `</item>`,
      )
      .join('');
    list = `<listInfo type="list" count="${targets.length}">${items}</listInfo>`;
  }
  const tail = style === 'E2' ? `<relativeTime type="tint64">167998902412</relativeTime>` : '';
  return decl(o) + `<config version="1.7" ${NS}>${head}${block}${source}${list}${tail}</config>\n`;
}

// ------------------------------------------------------------------ NVR (G, H, I)

export interface NvrIdentity extends Common {
  mac?: string;
  name?: string;
  ip?: string;
}

function nvrDeviceInfo(o: NvrIdentity, channel: number | undefined): string {
  return (
    `<deviceInfo><deviceName>${cdata(o.name ?? 'Device Name')}</deviceName><ip>${cdata(o.ip ?? '192.168.0.60')}</ip>` +
    `<mac>${cdata(mac(o.mac ?? DEFAULT_NVR_MAC, o.macCase, 'upper'))}</mac>` +
    (channel !== undefined ? `<channelId>${channel}</channelId>` : '') +
    `</deviceInfo>`
  );
}

/** Family G: NVR keepalive (no channelId, no time). */
export function nvrKeepalive(o: NvrIdentity = {}): string {
  return decl(o) + `<config version="2.0.0" ${NS}><messageType>keepalive</messageType>${nvrDeviceInfo(o, undefined)}</config>\n`;
}

export interface NvrAlarmStatusOptions extends NvrIdentity {
  /** perimeterAlarm (default), passlineAlarm, vfdAlarm, motionAlarm, chlOfflineAlarm */
  field?: string;
  id?: number | string;
  active?: boolean;
  channel?: number;
  /** whole seconds in µs, e.g. 1772056914000000 */
  currentTimeUs?: string | number | bigint;
}

/** Family H: NVR alarm status (`<field><item id="rule">true</item></field>`). */
export function nvrAlarmStatus(o: NvrAlarmStatusOptions = {}): string {
  const field = o.field ?? 'perimeterAlarm';
  return (
    decl(o) +
    `<config version="2.0.0" ${NS}><messageType>alarmStatus</messageType>${nvrDeviceInfo(o, o.channel ?? 1)}` +
    `<currentTime>${String(o.currentTimeUs ?? '1772056914000000')}</currentTime>` +
    `<alarmStatusInfo><${field}><item id="${o.id ?? 1}">${o.active ?? true}</item></${field}></alarmStatusInfo></config>\n`
  );
}

export interface NvrAlarmOptions extends NvrIdentity {
  /** regionIntrusion, lineCrossing, targetCountingByLine, targetCountingByArea, videoMetadata, vehicle, videoFaceDetect, or any name */
  smartType: string;
  channel?: number | null;
  currentTimeUs?: string | number | bigint;
  targets?: BuilderTarget[];
  eventId?: string | number;
  images?: ImageMode;
  /** omit targetListInfo (the earliest regionIntrusion capture had none) */
  noTargetList?: boolean;
  /** vehicle */
  plate?: string;
  /** vehicle: `licensePlateMatchInfo/groupName` */
  group?: string;
  plateColor?: string;
  car?: { type?: string; color?: string; brand?: string; model?: string };
  /** videoFaceDetect */
  face?: { age?: string; sex?: string; glasses?: string; mask?: string };
}

/** Family I: NVR alarm data in its three layouts (eventInfo+targetListInfo, licensePlateListInfo, faceListInfo). */
export function nvrAlarm(o: NvrAlarmOptions): string {
  const images = o.images ?? 'placeholder';
  const channel = o.channel === null ? undefined : (o.channel ?? 1);
  const time = String(o.currentTimeUs ?? '1772056914604000');
  const head =
    `<config version="2.0.0" ${NS}><messageType>alarmData</messageType>${nvrDeviceInfo(o, channel)}` +
    `<smartType>${o.smartType}</smartType><currentTime>${time}</currentTime>`;
  let content = '';
  if (o.smartType === 'vehicle') {
    const t = o.targets?.[0] ?? { id: 104 };
    const car = o.car ?? { type: 'mpv', color: 'white', brand: 'GMC', model: 'GMC_SAVANA' };
    const r = t.rect ?? [1104, 546, 1232, 610];
    content =
      // the NVR reports its LPR overview as 0×0 (firmware bug)
      nvrSourceInfo(images, 64, 36, [0, 0]) +
      `<licensePlateListInfo><item><targetId>${t.id}</targetId>${rectXml(r, false)}` +
      `<licensePlateAttribute><licensePlateNumber>${cdata(o.plate ?? 'JP116D')}</licensePlateNumber><color>${o.plateColor ?? 'white'}</color></licensePlateAttribute>` +
      (o.group !== undefined ? `<licensePlateMatchInfo><groupName>${cdata(o.group)}</groupName></licensePlateMatchInfo>` : '') +
      `<carRect><x1>1</x1><y1>0</y1><x2>1</x2><y2>0</y2></carRect>` +
      `<carAttribute><carType>${cdata(car.type ?? 'mpv')}</carType><color>${cdata(car.color ?? 'white')}</color>` +
      `<brand>${cdata(car.brand ?? 'GMC')}</brand><model>${cdata(car.model ?? 'GMC_SAVANA')}</model></carAttribute>` +
      nvrTargetImage(images, 'BASE64_JPEG_PLATE_CROP', 24, 8) +
      `</item></licensePlateListInfo>`;
  } else if (o.smartType === 'videoFaceDetect') {
    const t = o.targets?.[0] ?? { id: 50 };
    const f = o.face ?? { age: 'middleAged', sex: 'male', glasses: 'unknown', mask: 'unknown' };
    content =
      nvrSourceInfo(images) +
      `<faceListInfo><item><targetId>${t.id}</targetId>${rectXml(t.rect ?? [854, 176, 978, 300], false)}` +
      `<age>${f.age ?? 'unknown'}</age><sex>${f.sex ?? 'unknown'}</sex><glasses>${f.glasses ?? 'unknown'}</glasses><mask>${f.mask ?? 'unknown'}</mask>` +
      nvrTargetImage(images, 'BASE64_JPEG_FACE_CROP', 16, 16) +
      `</item></faceListInfo>`;
  } else {
    const targets = o.targets ?? [{ id: 716, cls: 'person', rect: [3096, 3715, 4005, 9861] }];
    const tripwire = o.smartType === 'lineCrossing' || o.smartType === 'targetCountingByLine';
    const events = targets
      .map((t, i) => {
        const r: Rect = o.smartType === 'targetCountingByLine' ? [0, 0, 0, 0] : (t.rect ?? [3096, 3715, 4005, 9861]);
        const shape = tripwire
          ? `<boundary>tripwire</boundary><directionLine><startPoint><x>3579</x><y>2550</y></startPoint><endPoint><x>3655</x><y>9797</y></endPoint></directionLine>`
          : `<boundary>area</boundary><pointGroup>` +
            [[1590, 3080], [4715, 3181], [4772, 9217], [416, 9141]].map(([x, y]) => `<item><x>${x}</x><y>${y}</y></item>`).join('') +
            `</pointGroup>`;
        return `<item><eventId>${Number(o.eventId ?? 916) + i}</eventId><targetId>${t.id}</targetId>${shape}${rectXml(r, false)}</item>`;
      })
      .join('');
    const list = targets
      .map((t) => `<item><targetId>${t.id}</targetId><targetType>${t.cls ?? 'person'}</targetType>${nvrTargetImage(images, 'BASE64_JPEG_TARGET_CROP', 16, 24)}</item>`)
      .join('');
    content =
      `<eventInfo>${events}</eventInfo>` + nvrSourceInfo(images) + (o.noTargetList ? '' : `<targetListInfo>${list}</targetListInfo>`);
  }
  return decl(o) + head + content + `</config>\n`;
}

/** Every IPC smartType code the protocol digest names (plus an unknown one). */
export const IPC_SMART_TYPES = [
  'VEHICE', 'VEHICLE', 'VFD', 'VFD_MATCH', 'PEA', 'AOIENTRY', 'AOILEAVE', 'LOITER', 'PVD', 'VSD', 'PASSLINECOUNT', 'TRAFFIC', 'MOTION', 'OSC',
] as const;

/** Every NVR smartType name the digest names (plus an unknown one). */
export const NVR_SMART_TYPES = [
  'regionIntrusion', 'lineCrossing', 'targetCountingByLine', 'targetCountingByArea', 'videoMetadata', 'vehicle', 'videoFaceDetect', 'sceneChange',
] as const;
