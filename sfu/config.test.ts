import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/config.ts';
import { readSfuConfig } from './config.ts';
import { DEFAULT_SIGNALLING_LIMITS, joinSequenceLength } from './signalling-limits.ts';

const secret = { VIGIE_CALL_SECRET: 'x'.repeat(32) };

describe('SFU configuration: signalling limits', () => {
  it('defaults to the documented limits, which hold a call page joining a full room twice over', () => {
    const c = readSfuConfig(secret);
    expect({
      joinTimeoutMs: c.SFU_JOIN_TIMEOUT_MS,
      maxSocketsPerClient: c.SFU_MAX_SOCKETS_PER_CLIENT,
      messagesPerSecond: c.SFU_MESSAGES_PER_SECOND,
      messageBurst: c.SFU_MESSAGE_BURST,
    }).toEqual(DEFAULT_SIGNALLING_LIMITS);
    expect(joinSequenceLength(c.SFU_MAX_PARTICIPANTS_PER_ROOM) * 2).toBeLessThanOrEqual(c.SFU_MESSAGE_BURST);
  });

  it('reads each limit from the environment', () => {
    const c = readSfuConfig({
      ...secret,
      SFU_JOIN_TIMEOUT_MS: '2000',
      SFU_MAX_SOCKETS_PER_CLIENT: '200',
      SFU_MESSAGES_PER_SECOND: '50',
      SFU_MESSAGE_BURST: '300',
    });
    expect([
      c.SFU_JOIN_TIMEOUT_MS,
      c.SFU_MAX_SOCKETS_PER_CLIENT,
      c.SFU_MESSAGES_PER_SECOND,
      c.SFU_MESSAGE_BURST,
    ]).toEqual([2000, 200, 50, 300]);
  });

  it.each([
    ['SFU_JOIN_TIMEOUT_MS', { SFU_JOIN_TIMEOUT_MS: '99' }],
    ['SFU_MAX_SOCKETS_PER_CLIENT', { SFU_MAX_SOCKETS_PER_CLIENT: '0' }],
    ['SFU_MESSAGES_PER_SECOND', { SFU_MESSAGES_PER_SECOND: 'fast' }],
    // A room of 6 needs a burst of joinSequenceLength(6).
    ['SFU_MESSAGE_BURST', { SFU_MESSAGE_BURST: String(joinSequenceLength(6) - 1) }],
    ['SFU_MESSAGE_BURST', { SFU_MAX_PARTICIPANTS_PER_ROOM: '20', SFU_MESSAGE_BURST: '100' }],
  ])('refuses %s in %j', (name, environment) => {
    let problems = 'accepted';
    try {
      readSfuConfig({ ...secret, ...environment });
    } catch (error) {
      problems = error instanceof ConfigError ? error.problems.join('\n') : String(error);
    }
    expect(problems).toContain(`${name}:`);
  });
});

describe('SFU configuration: presence reports', () => {
  it('reports to the web service only when SFU_WEB_URL names it', () => {
    expect(readSfuConfig(secret).SFU_WEB_URL).toBeUndefined();
    expect(readSfuConfig({ ...secret, SFU_WEB_URL: '' }).SFU_WEB_URL).toBeUndefined();
    expect(readSfuConfig({ ...secret, SFU_WEB_URL: 'http://127.0.0.1:8080' }).SFU_WEB_URL).toBe(
      'http://127.0.0.1:8080',
    );
    expect(() => readSfuConfig({ ...secret, SFU_WEB_URL: 'web service' })).toThrow(ConfigError);
  });
});
