import Denque from 'denque';
import { parseDeviceTopic, parsePatientAlertsTopic } from '../devices/topics.ts';

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
  /** The lane of the last message pushed, and of the last message shifted: their callbacks follow. */
  #pushedTo: 'urgent' | 'normal' = 'normal';
  #shiftedFrom: 'urgent' | 'normal' = 'normal';
  /** Stands for mqemitter's array of callbacks. */
  readonly callbacks = {
    push: (callback: unknown): number => this.#callbacks[this.#pushedTo].push(callback),
    shift: (): unknown => this.#callbacks[this.#shiftedFrom].shift(),
  };

  constructor(urgent: (message: unknown) => boolean) {
    this.#urgent = urgent;
  }

  push(message: unknown): number {
    this.#pushedTo = this.#urgent(message) ? 'urgent' : 'normal';
    return this.#messages[this.#pushedTo].push(message);
  }

  shift(): unknown {
    this.#shiftedFrom = this.#messages.urgent.length > 0 ? 'urgent' : 'normal';
    return this.#messages[this.#shiftedFrom].shift();
  }

  get length(): number {
    return this.#messages.urgent.length + this.#messages.normal.length;
  }
}

export function isAlarmTraffic(message: unknown): boolean {
  const topic = (message as { topic?: unknown }).topic;
  if (typeof topic !== 'string') return false;
  // Both kinds end with their channel: most messages (readings) are told apart without parsing.
  if (!topic.endsWith('/events') && !topic.endsWith('/alerts')) return false;
  return parseDeviceTopic(topic)?.channel === 'events' || parsePatientAlertsTopic(topic) !== null;
}

export function withAlarmLane(mq: object): void {
  const queue = new TwoLaneQueue(isAlarmTraffic);
  Object.assign(mq, { _messageQueue: queue, _messageCallbacks: queue.callbacks });
}
