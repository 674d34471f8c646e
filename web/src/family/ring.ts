/**
 * When an invitation to a consultation rings on a person's page: from the moment it was opened, for
 * RING_MS, unless this page already answered it or said "not now". After that, a card stays, to join
 * later. The pages that answered are remembered for the tab's life (sessionStorage), so a reload or a
 * reconnection does not ring again.
 */
import type { CallOffer } from '../../api/schemas.ts';

export const RING_MS = 2 * 60_000;
const KEY = 'vigie.calls.handled';

/** Until when this invitation rings (epoch ms); 0 once handled. */
export function ringsUntil(call: CallOffer, handled: readonly string[]): number {
  return handled.includes(call.roomId) ? 0 : call.startedAt + RING_MS;
}

export function handledCalls(storage: Pick<Storage, 'getItem'>): string[] {
  try {
    const list: unknown = JSON.parse(storage.getItem(KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function markHandled(storage: Pick<Storage, 'getItem' | 'setItem'>, roomId: string): string[] {
  const list = [...handledCalls(storage).filter((r) => r !== roomId), roomId].slice(-20);
  storage.setItem(KEY, JSON.stringify(list));
  return list;
}
