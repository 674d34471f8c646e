import { describe, expect, it, vi } from 'vitest';
import { backToWhereTheyWere } from './return.ts';

function tab(opener: { focus: () => void } | null, historyLength: number) {
  const back = vi.fn();
  return { opener, close: vi.fn(), back, history: { length: historyLength, back } as unknown as History };
}

describe('after hanging up', () => {
  it('brings the console that opened the tab to the front and closes the tab', () => {
    const console = { focus: vi.fn() };
    const w = tab(console, 1);
    backToWhereTheyWere(w);
    expect(console.focus).toHaveBeenCalledOnce();
    expect(w.close).toHaveBeenCalledOnce();
    expect(w.back).not.toHaveBeenCalled();
  });

  it('goes back to the previous page when the call replaced it, and stays when there is none', () => {
    const replaced = tab(null, 3);
    backToWhereTheyWere(replaced);
    expect(replaced.back).toHaveBeenCalledOnce();
    expect(replaced.close).not.toHaveBeenCalled();
    const alone = tab(null, 1);
    backToWhereTheyWere(alone);
    expect(alone.back).not.toHaveBeenCalled();
    expect(alone.close).not.toHaveBeenCalled();
  });
});
