/**
 * An MQTT subscriber over a raw TCP socket, for tests of what the broker does to a subscriber that
 * stops reading (`socket.pause()`): MQTT.js reads whatever arrives.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { expect } from 'vitest';
import { eventually } from './mqtt.ts';

export interface RawSubscriber {
  readonly socket: Socket;
  /** Every packet read so far. */
  readonly packets: Packet[];
}

/** Connects (no keep-alive: a paused socket sends no PINGREQ), subscribes, resolves on the SUBACK. */
export async function rawSubscriber(
  port: number,
  o: {
    clientId: string;
    username: string;
    password: string;
    clean: boolean;
    subscriptions: Array<{ topic: string; qos: 0 | 1 }>;
  },
): Promise<RawSubscriber> {
  const socket = tcpConnect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  const send = (p: Packet) => socket.write(mqttPacket.generate(p));
  send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: o.clean,
    clientId: o.clientId,
    keepalive: 0,
    username: o.username,
    password: Buffer.from(o.password),
  });
  send({ cmd: 'subscribe', messageId: 1, subscriptions: o.subscriptions });
  await eventually(() => expect(packets.some((p) => p.cmd === 'suback')).toBe(true));
  return { socket, packets };
}
