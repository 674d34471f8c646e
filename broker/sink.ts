/**
 * Where messages that must be acknowledged but not delivered go: a `$` topic nobody may subscribe
 * to. Two kinds: a device message the broker has already forwarded (stored for every persistent
 * subscriber before the original is acknowledged, see broker.ts #publish), and a rejected one.
 *
 * aedes acknowledges a QoS 1 PUBLISH and then hands the packet to its own publish()
 * (lib/handlers/publish.js), which runs the whole pipeline for it: a lookup of the persistent
 * sessions subscribed, an enqueue for none of them, a match in mqemitter, the `published` hook.
 * For every forwarded reading that was a second trip through the broker (profiled: the topic parsed
 * again, two trie matches, a packet copy and a handful of promises), for nothing. Here publish()
 * completes such a packet at once; every other publish goes through aedes unchanged.
 */
import type { Aedes, PublishPacket } from 'aedes';

export const SINK_TOPIC = '$vigie/sink';

type Done = (error?: Error | null) => void;

export function completeSinkPublishes(aedes: Aedes): void {
  const publish = aedes.publish.bind(aedes) as (packet: PublishPacket, client: unknown, done?: Done) => void;
  Object.assign(aedes, {
    // aedes calls publish(packet, client, done) from its handlers, publish(packet, done) from outside.
    publish(packet: PublishPacket, client: unknown, done?: Done): void {
      if (packet.topic !== SINK_TOPIC) return publish(packet, client, done);
      const callback = typeof client === 'function' ? (client as Done) : done;
      // Never synchronously: aedes reads the connection's next packets from this callback.
      if (callback) queueMicrotask(() => callback(null));
    },
  });
}
