import { child, describeFailure, parseConfigDoc, text } from './xml.js';

/** GetDeviceInfo (viewtron-protocol.md §5.3 "Device identity"). Pure. */
export interface DeviceInfo {
  name?: string;
  model?: string;
  mac?: string;
  sn?: string;
  firmware?: string;
  /** only on v2.0 firmware; absent means a 1.x API */
  apiVersion?: string;
  configVersion?: string;
}

export function parseDeviceInfo(xml: string): DeviceInfo {
  const doc = parseConfigDoc(xml);
  if ('status' in doc) throw new Error(`GetDeviceInfo failed: ${describeFailure(doc)}`);
  const d = child(doc.config, 'deviceInfo');
  if (d === undefined) throw new Error('GetDeviceInfo answer has no <deviceInfo>');
  return {
    name: text(child(d, 'deviceName')),
    model: text(child(d, 'model')),
    mac: text(child(d, 'mac'))?.toLowerCase(),
    sn: text(child(d, 'sn')),
    firmware: text(child(d, 'softwareVersion')),
    apiVersion: text(child(d, 'apiVersion')),
    configVersion: doc.config['@_version'] as string | undefined,
  };
}
