/**
 * One write to the network per connection per turn of the event loop, whatever number of MQTT
 * packets aedes writes to it during that turn; alarms leave at once.
 *
 * aedes writes each packet on its own: every delivery to a subscriber runs in its own setImmediate
 * (lib/client.js, deliverQoS) and mqtt-packet uncorks the socket at the next tick, so each PUBLISH
 * and each PUBACK was one writev system call and, with TCP_NODELAY, one TCP segment the peer wakes
 * up for. Profiled under the broker benchmark (100 publishers, one subscriber), writev was 37 % of
 * the broker's busy time at 1.7 calls per message. Nagle's algorithm would merge the segments
 * (and did: the broker without TCP_NODELAY carried 13 % more) but holds a lone alarm until the
 * previous segment is acknowledged. Here the socket is corked at the first write of a turn and
 * uncorked in setImmediate: the packets of one turn leave together.
 *
 * An alarm does not wait for the end of the turn. Under the fleet's overload a turn lasted up to a
 * second, and a fall waited for two (its PUBACK, and its delivery to the ingest, written after the
 * group commit that runs in setImmediate, left at the end of the next turn). So the broker sends a
 * connection's batch as soon as an alarm is in it (`flush`), and a connection that carries only
 * alarms (the ingest's and the web service's alarm sessions) is never held (`writeThrough`).
 */
import type { Writable } from 'node:stream';

export interface WriteBatch {
  /** Sends what this turn has written to the connection so far, now. */
  flush(): void;
  /** Every write leaves at once from now on (true), or is batched per turn again (false). */
  writeThrough(on: boolean): void;
}

export function batchWrites(conn: Writable): WriteBatch {
  let corked = false;
  let through = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    conn.uncork();
  };
  const write = conn.write.bind(conn) as (...args: unknown[]) => boolean;
  conn.write = ((...args: unknown[]): boolean => {
    if (!corked && !through && !conn.destroyed) {
      corked = true;
      conn.cork();
      setImmediate(uncork);
    }
    return write(...args);
  }) as Writable['write'];
  return {
    flush: uncork,
    writeThrough(on) {
      through = on;
      if (on) uncork();
    },
  };
}
