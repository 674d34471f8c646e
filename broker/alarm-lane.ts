import Denque from 'denque';
import {
  ALL_PATIENTS_ALERTS_FILTER,
  allDevicesFilter,
  parseDeviceTopic,
  parsePatientAlertsTopic,
} from '../devices/topics.ts';

/**
 * `full`: the messages of the normal lane (readings) from which the queue is `full`; `onRoom` is
 * called once it has come down to half of that.
 */
export interface FullOptions {
  readonly full?: number;
  readonly onRoom?: () => void;
}

/**
 * Where mqemitter keeps the messages beyond its concurrency, in two lanes: alarms (device events,
 * alert changes) go before readings, each lane in order.
 *
 * Why: mqemitter queues them in two arrays (messages, callbacks) and takes each next one with
 * Array#shift, which copies the whole array: with 5,000 watches at 1 Hz, 100,000 messages waited
 * there and the broker spent 71 % of its CPU in that copy (profiled). And once readings come faster
 * than the ingest takes them, a fall waited behind every reading already queued: in the fleet bench
 * no fall reached the clinician within 30 s. Double-ended queues (denque) make each step O(1); the
 * lanes put an alarm at the head of the wait.
 *
 * mqemitter 7 uses these two objects only through push, shift and length, always a message then its
 * callback; the callback goes to the lane its message went to.
 */
export class TwoLaneQueue {
  readonly #messages = { urgent: new Denque<unknown>(), normal: new Denque<unknown>() };
  readonly #callbacks = { urgent: new Denque<unknown>(), normal: new Denque<unknown>() };
  readonly #urgent: (message: unknown) => boolean;
  readonly #full: number;
  readonly #onRoom: () => void;
  /** The normal lane reached `full` and has not yet come down to half of it. */
  #wasFull = false;
  /** The lane of the last message pushed, and of the last message shifted: their callbacks follow. */
  #pushedTo: 'urgent' | 'normal' = 'normal';
  #shiftedFrom: 'urgent' | 'normal' = 'normal';
  /** Stands for mqemitter's array of callbacks. */
  readonly callbacks = {
    push: (callback: unknown): number => this.#callbacks[this.#pushedTo].push(callback),
    shift: (): unknown => this.#callbacks[this.#shiftedFrom].shift(),
  };

  constructor(urgent: (message: unknown) => boolean, options: FullOptions = {}) {
    this.#urgent = urgent;
    this.#full = options.full ?? Infinity;
    this.#onRoom = options.onRoom ?? noop;
  }

  push(message: unknown): number {
    this.#pushedTo = this.#urgent(message) ? 'urgent' : 'normal';
    const n = this.#messages[this.#pushedTo].push(message);
    if (this.#pushedTo === 'normal' && n >= this.#full) this.#wasFull = true;
    return n;
  }

  shift(): unknown {
    this.#shiftedFrom = this.#messages.urgent.length > 0 ? 'urgent' : 'normal';
    const message = this.#messages[this.#shiftedFrom].shift();
    if (this.#wasFull && this.#messages.normal.length <= this.#full / 2) {
      this.#wasFull = false;
      this.#onRoom();
    }
    return message;
  }

  get length(): number {
    return this.#messages.urgent.length + this.#messages.normal.length;
  }

  /** As many readings wait as it takes, or more: the devices' connections should wait to be read. */
  get full(): boolean {
    return this.#messages.normal.length >= this.#full;
  }
}

export function isAlarmTraffic(message: unknown): boolean {
  const topic = (message as { topic?: unknown }).topic;
  if (typeof topic !== 'string') return false;
  // Both kinds end with their channel: most messages (readings) are told apart without parsing.
  if (!topic.endsWith('/events') && !topic.endsWith('/alerts')) return false;
  return parseDeviceTopic(topic)?.channel === 'events' || parsePatientAlertsTopic(topic) !== null;
}

/** A subscription filter that matches alarm traffic only: device events, patients' alert changes. */
export function isAlarmFilter(filter: string): boolean {
  return (
    filter === allDevicesFilter('events') || filter === ALL_PATIENTS_ALERTS_FILTER || isAlarmTraffic({ topic: filter })
  );
}

/** What of mqemitter 7 the alarm lane uses beyond its public API (alarm-lane.test.ts checks it is there). */
interface MqEmitterInternals {
  current: number;
  concurrency: number;
  closed: boolean;
  emit(message: object, done?: (error?: Error) => void): unknown;
  _matcher: { match(topic: string): Array<(message: object, done: () => void) => void> };
}

/**
 * Puts the two-lane queue in `mq`, lets an alarm past the concurrency limit, and completes each
 * message's emit at once: the publisher does not wait for its delivery.
 *
 * Why past the limit, not only first in line: a slot is released when every subscriber has taken
 * its message, and aedes calls back a delivery to a connection whose buffer is full only once it
 * has drained. When the ingest takes readings more slowly than the watches send them (the fleet's
 * overload), every slot held a reading for the ingest's readings connection, the next slot came
 * free when that connection drained, and never while the ingest held the broker back (its queue
 * full): a fall waited that long at the head of the line, though its own subscriber (the ingest's
 * alarm connection) and the web service's alert connection were reading. Alarms are few (device
 * events are paced per device, alert changes come from the ingest alone).
 *
 * Why the emit completes at once: aedes reads a connection's next packets only once every message
 * of the packets before is published, and a publish completed when its message was delivered. A
 * watch whose reading waited for a slot therefore could not send anything else: its fall waited
 * behind that reading, in its own connection, until the ingest read again (or, frozen 60 s, was cut
 * by aedes' drain timeout). aedes emits a message once it is stored for every persistent session
 * (lib/aedes.js, enqueueOffline before emitPacket; persistence.ts commits before it resolves), so
 * the publish may complete there: its PUBACK still follows the durable store, and the message is
 * delivered in its turn. The back-pressure that made watches hold readings back moves from the
 * slots to the reading of their connections: once `full` readings wait for a slot the queue is
 * `full`, and the broker stops reading devices' connections but for their alarms (read-budget.ts)
 * until `onRoom`.
 *
 * Returns the queue (its length: the messages waiting for a slot).
 */
export function withAlarmLane(mq: object, options: FullOptions = {}): TwoLaneQueue {
  const queue = new TwoLaneQueue(isAlarmTraffic, options);
  Object.assign(mq, { _messageQueue: queue, _messageCallbacks: queue.callbacks });
  const m = internals(mq);
  const emit = m.emit.bind(mq);
  Reflect.set(mq, 'emit', (message: object, done?: (error?: Error) => void) => {
    if (m.closed) return emit(message, done);
    if (m.concurrency === 0 || m.current < m.concurrency || !isAlarmTraffic(message)) emit(message, noop);
    else routeNow(m, message);
    if (done) queueMicrotask(done);
    return mq;
  });
  return queue;
}

/** Hands `message` to every matching listener now, outside the slots. */
function routeNow(m: MqEmitterInternals, message: object): void {
  for (const listener of m._matcher.match((message as { topic: string }).topic)) listener.call(m, message, noop);
}

function internals(mq: object): MqEmitterInternals {
  const m = mq as Partial<MqEmitterInternals>;
  if (
    typeof m.current !== 'number' ||
    typeof m.concurrency !== 'number' ||
    typeof m.emit !== 'function' ||
    typeof m._matcher?.match !== 'function'
  )
    throw new TypeError('mqemitter has no current, concurrency or _matcher: broker/alarm-lane.ts needs updating');
  return m as MqEmitterInternals;
}

const noop = (): void => undefined;
