/**
 * The broker's persistence: aedes' own in-memory persistence (subscription trie, retained messages)
 * for every read, written through to one SQLite file so that QoS 1/2 sessions, queued messages,
 * retained messages and wills survive a restart.
 *
 * Why not aedes-persistence-level (used before): it costs about seven LevelDB calls per QoS 1 message
 * for each persistent subscriber (enqueue; two gets and three puts to give the packet its id; a batch
 * to clear it). Profiled in the demo with 1,000 watches at 1 Hz, the broker spent most of its time
 * there and acknowledged only ~550 messages/s. Here a queued message is one INSERT and one DELETE,
 * the writes of one event-loop turn share a transaction (group commit), and the same run keeps up
 * (1,000/s acknowledged, broker half idle). A write's promise resolves once its transaction is
 * committed, so aedes acknowledges a message only after it is stored for every persistent session.
 *
 * An alarm (`urgent`: a fall or SOS, an alert change) is not kept for the group commit at the end
 * of the turn: its write commits at once, with whatever the turn had written before it. Under the
 * fleet's overload a turn lasted up to a second, and a fall waited for the rest of it.
 *
 * Durability: WAL with synchronous=NORMAL, like the ingest's queue: a commit survives the process
 * being killed, not a power cut of the machine.
 */
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import { Readable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import { decodePacket, encodePacket } from './packet-codec.ts';
import type Database from 'better-sqlite3';
import type { Aedes, Client, Subscription } from 'aedes';
import type { AedesPacket } from 'aedes-packet';
import type { Migration } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';

/** What the persistence handles: PUBLISH packets (and a PUBREL that replaces one, QoS 2). */
export type PersistedPacket = AedesPacket & {
  cmd: string;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
};
type Packet = PersistedPacket;
/** A queued message: its delivery (broker id and counter) and its row (kept when a PUBREL replaces the PUBLISH). */
interface Queued {
  packet: Packet;
  readonly brokerId: string;
  readonly counter: number;
  readonly seq: number;
  /** The connection it was last sent on (see DurablePersistence#connection). */
  sentOn?: number;
}

/**
 * One client's queue of QoS > 0 messages, in order, indexed by delivery (broker id and counter) and by
 * packet id. aedes' in-memory persistence scans an array on every send and every PUBACK, which is
 * quadratic in the queue's length: with 19,000 watches at 1 Hz the ingest's queue grew to hundreds
 * of thousands and the broker spent all its CPU scanning it (acknowledging 57 messages/s).
 * A delivery lookup matches what the scan would find first; a miss falls back to the scan.
 *
 * A PUBACK matches only a message sent on the connection it came on, the oldest sent first. When a
 * client comes back, aedes resends its queue with the packet ids of the connection before, and
 * numbers new deliveries from a random start without looking at those ids: a new message can take
 * the id of an old one not resent yet (and beyond 65,535 queued messages, must). Matched by id
 * alone, the new message's PUBACK removed the old one, whose resending then failed ("no such
 * packet"): the subscriber was disconnected, and the old message was never delivered again.
 */
class OutgoingQueue {
  readonly #entries = new Set<Queued>();
  /** By broker id, then counter: no key string to build and hash for every message. */
  readonly #byDelivery = new Map<string, Map<number, Queued>>();
  /** Sent messages by packet id, in the order they were sent (on any connection: see `sentOn`). */
  readonly #sent = new Map<number, Queued[]>();

  get length(): number {
    return this.#entries.size;
  }

  push(q: Queued): void {
    this.#entries.add(q);
    let counters = this.#byDelivery.get(q.brokerId);
    if (!counters) this.#byDelivery.set(q.brokerId, (counters = new Map<number, Queued>()));
    if (!counters.has(q.counter)) counters.set(q.counter, q);
  }

  /** The oldest message of that delivery (the packet's broker id and counter). */
  byDelivery(brokerId: string, counter: number): Queued | undefined {
    const q = this.#byDelivery.get(brokerId)?.get(counter);
    return q ?? this.find((e) => e.packet.brokerId === brokerId && e.packet.brokerCounter === counter);
  }

  /** The oldest message sent with that packet id on that connection. */
  byMessageId(messageId: number | undefined, connection: number): Queued | undefined {
    if (messageId === undefined) return undefined;
    return this.#sent.get(messageId)?.find((q) => q.sentOn === connection);
  }

  /** The message is being sent with that packet id on that connection. */
  sent(q: Queued, messageId: number | undefined, connection: number): void {
    this.#unsend(q);
    q.packet.messageId = messageId;
    q.sentOn = connection;
    if (messageId === undefined) return;
    const same = this.#sent.get(messageId);
    if (same) same.push(q);
    else this.#sent.set(messageId, [q]);
  }

  delete(q: Queued): void {
    this.#entries.delete(q);
    const counters = this.#byDelivery.get(q.brokerId);
    if (counters?.get(q.counter) === q) {
      counters.delete(q.counter);
      if (counters.size === 0) this.#byDelivery.delete(q.brokerId);
    }
    this.#unsend(q);
  }

  find(predicate: (q: Queued) => boolean): Queued | undefined {
    for (const q of this.#entries) if (predicate(q)) return q;
    return undefined;
  }

  packets(): Packet[] {
    return Array.from(this.#entries, (q) => q.packet);
  }

  #unsend(q: Queued): void {
    const id = q.packet.messageId;
    if (id === undefined) return;
    const same = this.#sent.get(id);
    const at = same?.indexOf(q) ?? -1;
    if (at < 0) return;
    if (same!.length === 1) this.#sent.delete(id);
    else same!.splice(at, 1);
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, packet BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL, sub BLOB NOT NULL, PRIMARY KEY (client_id, topic));
  CREATE TABLE IF NOT EXISTS outgoing (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, broker_id TEXT NOT NULL, counter INTEGER NOT NULL, packet BLOB NOT NULL);
  CREATE UNIQUE INDEX IF NOT EXISTS outgoing_key ON outgoing (client_id, broker_id, counter);
  CREATE TABLE IF NOT EXISTS incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet BLOB NOT NULL, PRIMARY KEY (client_id, message_id));
  CREATE TABLE IF NOT EXISTS wills (client_id TEXT PRIMARY KEY, packet BLOB NOT NULL);
`;

/**
 * Queued messages keyed by a sequence number the persistence hands out itself: each enqueue is one
 * append to the table's b-tree and each acknowledgement one delete by key. AUTOINCREMENT (a
 * sqlite_sequence row updated by every insert) and the unique index on (client, broker, counter)
 * (a second b-tree written by every insert and read by every delete) cost more than the row itself.
 */
const OUTGOING_BY_SEQ = `
  CREATE TABLE outgoing_by_seq (seq INTEGER PRIMARY KEY, client_id TEXT NOT NULL, broker_id TEXT NOT NULL, counter INTEGER NOT NULL, packet BLOB NOT NULL);
  INSERT INTO outgoing_by_seq (seq, client_id, broker_id, counter, packet) SELECT seq, client_id, broker_id, counter, packet FROM outgoing;
  DROP TABLE outgoing;
  ALTER TABLE outgoing_by_seq RENAME TO outgoing;
  DELETE FROM sqlite_sequence WHERE name = 'outgoing';
`;

/** Exported for the upgrade tests. */
export const BROKER_MIGRATIONS: readonly Migration[] = [SCHEMA, OUTGOING_BY_SEQ];

export class DurablePersistence extends MemoryPersistence {
  readonly #db: Database.Database;
  readonly #sql;
  /** Each client's queue of QoS > 0 messages, in order. */
  readonly #outgoing = new Map<string, OutgoingQueue>();
  readonly #connections = new WeakMap<object, number>();
  #lastConnection = 0;
  readonly #wills = new Map<string, Packet>();
  /** The next queued message's row. */
  #nextSeq = 1;
  /** Writes waiting for the next group commit; every writer waits for the same promise. */
  #batch:
    { changes: Array<() => void>; done: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  readonly #commitAll: (changes: ReadonlyArray<() => void>) => void;
  readonly #urgent: (packet: Packet) => boolean;
  #restored = false;
  #broker: Aedes | undefined;

  /** `urgent`: the messages whose writes commit at once (alarms); the others wait for the turn's group commit. */
  constructor(path: string, options: { readonly urgent?: (packet: PersistedPacket) => boolean } = {}) {
    super();
    this.#urgent = options.urgent ?? (() => false);
    this.#db = openSqlite(path, { synchronous: 'NORMAL', migrations: { owner: 'broker', steps: BROKER_MIGRATIONS } });
    const db = this.#db;
    this.#sql = {
      putRetained: db.prepare<[string, Buffer]>('INSERT OR REPLACE INTO retained (topic, packet) VALUES (?, ?)'),
      delRetained: db.prepare<[string]>('DELETE FROM retained WHERE topic = ?'),
      putSub: db.prepare<[string, string, Buffer]>(
        'INSERT OR REPLACE INTO subscriptions (client_id, topic, sub) VALUES (?, ?, ?)',
      ),
      delSub: db.prepare<[string, string]>('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
      delSubs: db.prepare<[string]>('DELETE FROM subscriptions WHERE client_id = ?'),
      enqueue: db.prepare<[number, string, string, number, Buffer]>(
        'INSERT INTO outgoing (seq, client_id, broker_id, counter, packet) VALUES (?, ?, ?, ?, ?)',
      ),
      replace: db.prepare<[Buffer, number]>('UPDATE outgoing SET packet = ? WHERE seq = ?'),
      dequeue: db.prepare<[number]>('DELETE FROM outgoing WHERE seq = ?'),
      putIncoming: db.prepare<[string, number, Buffer]>(
        'INSERT OR REPLACE INTO incoming (client_id, message_id, packet) VALUES (?, ?, ?)',
      ),
      delIncoming: db.prepare<[string, number]>('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
      delIncomings: db.prepare<[string]>('DELETE FROM incoming WHERE client_id = ?'),
      putWill: db.prepare<[string, Buffer]>('INSERT OR REPLACE INTO wills (client_id, packet) VALUES (?, ?)'),
      delWill: db.prepare<[string]>('DELETE FROM wills WHERE client_id = ?'),
    };
    this.#commitAll = db.transaction((changes: ReadonlyArray<() => void>) => {
      for (const change of changes) change();
    });
  }

  override async setup(broker: Aedes): Promise<void> {
    this.#broker = broker;
    await super.setup(broker);
    if (this.#restored) return;
    this.#restored = true;
    // Loaded through the in-memory parent so its trie and retained map are the ones aedes reads.
    const bySubscriber = new Map<string, Subscription[]>();
    for (const row of this.#db
      .prepare<[], { client_id: string; topic: string; sub: Buffer }>('SELECT client_id, topic, sub FROM subscriptions')
      .iterate()) {
      const list = bySubscriber.get(row.client_id) ?? [];
      list.push({ ...(deserialize(row.sub) as Omit<Subscription, 'topic'>), topic: row.topic });
      bySubscriber.set(row.client_id, list);
    }
    for (const [clientId, subs] of bySubscriber) await super.addSubscriptions({ id: clientId }, subs);
    for (const row of this.#db.prepare<[], { packet: Buffer }>('SELECT packet FROM retained').iterate())
      await super.storeRetained(decodePacket(row.packet));
    for (const row of this.#db
      .prepare<[], { seq: number; client_id: string; broker_id: string; counter: number; packet: Buffer }>(
        'SELECT seq, client_id, broker_id, counter, packet FROM outgoing ORDER BY seq',
      )
      .iterate()) {
      this.#queue(row.client_id).push({
        packet: decodePacket(row.packet),
        brokerId: row.broker_id,
        counter: row.counter,
        seq: row.seq,
      });
      this.#nextSeq = row.seq + 1;
    }
    for (const row of this.#db
      .prepare<[], { client_id: string; message_id: number; packet: Buffer }>(
        'SELECT client_id, message_id, packet FROM incoming',
      )
      .iterate()) {
      await super.incomingStorePacket({ id: row.client_id }, decodePacket(row.packet));
    }
    for (const row of this.#db
      .prepare<[], { client_id: string; packet: Buffer }>('SELECT client_id, packet FROM wills')
      .iterate())
      this.#wills.set(row.client_id, decodePacket(row.packet));
  }

  override async storeRetained(packet: Packet): Promise<void> {
    await super.storeRetained(packet);
    const { topic } = packet;
    if (packet.payload.length === 0) return this.#write(() => this.#sql.delRetained.run(topic));
    const blob = encodePacket(packet);
    return this.#write(() => this.#sql.putRetained.run(topic, blob));
  }

  override async addSubscriptions(client: Pick<Client, 'id'>, subs: Subscription[]): Promise<void> {
    await super.addSubscriptions(client, subs);
    const rows = subs.map(
      (s) =>
        [
          s.topic,
          serialize({
            qos: s.qos,
            rh: s.rh,
            rap: s.rap,
            nl: s.nl,
            ...('subscriptionIdentifier' in s ? { subscriptionIdentifier: s.subscriptionIdentifier } : {}),
          }),
        ] as const,
    );
    return this.#write(() => {
      for (const [topic, blob] of rows) this.#sql.putSub.run(client.id, topic, blob);
    });
  }

  override async removeSubscriptions(client: Pick<Client, 'id'>, topics: string[]): Promise<void> {
    await super.removeSubscriptions(client, topics);
    return this.#write(() => {
      for (const topic of topics) this.#sql.delSub.run(client.id, topic);
    });
  }

  override async cleanSubscriptions(client: Pick<Client, 'id'>): Promise<void> {
    await super.cleanSubscriptions(client);
    return this.#write(() => this.#sql.delSubs.run(client.id));
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void> {
    return this.outgoingEnqueueCombi([sub], packet);
  }

  override async outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: Packet): Promise<void> {
    if (!subs || subs.length === 0) return;
    const brokerId = packet.brokerId ?? '';
    const counter = packet.brokerCounter ?? 0;
    const first = this.#seqs(subs.length);
    let blob: Buffer | undefined;
    subs.forEach((sub, i) => {
      const copy = copyPacket(packet);
      blob ??= encodePacket(copy);
      this.#queue(sub.clientId).push({ packet: copy, brokerId, counter, seq: first + i });
    });
    const stored = blob!;
    return this.#write(() => {
      subs.forEach((sub, i) => this.#sql.enqueue.run(first + i, sub.clientId, brokerId, counter, stored));
    }, this.#urgent(packet));
  }

  /**
   * A queued message gets its packet id when sent (kept in memory only: after a restart the message
   * is sent again with a new id, which QoS 1 allows), or is replaced by its PUBREL (QoS 2, stored).
   */
  override async outgoingUpdate(client: Pick<Client, 'id'>, packet: Packet): Promise<void> {
    const queue = this.#queue(client.id);
    if (packet.brokerId !== undefined) {
      const q = queue.byDelivery(packet.brokerId, packet.brokerCounter ?? 0);
      if (q) return queue.sent(q, packet.messageId, this.#connection(client));
    }
    // A PUBREL (QoS 2) replaces the PUBLISH that was sent with its packet id.
    const q = queue.find(
      (e) =>
        (packet.brokerId === undefined || e.packet.brokerId !== packet.brokerId) &&
        e.packet.messageId === packet.messageId,
    );
    if (!q) throw new Error('no such packet');
    q.packet = packet;
    const blob = encodePacket(packet);
    const { seq } = q;
    return this.#write(() => this.#sql.replace.run(blob, seq));
  }

  override async outgoingClearMessageId(client: Pick<Client, 'id'>, packet: Packet): Promise<Packet | undefined> {
    const queue = this.#queue(client.id);
    const removed = queue.byMessageId(packet.messageId, this.#connection(client));
    if (!removed) return undefined;
    queue.delete(removed);
    const { seq } = removed;
    await this.#write(() => this.#sql.dequeue.run(seq));
    return removed.packet;
  }

  /** Messages in every session's queue (sent and not acknowledged, or not sent yet). */
  queuedMessages(): number {
    let n = 0;
    for (const queue of this.#outgoing.values()) n += queue.length;
    return n;
  }

  override outgoingStream(client: Pick<Client, 'id'>): Readable {
    return Readable.from(this.#queue(client.id).packets());
  }

  override async incomingStorePacket(client: Pick<Client, 'id'>, packet: Packet): Promise<void> {
    await super.incomingStorePacket(client, packet);
    const blob = encodePacket({ ...copyPacket(packet), messageId: packet.messageId });
    const messageId = packet.messageId!;
    return this.#write(() => this.#sql.putIncoming.run(client.id, messageId, blob));
  }

  override async incomingDelPacket(client: Pick<Client, 'id'>, packet: Packet): Promise<void> {
    await super.incomingDelPacket(client, packet);
    const messageId = packet.messageId!;
    return this.#write(() => this.#sql.delIncoming.run(client.id, messageId));
  }

  override async cleanIncoming(client: Pick<Client, 'id'>): Promise<void> {
    await super.cleanIncoming(client);
    return this.#write(() => this.#sql.delIncomings.run(client.id));
  }

  override async putWill(client: Pick<Client, 'id'>, packet: Packet): Promise<void> {
    // Stamped in place, as aedes' own persistences do (callers compare against the object they passed).
    const will = Object.assign(packet, { brokerId: this.#broker?.id, clientId: client.id });
    this.#wills.set(client.id, will);
    const blob = encodePacket({ ...will });
    return this.#write(() => this.#sql.putWill.run(client.id, blob));
  }

  override async getWill(client: Pick<Client, 'id'>): Promise<Packet | undefined> {
    return this.#wills.get(client.id);
  }

  override async delWill(client: Pick<Client, 'id'>): Promise<Packet | undefined> {
    const will = this.#wills.get(client.id);
    if (!will) return undefined;
    this.#wills.delete(client.id);
    await this.#write(() => this.#sql.delWill.run(client.id));
    return will;
  }

  /** Wills of sessions whose broker is not among the live ones (aedes publishes them). */
  override streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from([...this.#wills.values()].filter((w) => !brokers[w.brokerId ?? '']));
  }

  override async destroy(): Promise<void> {
    this.#commit(); // what is waiting for the next group commit
    await super.destroy();
    this.#db.close();
  }

  /**
   * A number for the connection: aedes makes a Client object per connection and passes it to every
   * call, so packet ids, which only mean something on one connection, are matched with it.
   */
  #connection(client: object): number {
    let n = this.#connections.get(client);
    if (n === undefined) this.#connections.set(client, (n = ++this.#lastConnection));
    return n;
  }

  #queue(clientId: string): OutgoingQueue {
    let q = this.#outgoing.get(clientId);
    if (!q) this.#outgoing.set(clientId, (q = new OutgoingQueue()));
    return q;
  }

  /** `n` consecutive row numbers for queued messages. */
  #seqs(n: number): number {
    const first = this.#nextSeq;
    this.#nextSeq += n;
    return first;
  }

  /** Runs `change` in the next group commit (`now`: commits at once); resolves once that transaction is on disk. */
  #write(change: () => void, now = false): Promise<void> {
    let batch = this.#batch;
    if (!batch) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.#batch = batch = { changes: [], done, resolve, reject };
      setImmediate(() => this.#commit());
    }
    batch.changes.push(change);
    const { done } = batch;
    if (now) this.#commit(); // the turn's setImmediate then finds nothing to commit
    return done;
  }

  #commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.#commitAll(batch.changes);
    } catch (error) {
      return batch.reject(error as Error);
    }
    batch.resolve();
  }
}

/** The fields aedes keeps for a queued packet (as aedes-packet copies them), without wire leftovers. */
function copyPacket(p: Packet): Packet {
  const copy: Record<string, unknown> = {
    cmd: p.cmd || 'publish',
    brokerId: p.brokerId,
    brokerCounter: p.brokerCounter,
    topic: p.topic,
    payload: p.payload ?? Buffer.alloc(0),
    qos: p.qos || 0,
    retain: p.retain || false,
    dup: p.dup || false,
  };
  for (const k of ['clientId', 'nl', 'properties', 'messageExpiry'] as const)
    if (Object.hasOwn(p, k)) copy[k] = (p as unknown as Record<string, unknown>)[k];
  if ((copy.qos as number) > 0 || copy.cmd !== 'publish') copy.messageId = undefined;
  return copy as unknown as Packet;
}
