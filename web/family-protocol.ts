/** What the family page receives, over HTTP and the live channel (shared by the server and the page). */
import type { AlertView } from '../common/alert-api.ts';
import { READING_NAMES, type ReadingName } from '../devices/limits.ts';

export type VitalKey = ReadingName;

export interface FamilyOverview {
  readonly patient: { readonly id: string; readonly name: string };
  readonly relation: string;
  readonly shareVitals: boolean;
  readonly presence: {
    readonly online: boolean | null;
    readonly lastSeen: number | null;
    readonly battery: number | null;
  };
  /** Null when the patient has not consented to share them with this person. */
  readonly vitals: {
    readonly latest: Partial<Record<VitalKey, { value: number; ts: number }>>;
    readonly recent: ReadonlyArray<{ ts: number; hr?: number | undefined; spo2?: number | undefined }>;
  } | null;
  readonly alerts: readonly AlertView[];
  /** Names of the patient's people, by id (who accepted an alert). */
  readonly people: Readonly<Record<string, string>>;
  readonly call: { readonly url: string; readonly expiresAt: number } | null;
}

export interface Me {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly role: string;
  readonly lang: string;
  readonly patients: ReadonlyArray<{ id: string; name: string; relation: string; shareVitals: boolean }>;
}

export type LiveSample = { ts: number; battery?: number } & Partial<Record<VitalKey, number>>;

/** The part of a reading the pages receive (no seq or backfill flag). */
export function liveSample(s: LiveSample): LiveSample {
  const out: LiveSample = { ts: s.ts };
  if (s.battery !== undefined) out.battery = s.battery;
  for (const k of READING_NAMES) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

export type LiveMessage =
  | { type: 'snapshot'; patientId: string; overview: FamilyOverview }
  | { type: 'vitals'; patientId: string; samples: LiveSample[] }
  | { type: 'presence'; patientId: string; online: boolean; battery: number | null; lastSeen: number }
  | { type: 'alert'; patientId: string; alert: AlertView; names?: Record<string, string> }
  | { type: 'call'; patientId: string; url: string; expiresAt: number }
  | { type: 'error'; patientId?: string; code: string; message: string };
/** On the wire, readings and presence travel in batches (every 250 ms); pages unpack them into LiveMessages. */
export type LiveBatch = { type: 'batch'; events: LiveMessage[] };
