import { ROUTES } from '../../api/routes.ts';
import { call } from '../lib/api.ts';

/**
 * Web Push on this device: registers the service worker (public/sw.js), subscribes with the
 * server's VAPID key and hands the subscription to the server. Returns why not, when it cannot.
 */
/** `reason`: 'unsupported', 'refused', or what the API (or the browser) threw. */
export type PushResult = { ok: true } | { ok: false; reason: unknown };

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

export async function registerWorker(): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  return navigator.serviceWorker.register('/sw.js', { scope: '/' });
}

export async function enablePush(vapidPublicKey: string): Promise<PushResult> {
  if (!pushSupported()) return { ok: false, reason: 'unsupported' };
  try {
    if ((await Notification.requestPermission()) !== 'granted') return { ok: false, reason: 'refused' };
    const registration = (await registerWorker())!;
    await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlToBytes(vapidPublicKey),
    });
    const json = subscription.toJSON();
    await call(ROUTES.addPushSubscription, {
      body: { endpoint: json.endpoint ?? '', keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' } },
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error };
  }
}

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
