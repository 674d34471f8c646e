/**
 * One write to the network per connection per turn of the event loop, whatever number of MQTT
 * packets aedes writes to it during that turn.
 *
 * aedes writes each packet on its own: every delivery to a subscriber runs in its own setImmediate
 * (lib/client.js, deliverQoS) and mqtt-packet uncorks the socket at the next tick, so each PUBLISH
 * and each PUBACK was one writev system call and, with TCP_NODELAY, one TCP segment the peer wakes
 * up for. Profiled under the broker benchmark (100 publishers, one subscriber), writev was 37 % of
 * the broker's busy time at 1.7 calls per message. Nagle's algorithm would merge the segments
 * (and did: the broker without TCP_NODELAY carried 13 % more) but holds a lone alarm until the
 * previous segment is acknowledged. Here the socket is corked at the first write of a turn and
 * uncorked in setImmediate: the packets of one turn leave together, and a lone alarm leaves at the
 * end of the turn that wrote it, without waiting for anything from the peer.
 */
import type { Writable } from 'node:stream';

export function batchWrites(conn: Writable): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    conn.uncork();
  };
  const write = conn.write.bind(conn) as (...args: unknown[]) => boolean;
  conn.write = ((...args: unknown[]): boolean => {
    if (!corked && !conn.destroyed) {
      corked = true;
      conn.cork();
      setImmediate(uncork);
    }
    return write(...args);
  }) as Writable['write'];
}
