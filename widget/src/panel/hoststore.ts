// Storage kept for the panel by the host page.
//
// The panel is a third-party iframe: where the browser blocks third-party
// storage (Chromium with third-party cookies blocked, incognito windows, some
// privacy settings) every localStorage/sessionStorage access throws. The host
// page's own storage still works, so the panel keeps its entries in memory and
// posts all of them to the host (`sitechat:store`) after each change; the host
// saves them under its own key for this website and hands them back in the
// next `sitechat:init` (`panel_state`).
//
// Every tab's panel posts its whole copy, and the host keeps the last one. So
// that one tab does not drop what another saved, the panels of a website tell
// each other (BroadcastChannel, where there is one) what they write: each
// keeps the others' latest entries as if it had read them from a shared
// storage, and `onRemote` lets the owner of an entry put back what it lacks.

import type { KeyValueStore } from "../shared/util";

export class HostStore implements KeyValueStore {
  private data: Record<string, string> = {};
  private queued = false;
  private channel: BroadcastChannel | null = null;

  constructor(
    private readonly save: (state: Record<string, string>) => void,
    private readonly onRemote: (key: string) => void,
  ) {}

  /** What the host kept from an earlier page (only string entries are taken). */
  load(state: unknown): void {
    if (!state || typeof state !== "object") return;
    for (const [k, v] of Object.entries(state)) if (typeof v === "string") this.data[k] = v;
  }

  /** Exchange writes with this website's panels in the visitor's other tabs. */
  share(websiteId: string): void {
    if (this.channel || typeof BroadcastChannel !== "function") return;
    try {
      this.channel = new BroadcastChannel("sitechat:" + websiteId);
    } catch {
      return;
    }
    const prefix = `sitechat:${websiteId}:`;
    this.channel.onmessage = (e: MessageEvent) => {
      const { k, v } = (e.data ?? {}) as { k?: unknown; v?: unknown };
      if (typeof k !== "string" || typeof v !== "string" || !k.startsWith(prefix)) return;
      // Not posted to our host: the writer did that, and host pages share one storage.
      this.data[k] = v;
      this.onRemote(k);
    };
  }

  get length(): number {
    return Object.keys(this.data).length;
  }

  key(i: number): string | null {
    return Object.keys(this.data)[i] ?? null;
  }

  getItem(key: string): string | null {
    return this.data[key] ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.data[key] === value) return;
    this.data[key] = String(value);
    this.channel?.postMessage({ k: key, v: this.data[key] });
    this.changed();
  }

  removeItem(key: string): void {
    if (!(key in this.data)) return;
    delete this.data[key];
    this.changed();
  }

  /** One post for all the writes of the same task. */
  private changed(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.save({ ...this.data });
    });
  }
}
