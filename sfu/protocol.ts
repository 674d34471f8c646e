/**
 * Call signalling protocol v1: the one definition shared by the SFU and the browser (documented in
 * sfu/SIGNALLING.md). JSON text frames over one WebSocket:
 *   browser -> SFU   { id, method, data }                       a request
 *   SFU -> browser   { id, ok: true, data } | { id, ok: false, error: { code, message } }
 *   SFU -> browser   { notification, data }                     something happened in the room
 * Requests are validated by the SFU with these schemas; the browser imports only the types.
 * mediasoup objects (RTP capabilities and parameters, ICE and DTLS parameters) pass through as opaque
 * JSON objects: mediasoup validates them itself, and their shape belongs to its version.
 */
import { z } from 'zod';

export const ROLES = ['clinician', 'patient', 'family'] as const;
export type Role = (typeof ROLES)[number];

export const SOURCES = ['mic', 'camera', 'screen'] as const;
export type Source = (typeof SOURCES)[number];

const id = z.string().min(1).max(100);
/** A mediasoup structure, checked by mediasoup. */
const opaque = z.record(z.string(), z.unknown());

/**
 * A page's seat: a random key (at least 128 bits, base64url) that one browser tab keeps for its
 * life. Admission belongs to the seat the clinician let in, so a forwarded invitation link opened
 * elsewhere waits to be admitted again instead of taking the place.
 */
export const SEAT_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

export const requestSchemas = {
  /**
   * First request on a socket (and again after a reconnection): the invitation and this tab's seat.
   * The name shown to the others is the one signed in the invitation; any other field is ignored.
   */
  join: z.object({
    roomId: id,
    token: z.string().min(1).max(4096),
    seat: z.string().regex(SEAT_PATTERN, 'a random key of 22 to 64 base64url characters'),
  }),
  /** Once admitted: the device's RTP capabilities, then transports. */
  createTransport: z.object({ direction: z.enum(['send', 'recv']) }),
  connectTransport: z.object({ transportId: id, dtlsParameters: opaque }),
  restartIce: z.object({ transportId: id }),
  produce: z.object({
    transportId: id,
    kind: z.enum(['audio', 'video']),
    rtpParameters: opaque,
    source: z.enum(SOURCES),
  }),
  closeProducer: z.object({ producerId: id }),
  pauseProducer: z.object({ producerId: id }),
  resumeProducer: z.object({ producerId: id }),
  consume: z.object({ transportId: id, producerId: id, rtpCapabilities: opaque }),
  resumeConsumer: z.object({ consumerId: id }),
  /** Clinician only. */
  admit: z.object({ participantId: id }),
  /** Clinician only: asks a participant's microphone to be muted (the participant's page does it). */
  mute: z.object({ participantId: id }),
  chat: z.object({ text: z.string().trim().min(1).max(2000) }),
  leave: z.object({}),
  /** Clinician only. */
  endForAll: z.object({}),
} as const;

export type Method = keyof typeof requestSchemas;
export type RequestData<M extends Method> = z.infer<(typeof requestSchemas)[M]>;

export const requestEnvelope = z.object({ id: z.number().int().nonnegative(), method: z.string(), data: z.unknown() });

export interface Participant {
  readonly participantId: string;
  readonly role: Role;
  readonly displayName: string;
  /** False while in the waiting room. */
  readonly admitted: boolean;
}

export interface ProducerInfo {
  readonly participantId: string;
  readonly producerId: string;
  readonly kind: 'audio' | 'video';
  readonly source: Source;
  readonly paused: boolean;
}

export interface TransportInfo {
  readonly id: string;
  readonly iceParameters: Record<string, unknown>;
  readonly iceCandidates: readonly Record<string, unknown>[];
  readonly dtlsParameters: Record<string, unknown>;
}

export interface ConsumerInfo {
  readonly id: string;
  readonly producerId: string;
  readonly participantId: string;
  readonly kind: 'audio' | 'video';
  readonly source: Source;
  readonly rtpParameters: Record<string, unknown>;
  readonly producerPaused: boolean;
}

export interface ChatMessage {
  readonly participantId: string;
  readonly displayName: string;
  readonly text: string;
  readonly at: number;
}

export interface ResponseData {
  join: {
    readonly participantId: string;
    readonly role: Role;
    readonly roomId: string;
    readonly admitted: boolean;
    /** Whether a clinician is in the room to let this person in (all someone waiting learns of it). */
    readonly clinicianPresent: boolean;
    readonly routerRtpCapabilities: Record<string, unknown>;
    readonly participants: readonly Participant[];
    readonly producers: readonly ProducerInfo[];
    readonly chat: readonly ChatMessage[];
  };
  createTransport: TransportInfo;
  connectTransport: Record<string, never>;
  restartIce: { readonly iceParameters: Record<string, unknown> };
  produce: { readonly producerId: string };
  closeProducer: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  consume: ConsumerInfo;
  resumeConsumer: Record<string, never>;
  admit: Record<string, never>;
  mute: Record<string, never>;
  chat: Record<string, never>;
  leave: Record<string, never>;
  endForAll: Record<string, never>;
}

export interface Notifications {
  /** Someone joined, or changed (admitted). Waiting participants are announced to clinicians only. */
  participant: Participant;
  participantLeft: { readonly participantId: string };
  /** To the person admitted. */
  admitted: { readonly producers: readonly ProducerInfo[]; readonly participants: readonly Participant[] };
  newProducer: ProducerInfo;
  producerClosed: { readonly producerId: string };
  producerPaused: { readonly producerId: string };
  producerResumed: { readonly producerId: string };
  /**
   * To someone waiting: a clinician came into the room, or the last one left it (no name, no id: a
   * waiting person is told whether anyone can let them in, nothing else).
   */
  clinicianPresence: { readonly present: boolean };
  /** The clinician asked this participant to mute. */
  muteRequested: Record<string, never>;
  chat: ChatMessage;
  /** The consultation is over; the page shows it and closes the call. */
  ended: { readonly reason: 'ended_by_clinician' };
  /**
   * The media server for this room was lost (worker restarted): join again with the same token on the
   * same socket; admission is kept.
   */
  rejoin: { readonly reason: 'media_restarted' };
  /** A message that could not be read as a request (so there is no id to answer). */
  error: { readonly code: ErrorCode; readonly message: string };
}
export type NotificationName = keyof Notifications;

/** Why a request was refused. Each has a plain-language text in the pages' i18n tables. */
export const ERROR_CODES = [
  'bad_request',
  'token_invalid',
  'token_expired',
  'wrong_room',
  'not_joined',
  'not_admitted',
  'forbidden',
  'room_full',
  'server_full',
  'consultation_ended',
  'not_found',
  'media_error',
  'replaced',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ResponseEnvelope<M extends Method = Method> =
  | { readonly id: number; readonly ok: true; readonly data: ResponseData[M] }
  | { readonly id: number; readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string } };

export type NotificationEnvelope<N extends NotificationName = NotificationName> = {
  readonly notification: N;
  readonly data: Notifications[N];
};

/**
 * WebSocket close codes the SFU uses (4000-4999 are the application's). A frame that breaks RFC 6455
 * itself is closed by the WebSocket layer with the standard code (1002, 1007, 1008 or 1009).
 */
export const CLOSE = {
  /** The same participant joined from another socket (another tab or a reconnection). */
  replaced: 4001,
  ended: 4002,
  /** No successful `join` within the deadline after the socket opened. */
  joinTimeout: 4003,
  /** Too many bad requests, or messages faster than the per-socket rate. */
  policy: 4008,
} as const;

/**
 * Who is in a room now, as the SFU reports it to the web service after every change (a join, an
 * admission, a departure): each participant by their opaque id and whether the clinician let them in
 * (`admitted`: in the call) or they wait. `seq` grows with each report of a room, so that one
 * overtaken on the way is ignored. Never a name: the web service knows who a participant id is.
 */
export const roomPresenceSchema = z.object({
  roomId: id,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  participants: z.array(z.object({ participantId: id, role: z.enum(ROLES), admitted: z.boolean() })).max(100),
});
export type RoomPresence = z.infer<typeof roomPresenceSchema>;
