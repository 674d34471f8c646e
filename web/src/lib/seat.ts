/**
 * This tab's seat in a consultation (SEAT_PATTERN in sfu/protocol.ts): a random key sent with every
 * `join`. The SFU keeps a participant's admission for the seat the clinician admitted, so a reload or
 * a reconnection of this tab stays in the call, while the same link opened in another browser waits
 * to be admitted again. sessionStorage is per tab and survives reloads (a tab duplicated by the
 * browser copies it, and so shares the seat); when it is unavailable the key lives as long as the page.
 */
import { SEAT_PATTERN } from '../../../sfu/protocol.ts';

const KEY = 'vigie.call.seat';
const BYTES = 16;

/** 128 random bits, base64url (22 characters). */
export function newSeat(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(BYTES));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The seat kept for this tab, made on first use. The caller keeps it for the page's life. */
export function tabSeat(storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = sessionStorageOrNone()): string {
  try {
    const kept = storage?.getItem(KEY);
    if (kept && SEAT_PATTERN.test(kept)) return kept;
  } catch {
    // Unreadable storage: a new seat.
  }
  const seat = newSeat();
  try {
    storage?.setItem(KEY, seat);
  } catch {
    // Storage refused (a privacy setting, a full quota): the seat lasts as long as the page.
  }
  return seat;
}

function sessionStorageOrNone(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}
