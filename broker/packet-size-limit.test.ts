import { describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { PacketSizeLimit } from './packet-size-limit.ts';

const publish = (payloadBytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'vigie/v1/devices/w-1/vitals',
    payload: Buffer.alloc(payloadBytes, 0x61),
    qos: 1,
    messageId: 7,
    retain: false,
    dup: false,
  });
const pingreq = () => mqttPacket.generate({ cmd: 'pingreq' });
/** Remaining Length of `publish(n)`: topic length prefix and topic, packet id, payload. */
const remaining = (payloadBytes: number) => 2 + 'vigie/v1/devices/w-1/vitals'.length + 2 + payloadBytes;

/** Feeds `stream` in pieces of `step` bytes; the first problem, or null. */
function feed(limit: PacketSizeLimit, stream: Buffer, step: number) {
  for (let at = 0; at < stream.length; at += step) {
    const problem = limit.scan(stream.subarray(at, at + step));
    if (problem) return problem;
  }
  return null;
}

describe('PacketSizeLimit', () => {
  const max = remaining(1000);

  it.each([1, 2, 3, 7, 1000, 100_000])('follows packets split in pieces of %d bytes', (step) => {
    const stream = Buffer.concat([publish(1000), pingreq(), publish(0), publish(130), pingreq(), publish(1000)]);
    expect(feed(new PacketSizeLimit(max), stream, step)).toBeNull();
  });

  it.each([1, 3, 100_000])('stops at a packet one byte over the limit, after good ones (pieces of %d)', (step) => {
    const stream = Buffer.concat([publish(1000), pingreq(), publish(1001)]);
    expect(feed(new PacketSizeLimit(max), stream, step)).toMatchObject({ reason: 'packet_too_large' });
  });

  it('stops a packet announced huge from its header alone', () => {
    // PUBLISH announcing 256 MiB - 1, the most MQTT 3.1.1 can say, then a few bytes.
    const header = Buffer.from([0x32, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01]);
    expect(new PacketSizeLimit(max).scan(header)).toMatchObject({ reason: 'packet_too_large' });
  });

  it('calls a Remaining Length of five bytes malformed', () => {
    const header = Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(new PacketSizeLimit(max).scan(header)).toMatchObject({ reason: 'protocol' });
  });
});
