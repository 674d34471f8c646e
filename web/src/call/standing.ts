/**
 * Where each person asked to a consultation stands, for the clinician: what the web service knows
 * (invited, their page rings, declined, answered) overlaid with what the SFU knows (waiting to be let
 * in, in the call). Names come from the web service or the signed invitation, never from a page.
 */
import type { InviteeState, InviteeView } from '../../api/schemas.ts';
import type { Participant, Role } from '../../../sfu/protocol.ts';

export type Standing = InviteeState | 'waiting' | 'in-call';

export interface PersonStanding {
  readonly participantId: string;
  readonly role: Role;
  readonly name: string;
  readonly standing: Standing;
}

const ORDER: Record<Standing, number> = {
  waiting: 0,
  'in-call': 1,
  answered: 2,
  ringing: 3,
  invited: 4,
  declined: 5,
};

/** Everyone but `self`: the invitees first known by the web service, then anyone else in the room. */
export function standings(
  invitees: readonly InviteeView[],
  participants: readonly Participant[],
  self: string | undefined,
): PersonStanding[] {
  const inRoom = new Map(participants.map((p) => [p.participantId, p]));
  const out = new Map<string, PersonStanding>();
  for (const i of invitees) {
    const p = inRoom.get(i.participantId);
    out.set(i.participantId, {
      participantId: i.participantId,
      role: i.role,
      name: p?.displayName ?? i.name,
      standing: p ? (p.admitted ? 'in-call' : 'waiting') : i.state,
    });
  }
  for (const p of participants) {
    if (out.has(p.participantId)) continue;
    out.set(p.participantId, {
      participantId: p.participantId,
      role: p.role,
      name: p.displayName,
      standing: p.admitted ? 'in-call' : 'waiting',
    });
  }
  out.delete(self ?? '');
  return [...out.values()].sort((a, b) => ORDER[a.standing] - ORDER[b.standing]);
}
