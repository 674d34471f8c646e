/**
 * For the clinician's call page: who was asked to join and where each stands, as the web service
 * knows it (a fresh list at each (re)connection of the live channel, then its changes). Only the care
 * team gets it; anyone else's page simply has none.
 */
import { ROUTES } from '../../api/routes.ts';
import type { InviteeView } from '../../api/schemas.ts';
import { call } from '../lib/api.ts';
import { connectLive, type LiveConnection } from '../lib/live-connection.ts';

export class CallInvitees {
  list = $state<InviteeView[]>([]);
  readonly #roomId: string;
  readonly #connection: LiveConnection;

  constructor(roomId: string, patientId: string) {
    this.#roomId = roomId;
    this.#connection = connectLive(patientId, {
      message: (m) => {
        if (m.type === 'invitees' && m.roomId === this.#roomId) this.list = m.invitees;
      },
      status: (connected) => {
        if (connected) void this.#refresh();
      },
    });
  }

  close(): void {
    this.#connection.close();
  }

  async #refresh(): Promise<void> {
    try {
      this.list = (await call(ROUTES.consultationStatus, { params: { roomId: this.#roomId } })).invitees;
    } catch {
      // Not signed in to the console, or the consultation is over: the room's own list remains.
    }
  }
}
