/** aedes' Redis persistence, for cluster mode (BrokerOptions.redisUrl). */
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js';
import { Readable } from 'node:stream';

/**
 * aedes-persistence-redis 11 (the release aedes 1.2 names) returns async generators where aedes
 * pipes streams (a retained message on SUBSCRIBE threw "stream.pipe is not a function"): wrapped.
 */
export class RedisPersistence extends AsyncRedisPersistence {
  override createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(super.createRetainedStreamCombi(patterns));
  }
  override outgoingStream(client: unknown): Readable {
    return Readable.from(super.outgoingStream(client));
  }
  override streamWill(brokers?: unknown): Readable {
    return Readable.from(super.streamWill(brokers));
  }
  override getClientList(topic: string): Readable {
    return Readable.from(super.getClientList(topic));
  }
}
