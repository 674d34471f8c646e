/**
 * Sends each room's presence (sfu/room.ts, after every join, admission and departure) to the web
 * service, which shows the care team who is in the waiting room and who is in the call. Authenticated
 * with the presence token derived from the call secret (sfu/tokens.ts). Best effort: a report that
 * cannot be delivered is logged and dropped, the next change of the room sends the whole room again.
 */
import type { Logger } from '../common/log.ts';
import type { RoomPresence } from './protocol.ts';
import { presenceToken } from './tokens.ts';

/** Where the web service takes the reports (web/api/routes.ts ROUTES.callPresence). */
export const PRESENCE_PATH = '/api/internal/call-presence';

export function reportPresenceTo(o: {
  /** The web service's base URL, as the SFU reaches it (read at each report). */
  readonly webUrl: () => string;
  readonly secret: string;
  readonly logger: Logger;
}): (presence: RoomPresence) => void {
  const authorization = `Bearer ${presenceToken(o.secret)}`;
  return (presence) => {
    fetch(`${o.webUrl().replace(/\/$/, '')}${PRESENCE_PATH}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(presence),
      signal: AbortSignal.timeout(5_000),
    }).then(
      (res) => {
        if (!res.ok) o.logger.warn({ room: presence.roomId, status: res.status }, 'presence report refused');
      },
      (error: unknown) => o.logger.warn({ room: presence.roomId, error: String(error) }, 'presence report not sent'),
    );
  };
}
