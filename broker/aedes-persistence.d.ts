// aedes-persistence types its package entry only; these are the files we import directly. The class
// is declared here (as in its types/asyncPersistence.d.ts) with what it really returns: a packet
// that is not found is `undefined`.
declare module 'aedes-persistence/asyncPersistence.js' {
  import type { Readable } from 'node:stream';
  import type { Aedes, Client, Subscription } from 'aedes';
  import type { AedesPacket } from 'aedes-packet';

  /** The in-memory persistence aedes uses by default (async API, as aedes 1.x requires). */
  export default class MemoryPersistence {
    setup(broker: Aedes): Promise<void>;
    storeRetained(packet: AedesPacket): Promise<void>;
    createRetainedStream(pattern: string): Readable;
    createRetainedStreamCombi(patterns: string[]): Readable;
    addSubscriptions(client: Pick<Client, 'id'>, subs: Subscription[]): Promise<void>;
    removeSubscriptions(client: Pick<Client, 'id'>, topics: string[]): Promise<void>;
    subscriptionsByClient(client: Pick<Client, 'id'>): Promise<Subscription[]>;
    countOffline(): Promise<{ subsCount: number; clientsCount: number }>;
    subscriptionsByTopic(pattern: string): Promise<Array<Subscription & { clientId: string }>>;
    cleanSubscriptions(client: Pick<Client, 'id'>): Promise<void>;
    outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void>;
    outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: AedesPacket): Promise<void>;
    outgoingUpdate(client: Pick<Client, 'id'>, packet: AedesPacket): Promise<void>;
    outgoingClearMessageId(client: Pick<Client, 'id'>, packet: AedesPacket): Promise<AedesPacket | undefined>;
    outgoingStream(client: Pick<Client, 'id'>): Readable;
    incomingStorePacket(client: Pick<Client, 'id'>, packet: AedesPacket): Promise<void>;
    incomingGetPacket(client: Pick<Client, 'id'>, packet: AedesPacket): Promise<AedesPacket>;
    incomingDelPacket(client: Pick<Client, 'id'>, packet: AedesPacket): Promise<void>;
    cleanIncoming(client: Pick<Client, 'id'>): Promise<void>;
    putWill(client: Pick<Client, 'id'>, packet: AedesPacket): Promise<void>;
    getWill(client: Pick<Client, 'id'>): Promise<AedesPacket | undefined>;
    delWill(client: Pick<Client, 'id'>): Promise<AedesPacket | undefined>;
    streamWill(brokers?: Record<string, unknown>): Readable;
    getClientList(topic: string): Readable;
    destroy(): Promise<void>;
  }
}
declare module 'aedes-persistence/abstract.js' {
  /** aedes-persistence's conformance suite (node:test). */
  export default function abstractPersistence(options: {
    test: unknown;
    persistence: () => unknown;
    testAsync?: boolean;
  }): void;
}
