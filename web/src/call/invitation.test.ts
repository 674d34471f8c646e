import { describe, expect, it } from 'vitest';
import { readInvitation } from './invitation.ts';

function storage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('invitation link', () => {
  it('takes the token from the fragment, keeps it for a reload and clears the address bar', () => {
    const s = storage();
    const replaced: string[] = [];
    const history = {
      replaceState: (_d: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)),
    };
    expect(readInvitation({ pathname: '/call/c-1', hash: '#abc.def.ghi', search: '?lang=en' }, s, history)).toEqual({
      roomId: 'c-1',
      token: 'abc.def.ghi',
    });
    expect(replaced).toEqual(['/call/c-1?lang=en']);
    expect(readInvitation({ pathname: '/call/c-1', hash: '', search: '' }, s)).toEqual({
      roomId: 'c-1',
      token: 'abc.def.ghi',
    });
  });
  it('has nothing without a room or a token', () => {
    expect(readInvitation({ pathname: '/call/', hash: '#t', search: '' }, storage())).toBeUndefined();
    expect(readInvitation({ pathname: '/call/c-2', hash: '', search: '' }, storage())).toBeUndefined();
    expect(readInvitation({ pathname: '/call/../etc', hash: '#t', search: '' }, storage())).toBeUndefined();
  });
});
