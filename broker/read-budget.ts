/**
 * A budget per turn of the event loop for what the broker reads from device connections, alarms
 * first.
 *
 * Why: a turn's cost grows with the number of connections it reads from. Every readable connection
 * is read in the poll phase (libuv hands them all at once), aedes parses and handles their packets
 * (process.nextTick), then the turn sends each connection's PUBACKs (write-batching.ts, a writev per
 * connection) and commits their messages (persistence.ts). In the fleet's steady phase on a slow
 * machine, turns of 100 to 300 ms made of hundreds of uploads; a fall read in the next turn waited
 * for all of it (the PUBACK stage's p99, 379 ms).
 *
 * How: past `chunksPerTurn` chunks read in a turn, a connection's next chunk is put back
 * (Readable#unshift) and the connection waits, in order, for a later turn; one with a chunk that
 * holds a PUBLISH on an `events` topic (a fall, an SOS) is read at once, whatever the budget, and so
 * is a waiting connection as soon as such a chunk arrives behind what it holds. While
 * connections wait, new chunks go behind them: each turn reads the oldest waiting first, so none
 * waits for ever. Nothing is lost: the bytes stay in the connection's buffer, and TCP slows the
 * device down if it keeps sending.
 *
 * The same hold is the broker's back-pressure on devices: while `full()` (too many readings wait
 * for a routing slot, alarm-lane.ts) no device connection is read but for its alarms, and the
 * waiting connections are read again, in order, once `room()` is called. A connection is let past
 * the gate for its alarms ALARM_READS_WHILE_FULL times in a spell: bytes, not packets, decide, and a
 * device could put "/events" in every upload.
 *
 * Only device connections are budgeted: a connection is read freely, and not counted, until `device`
 * marks it (after its CONNECT was authenticated as a watch's). The services' sessions (the ingest's
 * and the web service's) are never held: their PUBACKs and subscriptions are what drain the
 * broker, and holding them behind the watches' uploads stalls every delivery (a first try that
 * budgeted every connection took the overload's falls to a p99 of 23 s).
 *
 * Apply it before the packet-size limit (packet-size-limit.ts), which must see each chunk once.
 */
import type { Readable } from 'node:stream';

const EVENTS = Buffer.from('/events');

interface Waiting {
  readonly conn: Readable;
  /** Its reads count and may wait (a device's connection, known after CONNECT). */
  budgeted: boolean;
  /** Its next read is granted (it has waited its turn). */
  granted: boolean;
  held: boolean;
  /** The bytes it held when last looked at (while held). */
  seen: number;
  /** Reads it was let past the gate for its alarms while full, and in which full spell. */
  alarmReads: number;
  spell: number;
}

/**
 * Reads a connection is let past the gate for bytes that may hold an alarm, in one spell of the
 * router being full: a watch's fall, its SOS and a few more. Without a bound, a device that puts
 * "/events" in every upload would be read at once, and grow the router's queue, for as long as it
 * stays full.
 */
export const ALARM_READS_WHILE_FULL = 4;

export class ReadBudget {
  readonly #perTurn: number;
  /** Chunks read this turn (reset in the check phase of the turn that read the first). */
  #read = 0;
  #resetScheduled = false;
  readonly #waiting: Waiting[] = [];
  #serveScheduled = false;
  readonly #states = new WeakMap<Readable, Waiting>();
  /** Counts the calls of room(): each full spell has its own number. */
  #spell = 0;

  readonly #onHeld: () => void;
  readonly #full: () => boolean;

  /**
   * `onHeld`: a chunk was put back for a later turn (to count it). `full`: what devices send cannot
   * be taken now (the router's queue is full): no device connection is read but for its alarms,
   * until `room()`.
   */
  constructor(chunksPerTurn: number, options: { onHeld?: () => void; full?: () => boolean } = {}) {
    if (!Number.isInteger(chunksPerTurn) || chunksPerTurn < 1)
      throw new TypeError(`chunksPerTurn must be a positive integer, not ${chunksPerTurn}`);
    this.#perTurn = chunksPerTurn;
    this.#onHeld = options.onHeld ?? (() => {});
    this.#full = options.full ?? (() => false);
  }

  /** What devices send can be taken again: the waiting connections read, in order, from the next turn. */
  room(): void {
    this.#spell += 1;
    if (this.#waiting.length > 0) this.#scheduleServe();
  }

  /** Connections waiting for a later turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Wraps the connection's reads; they are not budgeted until `device(conn)`. */
  apply(conn: Readable): void {
    const read = conn.read.bind(conn) as (size?: number) => unknown;
    const state: Waiting = { conn, budgeted: false, granted: false, held: false, seen: 0, alarmReads: 0, spell: 0 };
    this.#states.set(conn, state);
    conn.read = (size?: number): unknown => {
      if (!state.budgeted) return read(size);
      if (state.held) {
        // New bytes behind a held chunk: a fall or an SOS among them is read at once, with the
        // readings before it (in order), instead of waiting for the connection's turn. The
        // 'readable' that unshift raises finds no new bytes and reads nothing.
        if (conn.readableLength <= state.seen) return null;
        const all = read(size);
        if (!(all instanceof Uint8Array)) return all;
        if (!this.#alarmRead(state, all)) {
          conn.unshift(all);
          state.seen = conn.readableLength;
          return null;
        }
        state.held = false;
        this.#waiting.splice(this.#waiting.indexOf(state), 1);
        this.#count();
        return all;
      }
      if (state.granted) {
        state.granted = false;
        this.#count();
        return read(size);
      }
      const chunk = read(size);
      if (!(chunk instanceof Uint8Array)) return chunk;
      if (
        this.#alarmRead(state, chunk) ||
        (this.#waiting.length === 0 && this.#read < this.#perTurn && !this.#full())
      ) {
        this.#count();
        return chunk;
      }
      conn.unshift(chunk);
      state.held = true;
      state.seen = conn.readableLength;
      this.#onHeld();
      this.#waiting.push(state);
      this.#scheduleServe();
      return null;
    };
  }

  /** From now on, the connection's reads are budgeted. A connection never applied is left alone. */
  device(conn: Readable): void {
    const state = this.#states.get(conn);
    if (state) state.budgeted = true;
  }

  /** Whether `chunk` goes past the budget and the gate: it may hold an alarm, within the bound while full. */
  #alarmRead(state: Waiting, chunk: Uint8Array): boolean {
    if (!holdsEvent(chunk)) return false;
    if (!this.#full()) return true;
    if (state.spell !== this.#spell) {
      state.spell = this.#spell;
      state.alarmReads = 0;
    }
    if (state.alarmReads >= ALARM_READS_WHILE_FULL) return false;
    state.alarmReads += 1;
    return true;
  }

  #count(): void {
    this.#read += 1;
    if (this.#resetScheduled) return;
    this.#resetScheduled = true;
    setImmediate(() => {
      this.#resetScheduled = false;
      this.#read = 0;
    });
  }

  /**
   * In a later turn's check phase (an immediate scheduled from an immediate runs after the next poll
   * phase), the oldest waiting connections read, as many as the budget leaves.
   */
  #scheduleServe(): void {
    if (this.#serveScheduled) return;
    this.#serveScheduled = true;
    setImmediate(() =>
      setImmediate(() => {
        this.#serveScheduled = false;
        if (this.#full()) return; // room() serves them
        let room = Math.max(1, this.#perTurn - this.#read);
        while (room > 0 && this.#waiting.length > 0) {
          const next = this.#waiting.shift()!;
          next.held = false;
          if (next.conn.destroyed) continue;
          next.granted = true;
          room -= 1;
          next.conn.emit('readable');
        }
        if (this.#waiting.length > 0) this.#scheduleServe();
      }),
    );
  }
}

/**
 * Whether a chunk may hold a PUBLISH on an `events` topic. Bytes, not packets: a chunk can start in
 * the middle of a packet. A reading whose payload contains "/events" is read at once too (it only
 * goes before its turn); a topic cut between two chunks makes a fall wait one turn.
 */
function holdsEvent(chunk: Uint8Array): boolean {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(EVENTS);
}
