/**
 * An MQTT subscriber over a raw byte stream, for tests of what the broker does to a subscriber that
 * stops reading (`socket.pause()`): MQTT.js reads whatever arrives.
 */
import { connect as tcpConnect } from 'node:net';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { expect } from 'vitest';
import { eventually } from './mqtt.ts';
import type { VigieBroker } from '../../broker/broker.ts';

export interface RawSubscriber {
  readonly socket: Duplex;
  /** Every packet read so far. */
  readonly packets: Packet[];
}

/**
 * Connects (no keep-alive: a paused socket sends no PINGREQ), subscribes, resolves on the SUBACK.
 * `to`: the broker's TCP port, or the broker itself for an in-memory connection (`streamPair`), whose
 * writes wait as soon as this subscriber's buffer is full once it stops reading: no kernel buffers
 * in between that take megabytes more, and more as they grow.
 */
export async function rawSubscriber(
  to: number | VigieBroker,
  o: {
    clientId: string;
    username: string;
    password: string;
    clean: boolean;
    subscriptions: Array<{ topic: string; qos: 0 | 1 }>;
  },
): Promise<RawSubscriber> {
  let socket: Duplex;
  if (typeof to === 'number') {
    socket = tcpConnect({ port: to, host: '127.0.0.1' });
    await once(socket, 'connect');
  } else {
    const [brokerEnd, ours] = streamPair();
    to.accept(brokerEnd, 'in-memory');
    socket = ours;
  }
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

/** One end of an in-memory byte stream: what it writes, its peer reads. */
class StreamEnd extends Duplex {
  peer!: StreamEnd;
  /** The callback of this end's last write, held until the peer's reader has room again. */
  held: (() => void) | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (this.peer.push(chunk)) done();
    else this.held = done;
  }

  override _read(): void {
    const held = this.peer.held;
    this.peer.held = undefined;
    held?.();
  }

  override _final(done: () => void): void {
    this.peer.push(null);
    done();
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.destroy();
    done(error);
  }
}

/** Two connected ends of an in-memory byte stream, each buffering what the other has not read (16 KiB). */
export function streamPair(): [Duplex, Duplex] {
  const a = new StreamEnd();
  const b = new StreamEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
