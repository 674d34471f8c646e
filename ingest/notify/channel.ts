/**
 * A way to reach a person when their browser tab is closed. Web Push and e-mail today; an SMS
 * gateway or a telecare call centre implements the same interface.
 */
import type { Person, PushSubscriptionRecord } from '../../web/directory.ts';

export interface Notification {
  readonly title: string;
  readonly body: string;
  /** Where the person acts on it (the family page, at this alert). */
  readonly url: string;
  /** Groups the notifications of one alert (or one call) on a phone (a newer one replaces the older). */
  readonly tag: string;
  /** The alert it is about; none for an invitation to a consultation. */
  readonly alertId?: number;
  /** High-priority alerts ask the phone to wake and to keep the notification until tapped. */
  readonly urgent: boolean;
  /** A calendar file (iCalendar, RFC 5545) the e-mail carries: a consultation's invitation or its cancellation. */
  readonly calendar?: { readonly method: 'REQUEST' | 'CANCEL'; readonly content: string };
}

/** Where a person can be reached, gathered from the directory when a message is sent. */
export interface Recipient {
  readonly person: Person;
  readonly pushSubscriptions: readonly PushSubscriptionRecord[];
}

export interface Delivery {
  /** What was used, for the audit (an e-mail address, a push service's host). Never a secret. */
  readonly address: string;
  readonly ok: boolean;
  /** A failure that will not go away by retrying (no address, subscription gone). */
  readonly permanent?: boolean;
  readonly error?: string;
}

export interface NotificationChannel {
  readonly name: string;
  /** Sends to every address the person has on this channel; an empty list means none. */
  send(to: Recipient, message: Notification): Promise<Delivery[]>;
}
