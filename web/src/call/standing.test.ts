import { describe, expect, it } from 'vitest';
import { standings } from './standing.ts';

const invitee = (participantId: string, name: string, state: 'invited' | 'ringing' | 'declined' | 'answered') => ({
  participantId,
  role: participantId.startsWith('p') ? ('patient' as const) : ('family' as const),
  name,
  state,
  presence: null,
});
const participant = (participantId: string, displayName: string, admitted: boolean) => ({
  participantId,
  role: participantId.startsWith('c') ? ('clinician' as const) : ('family' as const),
  displayName,
  admitted,
});

describe('standings', () => {
  it('overlays the room on the invitations: waiting and in the call win over what the page said', () => {
    const result = standings(
      [invitee('p-1', 'Jeanne', 'answered'), invitee('f-1', 'Claire', 'declined'), invitee('f-2', 'Paul', 'ringing')],
      [
        participant('c-1', 'Dr Martin', true),
        participant('p-1', 'Jeanne Martin', false),
        participant('f-3', 'Léa', true),
      ],
      'c-1',
    );
    expect(result).toEqual([
      { participantId: 'p-1', role: 'patient', name: 'Jeanne Martin', standing: 'waiting' },
      { participantId: 'f-3', role: 'family', name: 'Léa', standing: 'in-call' },
      { participantId: 'f-2', role: 'family', name: 'Paul', standing: 'ringing' },
      { participantId: 'f-1', role: 'family', name: 'Claire', standing: 'declined' },
    ]);
  });

  it('shows the invitations alone before anyone joined, and the room alone without them', () => {
    expect(standings([invitee('p-1', 'Jeanne', 'invited')], [], undefined).map((s) => s.standing)).toEqual(['invited']);
    expect(standings([], [participant('f-1', 'Claire', true)], 'c-1').map((s) => s.standing)).toEqual(['in-call']);
  });
});
