import type { TargetClass } from '../core/event.js';
import type { AlarmKind } from './types.js';

/**
 * smartType → what the alarm is. IPC codes are upper case (with the wire typo
 * VEHICE), NVR names camelCase. PEA is resolved by the parser (perimeter vs
 * tripwire block), so it is not listed. Unknown codes give 'unknown'.
 */
const KIND_BY_SMART_TYPE: ReadonlyMap<string, AlarmKind> = new Map<string, AlarmKind>([
  ['VEHICE', 'lpr'],
  ['VEHICLE', 'lpr'],
  ['VFD', 'face'],
  ['VFD_MATCH', 'face'],
  ['AOIENTRY', 'zone_entry'],
  ['AOILEAVE', 'zone_exit'],
  ['LOITER', 'loitering'],
  ['PVD', 'parking'],
  ['VSD', 'metadata'],
  ['PASSLINECOUNT', 'counting'],
  ['TRAFFIC', 'counting'],
  ['MOTION', 'motion'],
  ['vehicle', 'lpr'],
  ['videoFaceDetect', 'face'],
  ['regionIntrusion', 'intrusion'],
  ['lineCrossing', 'line_crossing'],
  ['targetCountingByLine', 'counting'],
  ['targetCountingByArea', 'counting'],
  ['videoMetadata', 'metadata'],
]);

export function kindOfSmartType(smartType: string): AlarmKind {
  const k = KIND_BY_SMART_TYPE.get(smartType);
  if (k) return k;
  // NVR names for untested detections are "TBD" in the material; accept the
  // obvious family prefix rather than dropping a counting/motion event.
  if (smartType.startsWith('targetCounting')) return 'counting';
  if (smartType === 'motion' || smartType === 'motionDetection') return 'motion';
  return 'unknown';
}

/**
 * Target classes: IPC `listInfo` sends 1/2/4, traject/NVR send strings.
 * Node-RED material shows `motorcycle`; `bike` appears in example comments.
 */
export function classOf(v: string | undefined): TargetClass {
  switch (v?.toLowerCase()) {
    case '1':
    case 'person':
    case 'human':
      return 'person';
    case '2':
    case 'car':
    case 'vehicle':
      return 'car';
    case '4':
    case 'motor':
    case 'motorcycle':
    case 'bike':
    case 'bicycle':
      return 'motor';
    default:
      return 'unknown';
  }
}
