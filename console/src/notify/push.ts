// Web Push: register the service worker (/console/sw.js, scope /console) and subscribe
// this browser with the server's VAPID key. Push reaches the agent while no console of
// theirs is visible (the server decides); the worker shows it and opens the console.

import { api } from "../api";

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window;
}

function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (b64url.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export async function registerWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!("serviceWorker" in navigator)) return null;
  try {
    return await navigator.serviceWorker.register("/console/sw.js", { scope: "/console" });
  } catch {
    return null;
  }
}

/** Subscribe (or refresh) this browser; true when the server has its subscription. */
export async function enablePush(): Promise<boolean> {
  if (!pushSupported()) return false;
  const reg = await registerWorker();
  if (!reg) return false;
  const { public_key } = await api<{ public_key: string }>("GET", "/api/v1/notifications/push/key");
  let sub = await reg.pushManager.getSubscription();
  if (!sub) {
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) });
  }
  await api("POST", "/api/v1/notifications/push/subscriptions", sub.toJSON());
  return true;
}

export async function disablePush(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  const reg = await navigator.serviceWorker.getRegistration("/console");
  const sub = await reg?.pushManager.getSubscription();
  if (!sub) return;
  await api("DELETE", "/api/v1/notifications/push/subscriptions", { endpoint: sub.endpoint }).catch(() => undefined);
  await sub.unsubscribe();
}
