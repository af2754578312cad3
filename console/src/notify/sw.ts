// The console's service worker (served at /console/sw.js, scope /console): shows the
// Web Push notifications the server sends while no console of the agent is visible, and
// on click focuses an open console (asking it to open the conversation) or opens one.
//
// Typed by hand: the console's TypeScript uses the DOM library, not WebWorker's.

interface PushPayload {
  title?: string;
  body?: string;
  tag?: string;
  url?: string;
  conversation_id?: string | null;
}

interface WindowClientLike {
  url: string;
  focus(): Promise<unknown>;
  postMessage(message: unknown): void;
}

interface WorkerScope {
  registration: ServiceWorkerRegistration;
  location: Location;
  clients: {
    matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, listener: (event: never) => void): void;
}

interface ExtendableEventLike {
  waitUntil(p: Promise<unknown>): void;
}
interface PushEventLike extends ExtendableEventLike {
  data: { json(): unknown; text(): string } | null;
}
interface NotificationEventLike extends ExtendableEventLike {
  notification: Notification;
}

const sw = self as unknown as WorkerScope;

sw.addEventListener("install", () => {
  void sw.skipWaiting();
});
sw.addEventListener("activate", (event: ExtendableEventLike) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener("push", (event: PushEventLike) => {
  let data: PushPayload = {};
  try {
    data = (event.data?.json() ?? {}) as PushPayload;
  } catch {
    data = { body: event.data?.text() ?? "" };
  }
  event.waitUntil(
    sw.registration.showNotification(data.title || "sitechat", {
      body: data.body ?? "",
      tag: data.tag,
      data: { url: data.url || "/console", conversation_id: data.conversation_id ?? null },
    }),
  );
});

sw.addEventListener("notificationclick", (event: NotificationEventLike) => {
  event.notification.close();
  const data = (event.notification.data ?? {}) as { url?: string; conversation_id?: string | null };
  const target = new URL(data.url || "/console", sw.location.origin).href;
  event.waitUntil(
    sw.clients.matchAll({ type: "window", includeUncontrolled: true }).then(async (windows) => {
      const open = windows.find((w) => new URL(w.url).pathname.startsWith("/console"));
      if (open) {
        await open.focus();
        if (data.conversation_id) open.postMessage({ type: "sitechat:open", conversation_id: data.conversation_id });
        return;
      }
      await sw.clients.openWindow(target);
    }),
  );
});
