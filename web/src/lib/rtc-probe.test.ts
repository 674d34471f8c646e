import { describe, expect, it } from 'vitest';
import type { HandlerFactory } from 'mediasoup-client/handlers/HandlerInterface';
import type { types } from 'mediasoup-client';
import { probingOnce } from './rtc-probe.ts';

/** A handler factory whose probes answer from a script, counting each question by direction. */
function scripted(answers: Array<'ok' | 'fail'>): { base: HandlerFactory; asked: string[] } {
  const asked: string[] = [];
  const base: HandlerFactory = {
    name: 'Scripted',
    factory: () => {
      throw new Error('not used here');
    },
    getNativeRtpCapabilities: ({ direction }) => {
      asked.push(direction);
      const caps: types.RtpCapabilities = {
        codecs: [],
        headerExtensions: [{ kind: 'audio', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: asked.length }],
      };
      return answers.shift() === 'fail' ? Promise.reject(new Error('probe failed')) : Promise.resolve(caps);
    },
  };
  return { base, asked };
}

describe('probingOnce', () => {
  it('asks the browser once per direction, however many devices load', async () => {
    const { base, asked } = scripted(['ok', 'ok']);
    const handler = probingOnce(base);
    const early = handler.getNativeRtpCapabilities({ direction: 'recvonly' });
    const first = await handler.getNativeRtpCapabilities({ direction: 'recvonly' });
    const send = await handler.getNativeRtpCapabilities({ direction: 'sendonly' });
    expect(await early).toBe(first);
    expect(await handler.getNativeRtpCapabilities({ direction: 'recvonly' })).toBe(first);
    expect(await handler.getNativeRtpCapabilities({ direction: 'sendonly' })).toBe(send);
    expect(asked).toEqual(['recvonly', 'sendonly']);
    expect(handler.name).toBe('Scripted');
  });

  it('forgets a failed probe, so the next device asks again', async () => {
    const { base, asked } = scripted(['fail', 'ok']);
    const handler = probingOnce(base);
    await expect(handler.getNativeRtpCapabilities({ direction: 'recvonly' })).rejects.toThrow('probe failed');
    const caps = await handler.getNativeRtpCapabilities({ direction: 'recvonly' });
    expect(caps.headerExtensions?.[0]?.preferredId).toBe(2);
    expect(asked).toEqual(['recvonly', 'recvonly']);
  });
});
