/**
 * Example payloads written from each platform's documented fields (our own
 * values, not copies of fixtures).
 */
export const gaardResult = {
  id: 'res_7f3c2a91d04b4e55',
  status: 'done',
  camera_id: 'cam-0042',
  metadata: { site_ref: 'depot-north', customer_ref: 'acme-17' },
  risk: 0.91,
  labels: ['intrusion', 'person'],
  scores: { intrusion: 0.97, person: 0.88 },
  error_code: 0,
  error_msg: null,
  video: 'https://media.gaard.example/clips/res_7f3c2a91d04b4e55.mp4?X-Amz-Signature=abc&X-Amz-Expires=3600',
  created_at: '2026-11-23T02:14:07Z',
};

export const gaardError = {
  id: 'res_0c11ee02aa3348d1',
  status: 'error',
  camera_id: 'cam-0042',
  metadata: {},
  risk: null,
  labels: [],
  scores: null,
  error_code: 3,
  error_msg: 'video stream unreadable: no keyframe in 10 s',
  video: null,
  created_at: '2026-11-23T02:20:00Z',
};

export const turingPeopleBase = {
  event_id: 'evt-5b8e1d7c',
  event_type: 'people',
  stage: 'base',
  timestamp: 1763863200,
  camera: { id: 9137, name: 'Loading bay' },
  site: { id: 311, name: 'Depot North' },
  mediums: [
    { type: 'image', name: 'snapshot', url: 'https://cdn.turing.example/s/5b8e1d7c.jpg?sig=e1f2' },
    { type: 'video', name: 'clip', url: 'https://cdn.turing.example/v/5b8e1d7c.mp4?sig=e1f3' },
  ],
  metadata: null,
};

export const turingPeopleProcessed = {
  ...turingPeopleBase,
  stage: 'processed',
  metadata: {
    faces: [{ face_id: 'f-881', name: null, age: 34, gender: 'male', confidence: 0.93, image_url: 'https://cdn.turing.example/f/881.jpg' }],
  },
};

export const turingVehicleProcessed = {
  event_id: 'evt-9a0c44f2',
  event_type: 'vehicle',
  stage: 'processed',
  timestamp: 1763863260,
  camera: { id: 9138, name: 'Gate' },
  site: { id: 311, name: 'Depot North' },
  mediums: [{ type: 'image', url: 'https://cdn.turing.example/s/9a0c44f2.jpg?sig=aa01' }],
  metadata: { vehicle: { plate: 'KL-482-ZT', color: 'white', make: 'Ford', model: 'Transit', type: 'van', confidence: 0.86 } },
};

export const videodbAlert = {
  event_id: 'evt_1a2b3c4d5e',
  label: 'intrusion',
  confidence: 0.94,
  explanation: 'A person climbs over the fence on the left side of the frame and walks towards the warehouse door.',
  timestamp: '2026-11-23T02:31:45.120Z',
  start_time: '2026-11-23T02:31:38.000Z',
  end_time: '2026-11-23T02:31:52.000Z',
  stream_url: 'https://stream.videodb.example/rts/rts-9f2e/clip.m3u8?token=x9',
  player_url: 'https://console.videodb.example/player?url=rts-9f2e',
  rtstream_id: 'rts-9f2e',
};

export const genericPost = {
  event: {
    uuid: 'b7c2f5e0-8a1d-4c3e-9f00-2d6a1e9b7c41',
    at: '2026-11-23T02:40:00Z',
    device: { serial: 'NVR8-2231-CH3' },
    kind: 'loitering_detected',
    object: { type: 'person', score: 87 },
  },
};

export const genericFields = {
  id: 'event.uuid',
  time: 'event.at',
  camera: 'event.device.serial',
  type: 'event.kind',
  class: 'event.object.type',
  confidence: 'event.object.score',
};
