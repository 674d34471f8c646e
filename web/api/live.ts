/**
 * The live channel's messages (WebSocket /api/live, web/live-socket.ts), as zod schemas shared by the
 * server and the pages: the pages parse every message with them.
 */
import { z } from 'zod';
import { alertViewSchema } from '../../common/alert-api.ts';
import { errorCodeSchema } from '../../common/errors.ts';
import { READING_NAMES } from '../../devices/limits.ts';
import {
  callOfferSchema,
  consoleRowSchema,
  familyOverviewSchema,
  inviteeSchema,
  liveSampleSchema,
  type LiveSample,
} from './schemas.ts';

export const clientMessageSchema = z.object({ type: z.literal('subscribe'), patientId: z.string().min(1).max(100) });
export type LiveClientMessage = z.infer<typeof clientMessageSchema>;

/** Close codes of the live channel (4000-4999 are the application's). */
export const LIVE_CLOSE = {
  /** The session ended (signed out, expired): sign in again. */
  sessionEnded: 4401,
  /** The account was disabled or its role changed: what it may see is decided again on reconnection. */
  accountChanged: 4403,
  /** Too many messages. */
  policy: 4008,
  /** A message too big, or not text. */
  tooBig: 4009,
} as const;

const vitalsEvent = z.object({ type: z.literal('vitals'), patientId: z.string(), samples: z.array(liveSampleSchema) });
const presenceEvent = z.object({
  type: z.literal('presence'),
  patientId: z.string(),
  online: z.boolean(),
  battery: z.number().nullable(),
  lastSeen: z.number(),
});

export const liveServerMessageSchema = z.discriminatedUnion('type', [
  // A relative's snapshot is the family overview; a member of the care team's is the console's row.
  z.object({
    type: z.literal('snapshot'),
    patientId: z.string(),
    overview: z.union([familyOverviewSchema, consoleRowSchema]),
  }),
  z.object({ type: z.literal('subscribed'), patientIds: z.array(z.string()) }),
  z.object({ type: z.literal('error'), patientId: z.string().optional(), code: errorCodeSchema }),
  z.object({
    type: z.literal('alert'),
    patientId: z.string(),
    alert: alertViewSchema,
    names: z.record(z.string(), z.string()),
  }),
  z.object({ type: z.literal('call'), patientId: z.string(), ...callOfferSchema.shape }),
  z.object({
    type: z.literal('invitees'),
    patientId: z.string(),
    roomId: z.string(),
    invitees: z.array(inviteeSchema),
  }),
  /** The patient entered or left live mode: their watch sends each reading as taken (the care team only). */
  z.object({ type: z.literal('mode'), patientId: z.string(), live: z.boolean() }),
  z.object({ type: z.literal('batch'), events: z.array(z.discriminatedUnion('type', [vitalsEvent, presenceEvent])) }),
]);
export type LiveServerMessage = z.infer<typeof liveServerMessageSchema>;
export type VitalsEvent = z.infer<typeof vitalsEvent>;
export type PresenceEvent = z.infer<typeof presenceEvent>;
/** A message as the pages handle it, batches unpacked. */
export type LiveMessage =
  Exclude<LiveServerMessage, { type: 'batch' }> | z.infer<typeof vitalsEvent> | z.infer<typeof presenceEvent>;

/** The part of a reading the pages receive (no seq or backfill flag). */
export function liveSample(s: LiveSample): LiveSample {
  const out: LiveSample = { ts: s.ts };
  if (s.battery !== undefined) out.battery = s.battery;
  for (const k of READING_NAMES) if (s[k] !== undefined) out[k] = s[k];
  return out;
}
