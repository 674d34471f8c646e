import { describe, expect, it } from 'vitest';
import { newSeat, tabSeat } from './seat.ts';
import { SEAT_PATTERN } from '../../../sfu/protocol.ts';

function storage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
  };
}

describe('seat', () => {
  it('is 128 random bits in base64url, accepted by the protocol', () => {
    expect(newSeat(() => new Uint8Array(16).fill(0xff))).toBe('_____________________w');
    const seats = new Set(Array.from({ length: 100 }, () => newSeat()));
    expect(seats.size).toBe(100);
    for (const s of seats) expect(s).toMatch(SEAT_PATTERN);
  });

  it('is kept for the tab: a reload reads the same seat, another tab gets its own', () => {
    const tab = storage();
    const first = tabSeat(tab);
    expect(tab.items.get('vigie.call.seat')).toBe(first);
    expect(tabSeat(tab)).toBe(first);
    expect(tabSeat(storage())).not.toBe(first);
  });

  it('replaces a kept value the protocol would refuse', () => {
    const tab = storage({ 'vigie.call.seat': 'short' });
    const seat = tabSeat(tab);
    expect(seat).toMatch(SEAT_PATTERN);
    expect(tab.items.get('vigie.call.seat')).toBe(seat);
  });

  it('still gives a seat when storage is unavailable or refuses to keep it', () => {
    const refusing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(tabSeat(refusing)).toMatch(SEAT_PATTERN);
    expect(tabSeat(undefined)).toMatch(SEAT_PATTERN);
  });
});
