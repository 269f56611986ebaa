/** Public API of the Viewtron protocol core (pure: no I/O). */
export { ViewtronParseError, type ViewtronErrorReason } from './errors.js';
export { parseViewtron } from './parse.js';
export { parseTrajectFast, type FastTraject } from './traject-fast.js';
export { parseAlarmFast } from './alarm-fast.js';
export {
  normalize,
  eventIdOf,
  eventTypeOfKind,
  type NormalizeContext,
  type NormalizeResult,
  type PendingImage,
} from './normalize.js';
export { decodeImage, jpegDimensions, type DecodedImage } from './images.js';
export { normalizeMac, resolveCamera, camerasOfDevice } from './identity.js';
export { classOf, kindOfSmartType } from './classify.js';
export {
  parseEpoch,
  resolveCurrentTime,
  checkDeviceTime,
  parseDataTime,
  parseDataTimeWall,
  wallTimeToUtc,
  zoneOffsetMs,
  EARLIEST_DEVICE_TIME_MS,
  MAX_FUTURE_MS,
  type DeviceTime,
  type DeviceTimeProblem,
  type EpochUnit,
} from './time.js';
export { VIEWTRON_SUCCESS_XML, VIEWTRON_SUCCESS_BODY, VIEWTRON_REPLY_CONTENT_TYPE } from './reply.js';
export type * from './types.js';
