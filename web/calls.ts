/**
 * Teleconsultations as the web service knows them: the care team opens one for a patient, and each
 * participant gets a link of their own, a signed invitation that names one participant (the SFU seats
 * one page per participant, and re-admits only the page that was admitted: sfu/room.ts). The name a
 * call shows comes from the signed token, never from the page. Participant ids are opaque (derived
 * from the room and the person with an HMAC), so that nobody in the call or its waiting room learns a
 * staff member's or a relative's account id.
 */
import { createHmac } from 'node:crypto';
import { CallTokens } from '../sfu/tokens.ts';
import type { Role } from '../sfu/protocol.ts';

export interface CallOfferRecord {
  readonly roomId: string;
  readonly patientId: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Whether the patient's relatives are invited (their page shows "join the call"). */
  readonly family: boolean;
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

  constructor(tokens: CallTokens, secret: string, ttlSeconds: number) {
    this.#tokens = tokens;
    this.#key = secret;
    this.#ttlSeconds = ttlSeconds;
  }

  /** Opens a consultation for a patient; it replaces the patient's previous one. */
  open(patientId: string, family: boolean, now = Date.now()): CallOfferRecord {
    const offer = {
      roomId: CallTokens.newRoomId(),
      patientId,
      expiresAt: now + this.#ttlSeconds * 1000,
      family,
    };
    this.#open.set(patientId, offer);
    return offer;
  }

  /** The patient's consultation still open to relatives, if any. */
  offerFor(patientId: string, now = Date.now()): CallOfferRecord | undefined {
    const offer = this.#open.get(patientId);
    return offer && offer.expiresAt > now ? offer : undefined;
  }

  /** A personal invitation to a consultation: one participant, their role and name. */
  async link(
    offer: CallOfferRecord,
    who: { role: Role; personKey: string; displayName: string },
    now = Date.now(),
  ): Promise<{ token: string; expiresAt: number }> {
    const participantId = `${who.role[0]}-${createHmac('sha256', this.#key).update(`${offer.roomId}\n${who.personKey}`).digest('base64url').slice(0, 16)}`;
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
