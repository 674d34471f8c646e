import { describe, expect, it } from 'vitest';
import { handledCalls, markHandled, RING_MS, ringsUntil } from './ring.ts';

const call = { roomId: 'c-1', startedAt: 1_000, expiresAt: 9_000_000, caller: 'Dr Martin' };

function memory(): Pick<Storage, 'getItem' | 'setItem'> {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

describe('ringing', () => {
  it('rings for RING_MS from the opening, and not at all once handled', () => {
    expect(ringsUntil(call, [])).toBe(1_000 + RING_MS);
    expect(ringsUntil(call, ['c-0', 'c-1'])).toBe(0);
  });

  it('remembers the handled calls, and survives a damaged record', () => {
    const s = memory();
    expect(handledCalls(s)).toEqual([]);
    expect(markHandled(s, 'c-1')).toEqual(['c-1']);
    expect(markHandled(s, 'c-2')).toEqual(['c-1', 'c-2']);
    expect(markHandled(s, 'c-1')).toEqual(['c-2', 'c-1']);
    s.setItem('vigie.calls.handled', '{oops');
    expect(handledCalls(s)).toEqual([]);
    s.setItem('vigie.calls.handled', '[1,"c-3"]');
    expect(handledCalls(s)).toEqual(['c-3']);
  });
});
