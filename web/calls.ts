/**
 * Teleconsultations as the web service knows them: the care team opens one for a patient, and each
 * participant gets a link of their own, a signed invitation that names one participant (the SFU seats
 * one page per participant, and re-admits only the page that was admitted: sfu/room.ts). The name a
 * call shows comes from the signed token, never from the page. Participant ids are opaque (derived
 * from the room and the person with an HMAC), so that nobody in the call or its waiting room learns a
 * staff member's or a relative's account id.
 */
import { createHmac } from 'node:crypto';
import { CallTokens, isPresenceAuthorization } from '../sfu/tokens.ts';
import type { Role, RoomPresence } from '../sfu/protocol.ts';
import type { InviteePresence, InviteeState, InviteeView } from './api/schemas.ts';

/** Someone asked to join: the patient's seat, or a relative. */
export interface Seat {
  readonly role: Role;
  /** What the participant id derives from (a person's id, or `patient:<id>` for the patient's seat). */
  readonly personKey: string;
  readonly displayName: string;
}

export interface CallOfferRecord {
  readonly roomId: string;
  readonly patientId: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Whether the patient's relatives are invited (their page shows "join the call"). */
  readonly family: boolean;
  /** The clinician who opened it, as their pages show them. */
  readonly caller: string;
  /** The scheduled consultation it holds, when the clinician opened it in that consultation's slot. */
  readonly appointmentId: string | null;
  /** Those asked to join, and where each stands (their page rang, they declined, they answered). */
  readonly invitees: ReadonlyMap<string, { readonly seat: Seat; state: InviteeState }>;
}

/** The patient's one seat in their consultations, whichever link they come with. */
export function patientSeat(patientId: string, displayName: string): Seat {
  return { role: 'patient', personKey: patientKey(patientId), displayName };
}

export function patientKey(patientId: string): string {
  return `patient:${patientId}`;
}

/** Whether a consultation is for this relative: when the care team invites the family, or they are the patient. */
export function isInvited(offer: Pick<CallOfferRecord, 'family'>, link: { readonly self: boolean }): boolean {
  return offer.family || link.self;
}

export class Calls {
  readonly #tokens: CallTokens;
  readonly #key: string;
  readonly #ttlSeconds: number;
  readonly #open = new Map<string, CallOfferRecord>();
  /** Who is in each open consultation's room, as the SFU last reported it (by room). */
  readonly #presence = new Map<string, RoomPresence>();

  constructor(tokens: CallTokens, secret: string, ttlSeconds: number) {
    this.#tokens = tokens;
    this.#key = secret;
    this.#ttlSeconds = ttlSeconds;
  }

  /** Opens a consultation for a patient; it replaces the patient's previous one. */
  open(
    patientId: string,
    o: { family: boolean; caller: string; invitees: readonly Seat[]; appointmentId?: string },
    now = Date.now(),
  ): CallOfferRecord {
    const offer = {
      roomId: CallTokens.newRoomId(),
      patientId,
      startedAt: now,
      expiresAt: now + this.#ttlSeconds * 1000,
      family: o.family,
      caller: o.caller.slice(0, 60),
      appointmentId: o.appointmentId ?? null,
      invitees: new Map<string, { seat: Seat; state: InviteeState }>(
        o.invitees.map((seat) => [seat.personKey, { seat, state: 'invited' }]),
      ),
    };
    const previous = this.#open.get(patientId);
    if (previous) this.#presence.delete(previous.roomId);
    this.#open.set(patientId, offer);
    return offer;
  }

  /** The open consultation in this room, if any. */
  byRoom(roomId: string, now = Date.now()): CallOfferRecord | undefined {
    for (const offer of this.#open.values()) if (offer.roomId === roomId && offer.expiresAt > now) return offer;
    return undefined;
  }

  /**
   * Records where an invitee stands; false when they are not invited to this room. A late "ringing"
   * (a page reloaded) does not undo an answer or a refusal.
   */
  setState(offer: CallOfferRecord, personKey: string, state: InviteeState): boolean {
    const invitee = offer.invitees.get(personKey);
    if (!invitee) return false;
    if (state === 'ringing' && invitee.state !== 'invited') return true;
    invitee.state = state;
    return true;
  }

  /** The invitees as the clinician's call page shows them, with the participant id the SFU will know them by. */
  invitees(offer: CallOfferRecord): InviteeView[] {
    const room = this.#presence.get(offer.roomId);
    return [...offer.invitees.values()].map(({ seat, state }) => {
      const participantId = this.participantId(offer, seat);
      const there = room?.participants.find((p) => p.participantId === participantId);
      const presence: InviteePresence | null = !room ? null : !there ? 'away' : there.admitted ? 'in-call' : 'waiting';
      return { participantId, role: seat.role, name: seat.displayName, state, presence };
    });
  }

  /** Whether a request carries the SFU's presence token (sfu/tokens.ts). */
  fromSfu(authorization: string | undefined): boolean {
    return isPresenceAuthorization(this.#key, authorization);
  }

  /**
   * Keeps the SFU's report of who is in a room; the open consultation it is about, or undefined when
   * none is open there, or the report was overtaken by a later one.
   */
  recordPresence(report: RoomPresence): CallOfferRecord | undefined {
    const offer = this.byRoom(report.roomId);
    const known = this.#presence.get(report.roomId);
    if (!offer || (known && known.seq >= report.seq)) return undefined;
    this.#presence.set(report.roomId, report);
    return offer;
  }

  /** The invitee a participant id stands for (a call link names its participant), if any. */
  seatOf(offer: CallOfferRecord, participantId: string): Seat | undefined {
    for (const { seat } of offer.invitees.values()) if (this.participantId(offer, seat) === participantId) return seat;
    return undefined;
  }

  participantId(offer: Pick<CallOfferRecord, 'roomId'>, who: Pick<Seat, 'role' | 'personKey'>): string {
    return `${who.role[0]}-${createHmac('sha256', this.#key).update(`${offer.roomId}\n${who.personKey}`).digest('base64url').slice(0, 16)}`;
  }

  /** The patient's consultation still open to relatives, if any. */
  offerFor(patientId: string, now = Date.now()): CallOfferRecord | undefined {
    const offer = this.#open.get(patientId);
    return offer && offer.expiresAt > now ? offer : undefined;
  }

  /** A personal invitation to a consultation: one participant, their role and name. */
  async link(offer: CallOfferRecord, who: Seat, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const participantId = this.participantId(offer, who);
    const { token, grant } = await this.#tokens.issueCall({
      roomId: offer.roomId,
      role: who.role,
      displayName: who.displayName.slice(0, 60),
      patientId: offer.patientId,
      participantId,
      ttlSeconds: Math.max(60, Math.floor((offer.expiresAt - now) / 1000)),
    });
    return { token, expiresAt: grant.expiresAt * 1000 };
  }
}
