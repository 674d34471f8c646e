/*
 * Vigie's service worker: shows the alerts that Web Push delivers while the family page is closed,
 * and opens the alert when the notification is tapped. Urgent alerts stay until they are tapped.
 * The console shows its alarms through it too (registration.showNotification, while its tab is in
 * the background): tapping one brings the console's tab forward on that patient.
 */
self.addEventListener('push', (event) => {
  let data;
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: 'Vigie', body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || 'Vigie', {
      body: data.body || '',
      tag: data.tag,
      renotify: Boolean(data.tag),
      requireInteraction: Boolean(data.urgent),
      data: { url: data.url || '/family/' },
      lang: 'fr',
    }),
  );
});

// Pages open when the worker starts are its clients at once, so that a tap can navigate them.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/family/', self.location.origin);
  const url = target.href;
  // A window already on that page (/family/, /console/) is reused rather than opening another.
  const page = new URL(target.pathname.replace(/[^/]*$/, ''), target).href;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url.startsWith(page));
      if (open) return open.focus().then(() => open.navigate(url));
      return self.clients.openWindow(url);
    }),
  );
});
