/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), through the
 * `web-push` library. A subscription the push service reports gone (404, 410) is not used again:
 * the subscriptions are the web service's (web/directory.ts gives them, read only), so the channel
 * remembers the gone ones itself (the most recent MAX_GONE) and tells `onGone`.
 */
import { Agent as HttpsAgent, type Agent } from 'node:https';
import { publicOnlyLookup } from '../../common/public-address.ts';
import webpush from 'web-push';
import type { Delivery, Notification, NotificationChannel, Recipient } from './channel.ts';

export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
  /** A mailto: or https: URL where the push service can reach the operator. */
  readonly subject: string;
}

export function generateVapidKeys(): Omit<VapidKeys, 'subject'> {
  return webpush.generateVAPIDKeys();
}

/** How many gone endpoints the channel remembers (the oldest are forgotten first). */
export const MAX_GONE = 10_000;

export class WebPushChannel implements NotificationChannel {
  readonly name = 'push';
  readonly #vapid: VapidKeys;
  readonly #onGone: (endpoint: string) => void;
  readonly #gone = new Set<string>();
  readonly #agent: Agent;

  /** `agent`: for a push service behind a private CA (and for tests). */
  constructor(vapid: VapidKeys, onGone: (endpoint: string) => void, agent?: Agent) {
    this.#vapid = vapid;
    this.#onGone = onGone;
    // Push services are on the public Internet: a subscription naming anything else is not contacted.
    this.#agent = agent ?? new HttpsAgent({ lookup: publicOnlyLookup, keepAlive: true });
  }

  async send(to: Recipient, message: Notification): Promise<Delivery[]> {
    const payload = JSON.stringify({
      title: message.title,
      body: message.body,
      url: message.url,
      tag: message.tag,
      alertId: message.alertId,
      urgent: message.urgent,
    });
    return Promise.all(
      to.pushSubscriptions
        .filter((sub) => !this.#gone.has(sub.endpoint))
        .map(async (sub): Promise<Delivery> => {
          const address = new URL(sub.endpoint).host;
          try {
            await webpush.sendNotification(sub, payload, {
              vapidDetails: this.#vapid,
              contentEncoding: 'aes128gcm',
              TTL: 24 * 3600,
              urgency: message.urgent ? 'high' : 'normal',
              topic: message.tag.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32),
              timeout: 10_000,
              agent: this.#agent,
            });
            return { address, ok: true };
          } catch (error) {
            const status = (error as { statusCode?: number }).statusCode;
            if (status === 404 || status === 410) {
              this.#forget(sub.endpoint);
              return { address, ok: false, permanent: true, error: `subscription gone (${status})` };
            }
            return {
              address,
              ok: false,
              permanent: status !== undefined && status >= 400 && status < 500 && status !== 429,
              error: (error as Error).message,
            };
          }
        }),
    );
  }

  #forget(endpoint: string): void {
    this.#gone.add(endpoint);
    if (this.#gone.size > MAX_GONE) this.#gone.delete(this.#gone.values().next().value ?? endpoint);
    this.#onGone(endpoint);
  }
}
