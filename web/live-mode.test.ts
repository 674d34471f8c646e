import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/log.ts';
import { GRACE_MS, LIVE_SECONDS, LiveMode, RENEW_MS, liveCommand, type LiveCommand } from './live-mode.ts';

function setup(watches: Record<string, readonly string[]> = { p1: ['w1', 'w2'], p2: ['w3'] }) {
  const clock = { now: 1_000_000 };
  const sent: Array<{ deviceId: string; command: LiveCommand }> = [];
  const changes: Array<[string, boolean]> = [];
  const mode = new LiveMode({
    watchesOf: (id) => watches[id] ?? [],
    publish: (deviceId, command) => sent.push({ deviceId, command }),
    now: () => clock.now,
    logger: createLogger('test', 'silent'),
  });
  mode.onChange((id, live) => changes.push([id, live]));
  const advance = (ms: number) => {
    clock.now += ms;
    mode.tick();
  };
  return { clock, sent, changes, mode, advance };
}

describe('liveCommand', () => {
  it('is the agreed shape, with a fresh id each time', () => {
    const a = liveCommand(120);
    const b = liveCommand(120);
    expect(a).toEqual({ id: expect.any(String), type: 'live', seconds: 120 });
    expect(Object.keys(a).sort()).toEqual(['id', 'seconds', 'type']);
    expect(a.id).not.toBe(b.id);
    expect(liveCommand(0).seconds).toBe(0);
  });

  it.each([-1, 1.5, 601, Number.NaN])('refuses %s seconds, as a watch would', (seconds) => {
    expect(() => liveCommand(seconds)).toThrow(TypeError);
  });
});

describe('LiveMode', () => {
  it('commands every watch of the patient when the first viewer arrives, not again for the second', () => {
    const { sent, mode, changes } = setup();
    mode.watch('p1');
    expect(sent.map((s) => [s.deviceId, s.command.seconds])).toEqual([
      ['w1', LIVE_SECONDS],
      ['w2', LIVE_SECONDS],
    ]);
    mode.watch('p1');
    expect(sent).toHaveLength(2);
    expect(mode.isLive('p1')).toBe(true);
    expect(mode.isLive('p2')).toBe(false);
    expect(changes).toEqual([['p1', true]]);
    expect(mode.commandsSent).toBe(2);
  });

  it('renews every 60 s while someone watches, not before', () => {
    const { sent, mode, advance } = setup({ p1: ['w1'] });
    mode.watch('p1');
    advance(RENEW_MS - 1);
    expect(sent).toHaveLength(1);
    advance(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.command.seconds).toBe(LIVE_SECONDS);
    advance(RENEW_MS);
    expect(sent).toHaveLength(3);
  });

  it('keeps the patient live through the grace after the last viewer left, then sends seconds 0 once', () => {
    const { sent, mode, advance, changes } = setup({ p1: ['w1'] });
    const leave = mode.watch('p1');
    advance(30_000);
    leave();
    expect(mode.isLive('p1')).toBe(true);
    advance(GRACE_MS - 30_000 - 1);
    expect(mode.isLive('p1')).toBe(true);
    const before = sent.length;
    advance(30_001);
    expect(mode.isLive('p1')).toBe(false);
    expect(sent.slice(before).map((s) => s.command.seconds)).toEqual([0]);
    expect(changes).toEqual([
      ['p1', true],
      ['p1', false],
    ]);
    const after = sent.length;
    advance(10 * RENEW_MS);
    expect(sent).toHaveLength(after);
  });

  it('a page reload within the grace does not flap the watch', () => {
    const { sent, mode, advance, changes } = setup({ p1: ['w1'] });
    const leave = mode.watch('p1');
    leave();
    advance(5_000);
    mode.watch('p1');
    advance(GRACE_MS + RENEW_MS);
    expect(mode.isLive('p1')).toBe(true);
    expect(sent.every((s) => s.command.seconds === LIVE_SECONDS)).toBe(true);
    expect(changes).toEqual([['p1', true]]);
  });

  it('two viewers, one leaves: still live after the grace, renewals go on', () => {
    const { sent, mode, advance } = setup({ p1: ['w1'] });
    const first = mode.watch('p1');
    mode.watch('p1');
    first();
    first(); // leaving twice counts once
    advance(RENEW_MS);
    advance(GRACE_MS - RENEW_MS + 1);
    expect(mode.isLive('p1')).toBe(true);
    expect(sent.map((s) => s.command.seconds)).toEqual([LIVE_SECONDS, LIVE_SECONDS, LIVE_SECONDS]);
  });

  it('a patient without a watch is live (the console shows it) with no command sent', () => {
    const { sent, mode } = setup({});
    mode.watch('p9');
    expect(mode.isLive('p9')).toBe(true);
    expect(sent).toEqual([]);
  });

  it('one throwing listener does not stop the others', () => {
    const { mode } = setup();
    const seen: string[] = [];
    mode.onChange(() => {
      throw new Error('boom');
    });
    mode.onChange((id) => seen.push(id));
    mode.watch('p2');
    expect(seen).toEqual(['p2']);
  });
});
