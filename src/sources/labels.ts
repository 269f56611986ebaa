import type { EventType, TargetClass } from '../core/event.js';

/**
 * Label → camrelay event type. Pure. The first row whose pattern matches any
 * of a verdict's labels wins, so the order is the priority: an "intrusion"
 * verdict that also says "person" is an intrusion with class person.
 * Labels naming only what was seen (person, vehicle) carry no alarm kind of
 * their own: they give `alarm.analytics` plus a target class.
 */
export const LABEL_TYPES: readonly { pattern: RegExp; type: EventType; example: string }[] = [
  { pattern: /intru|trespass|break[\s_-]?in|perimeter|burglar/, type: 'alarm.intrusion', example: 'intrusion, trespassing, perimeter_breach' },
  { pattern: /loiter/, type: 'alarm.loitering', example: 'loitering' },
  { pattern: /\bline\b|line[\s_-]|crossing|tripwire/, type: 'alarm.line_crossing', example: 'line_crossing, tripwire' },
  { pattern: /\blpr\b|\banpr\b|\balpr\b|plate/, type: 'alarm.lpr', example: 'lpr, license_plate' },
  { pattern: /face/, type: 'alarm.face', example: 'face, face_match' },
  { pattern: /park/, type: 'alarm.parking', example: 'illegal_parking' },
  { pattern: /\bentry\b|\benter|zone[\s_-]?in\b/, type: 'alarm.zone_entry', example: 'zone_entry' },
  { pattern: /\bexit\b|zone[\s_-]?out\b/, type: 'alarm.zone_exit', example: 'zone_exit' },
  { pattern: /motion/, type: 'alarm.motion', example: 'motion' },
  { pattern: /count/, type: 'alarm.counting', example: 'people_count' },
];

/** What was seen → target class (data.targets[].class), independent of the type. */
export const LABEL_CLASSES: readonly { pattern: RegExp; cls: TargetClass }[] = [
  { pattern: /person|people|human|pedestrian|intruder|man\b|woman|face/, cls: 'person' },
  { pattern: /motor|bike|bicycle|scooter/, cls: 'motor' },
  { pattern: /vehicle|\bcar\b|cars\b|truck|\bvan\b|\bbus\b|plate|lpr/, cls: 'car' },
];

function norm(l: string): string {
  return l.toLowerCase().replace(/[_-]+/g, ' ').trim();
}

export function eventTypeFor(labels: readonly string[]): EventType {
  const ls = labels.map(norm);
  for (const row of LABEL_TYPES) if (ls.some((l) => row.pattern.test(l))) return row.type;
  return 'alarm.analytics';
}

export function classFor(labels: readonly string[]): TargetClass | undefined {
  const ls = labels.map(norm);
  for (const row of LABEL_CLASSES) if (ls.some((l) => row.pattern.test(l))) return row.cls;
  return undefined;
}
