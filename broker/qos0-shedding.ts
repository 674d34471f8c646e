/**
 * QoS 0 messages to a subscriber that reads more slowly than they come are dropped (counted), not
 * queued in front of what follows them: at most once is what the publisher asked for, and what
 * follows may be an alarm.
 *
 * Why: aedes writes a QoS 0 message to the subscriber's connection and, when the connection's buffer
 * is full, calls mqemitter back only once it has drained (lib/client.js deliverQoS0, lib/write.js
 * waitForDrain). mqemitter routes `MQ_CONCURRENCY` messages at a time; a subscriber that stops
 * reading (the web service's event loop busy with live values during an overload) held one slot per
 * message until every slot was held and the broker routed nothing more, falls included, and read no
 * more from the publisher of those messages (the ingest's live connection timed out on keep-alive).
 * Here a QoS 0 message to a connection with `maxBacklogBytes` or more waiting to be written is
 * dropped, and one below that is written without waiting for the drain: the backlog stays bounded,
 * so a QoS 1 message (an alert change) behind it waits for that much at most.
 *
 * aedes calls `client.deliver0` for every QoS 0 delivery (its subscription handlers take it at
 * subscribe time, so this is installed at CONNECT, before any subscription is restored or made).
 * qos0-shedding.test.ts fails if aedes stops doing so.
 */
import type { Client } from 'aedes';
import type { Writable } from 'node:stream';

/** Four live-values messages of the largest size (common/live-values.ts). */
export const QOS0_BACKLOG_BYTES = 256 * 1024;

type Deliver = (packet: unknown, done: () => void) => void;

const noop = (): void => undefined;

export function shedQos0(client: Client, options: { maxBacklogBytes: number; onDropped: () => void }): void {
  const deliver0: unknown = Reflect.get(client, 'deliver0');
  const conn: unknown = Reflect.get(client, 'conn');
  if (typeof deliver0 !== 'function' || !isWritable(conn))
    throw new TypeError('aedes Client has no deliver0 or conn: broker/qos0-shedding.ts needs updating');
  const deliver = deliver0.bind(client) as Deliver;
  const shed: Deliver = (packet, done) => {
    if (conn.writableLength >= options.maxBacklogBytes) {
      options.onDropped();
      return void setImmediate(done);
    }
    // aedes writes in a setImmediate of its own, scheduled before this one: the message is written
    // before mqemitter moves on, as before, but mqemitter no longer waits for the connection to drain.
    deliver(packet, noop);
    setImmediate(done);
  };
  Reflect.set(client, 'deliver0', shed);
}

function isWritable(x: unknown): x is Writable {
  return typeof x === 'object' && x !== null && typeof (x as { writableLength?: unknown }).writableLength === 'number';
}
