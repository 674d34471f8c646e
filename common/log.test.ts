import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { rateLimitedWarn } from './log.ts';

describe('rateLimitedWarn', () => {
  it('logs once per key and interval, then says how many were suppressed', () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(JSON.parse(chunk.toString()));
        cb();
      },
    });
    let now = 0;
    const warn = rateLimitedWarn(pino({}, sink), 1000, () => now);
    warn('a', { deviceId: 'w-1' }, 'bad');
    warn('a', { deviceId: 'w-1' }, 'bad');
    warn('b', { deviceId: 'w-2' }, 'bad');
    now = 999;
    warn('a', {}, 'bad');
    now = 1000;
    warn('a', { deviceId: 'w-1' }, 'bad');
    expect(lines.map((l) => [l.deviceId, l.suppressed])).toEqual([
      ['w-1', undefined],
      ['w-2', undefined],
      ['w-1', 2],
    ]);
  });
});
