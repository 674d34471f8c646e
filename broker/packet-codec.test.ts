import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, StoredPacketError } from './packet-codec.ts';
import type { PersistedPacket } from './persistence.ts';

const reading = {
  cmd: 'publish',
  brokerId: 'vigie-broker-0a1b2c3d4e5f',
  brokerCounter: 4_294_967_301, // beyond 32 bits
  topic: 'vigie/v1/devices/w-1/vitals',
  payload: Buffer.from('{"seq":1,"ts":1764400000000,"hr":72}'),
  qos: 1,
  retain: false,
  dup: false,
  messageId: undefined,
} as unknown as PersistedPacket;

const as = (p: object) => p as unknown as PersistedPacket;

describe('the stored-packet codec', () => {
  it.each([
    ['a queued reading (messageId present but undefined)', reading],
    ['a sent reading with its packet id', as({ ...reading, messageId: 65_535, dup: true })],
    [
      'a retained status without broker fields',
      as({
        cmd: 'publish',
        topic: 'vigie/v1/devices/w-1/status',
        payload: Buffer.from('online'),
        qos: 1,
        retain: true,
        dup: false,
      }),
    ],
    ['a will with its client id', as({ ...reading, clientId: 'w-1', payload: Buffer.from('offline') })],
    ['QoS 0 with an empty payload', as({ ...reading, qos: 0, payload: Buffer.alloc(0), messageId: 7 })],
    ['QoS 2, UTF-8 topic', as({ ...reading, qos: 2, topic: 'vigie/v1/é/ü' })],
    [
      'brokerId and brokerCounter present but undefined',
      as({ ...reading, brokerId: undefined, brokerCounter: undefined }),
    ],
  ])('stores %s compactly and reads back the same object', (_name, packet) => {
    const blob = encodePacket(packet);
    expect(blob[0]).toBe(0x01);
    expect(blob.length).toBeLessThan(serialize({ ...packet }).length);
    // Strict: a key present with undefined is not the same as no key (aedes' suite compares so).
    expect(decodePacket(blob)).toStrictEqual({ ...packet });
  });

  it.each([
    ['a PUBREL', as({ cmd: 'pubrel', messageId: 3, brokerId: 'b', brokerCounter: 1 })],
    ['MQTT 5 properties', as({ ...reading, properties: { userProperties: { a: '1' } } })],
    ['a no-local flag', as({ ...reading, nl: true })],
    ['a packet id beyond 16 bits', as({ ...reading, messageId: 70_000 })],
    ['a payload that is a string', as({ ...reading, payload: 'text' })],
  ])('stores %s with v8.serialize, as before, and reads it back', (_name, packet) => {
    const blob = encodePacket(packet);
    expect(blob[0]).toBe(0xff);
    expect(decodePacket(blob)).toStrictEqual({ ...packet });
  });

  it('reads packets stored by the release before it (v8.serialize)', () => {
    expect(decodePacket(serialize({ ...reading }))).toStrictEqual({ ...reading });
  });

  it.each([
    ['an empty blob', Buffer.alloc(0), 'empty stored packet'],
    ['an unknown format', Buffer.from([0x02, 0, 0]), 'stored packet of unknown format 2'],
    ['a truncated header', encodePacket(reading).subarray(0, 10), 'stored packet truncated at byte 5'],
    ['a truncated topic', encodePacket(reading).subarray(0, 50), 'stored packet truncated at byte 44'],
    ['QoS 3', Buffer.from([0x01, 0x03, 0, ...Buffer.alloc(16)]), 'stored packet with QoS 3'],
  ])('refuses %s with a reason', (_name, blob, reason) => {
    expect(() => decodePacket(blob)).toThrow(new StoredPacketError(reason));
  });
});
