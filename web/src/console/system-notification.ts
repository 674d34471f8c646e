/**
 * A system notification for an alarm while the console's tab is in the background, through the
 * service worker (public/sw.js, the one the family page registers for Web Push): clicking it
 * focuses the console on that patient. Needs the person's permission, asked from a click.
 */
import { registerWorker } from '../family/push.ts';

export function notificationsSupported(): boolean {
  return 'serviceWorker' in navigator && 'Notification' in window;
}

export interface AlarmNotification {
  readonly title: string;
  readonly body: string;
  /** One notification per alert: a newer one replaces it. */
  readonly tag: string;
  readonly url: string;
  readonly urgent: boolean;
  readonly lang: string;
}

/** Shows it if the page may; false otherwise (no permission, no service worker). */
export async function showAlarmNotification(n: AlarmNotification): Promise<boolean> {
  if (!notificationsSupported() || Notification.permission !== 'granted') return false;
  const registration = await registerWorker();
  if (!registration) return false;
  await navigator.serviceWorker.ready;
  await registration.showNotification(n.title, {
    body: n.body,
    tag: n.tag,
    requireInteraction: n.urgent,
    data: { url: n.url },
    lang: n.lang,
  });
  return true;
}
