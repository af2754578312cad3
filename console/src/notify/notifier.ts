// The console's alerts: it listens for `notify` frames (the server already applied the
// agent's preferences and Do Not Disturb), then plays the sound, shows the desktop
// notification or an in-console toast, badges the favicon and blinks the title while the
// tab is hidden. It also tells the server whether this console is visible, so Web Push
// reaches the agent only when no console of theirs is on screen.
//
// It keeps a socket of its own: the inbox's socket belongs to the inbox module, and the
// alerts must not depend on which screen is showing.

import { api, ApiError } from "../api";
import { ViewStore } from "../../../widget/src/shared/store";
import type { AgentChannel } from "../inbox";
import type { ClientFrame, ServerFrame } from "../../../widget/src/shared/protocol";
import type { NotifyFrame, NotifyPrefs } from "../types";
import { playSound, unlockAudio } from "./sounds";
import { setBadge, startBlink, stopBlink } from "./tab";
import { avatarFor } from "./avatar";

export interface Toast {
  id: number;
  title: string;
  body: string;
  conversationId: string | null;
  avatar: string;
}

export interface NotifyView {
  prefs: NotifyPrefs | null;
  toasts: Toast[];
  unread: number;
  permission: NotificationPermission | "unsupported";
  mutedUntil: Date | null;
  mutedConversations: ReadonlySet<string>;
  error: string;
}

const TOAST_MS = 6000;
const TITLES: Record<string, string> = {
  new_conversation: "New conversation",
  new_message: "New message",
  visitor_returned: "Visitor returned",
  urgent: "Urgent conversation",
  assigned: "Assigned to you",
  test: "Test notification",
};

export function notificationTitle(f: NotifyFrame): string {
  const who = f.visitor.name || f.visitor.email || "A visitor";
  return `${TITLES[f.event] ?? "sitechat"}: ${who}`;
}

function message(e: unknown): string {
  if (e instanceof ApiError) return e.detail || e.code;
  return e instanceof Error ? e.message : String(e);
}

function hidden(): boolean {
  return document.visibilityState === "hidden";
}

export class ConsoleNotifier extends ViewStore<NotifyView> {
  private channel: AgentChannel | null = null;
  private unlisten: (() => void) | null = null;
  private prefs: NotifyPrefs | null = null;
  private toasts: Toast[] = [];
  private toastSeq = 0;
  /** Alerts not yet looked at, per conversation (null key: visitor_returned and tests). */
  private readonly unseen = new Map<string, number>();
  private selected: string | null = null;
  private opener: (conversationId: string) => void = () => undefined;
  private error = "";

  constructor() {
    super();
    this.view = this.buildView();
  }

  /** Alerts ride on the inbox's socket (``channel``): one connection per console. */
  start(open: (conversationId: string) => void, channel: AgentChannel): void {
    this.opener = open;
    document.addEventListener("visibilitychange", this.onVisibility);
    window.addEventListener("focus", this.onVisibility);
    navigator.serviceWorker?.addEventListener("message", this.onWorkerMessage);
    this.channel = channel;
    this.unlisten = channel.listen(
      (f) => this.onFrame(f),
      (s) => {
        if (s === "online") this.reportVisibility();
      },
    );
    setBadge(0);
    void this.loadPrefs();
    const m = /^#\/c\/(c_[a-z0-9]+)$/.exec(location.hash);
    if (m) this.open(m[1]!);
  }

  stop(): void {
    document.removeEventListener("visibilitychange", this.onVisibility);
    window.removeEventListener("focus", this.onVisibility);
    navigator.serviceWorker?.removeEventListener("message", this.onWorkerMessage);
    this.unlisten?.();
    this.unlisten = null;
    this.channel = null;
    stopBlink();
  }

  // ---- preferences -------------------------------------------------------------

  async loadPrefs(): Promise<void> {
    try {
      this.prefs = await api<NotifyPrefs>("GET", "/api/v1/notifications/preferences");
      this.error = "";
    } catch (e) {
      this.error = message(e);
    }
    this.changed();
  }

  async savePrefs(prefs: NotifyPrefs): Promise<boolean> {
    const { customized: _c, muted_until: _m, muted_conversations: _mc, ...body } = prefs;
    try {
      // PUT: the whole document is replaced.
      this.prefs = await api<NotifyPrefs>("PUT" as "POST", "/api/v1/notifications/preferences", body);
      this.error = "";
      this.changed();
      return true;
    } catch (e) {
      this.error = message(e);
      this.changed();
      return false;
    }
  }

  async mute(minutes: 30 | 60 | 120 | null): Promise<void> {
    try {
      if (minutes === null) await api("DELETE", "/api/v1/notifications/mute");
      else await api("POST", "/api/v1/notifications/mute", { minutes });
    } catch (e) {
      this.error = message(e);
    }
    await this.loadPrefs();
  }

  async muteConversation(id: string, muted: boolean): Promise<void> {
    try {
      await api(muted ? "POST" : "DELETE", `/api/v1/conversations/${encodeURIComponent(id)}/mute`);
    } catch (e) {
      this.error = message(e);
    }
    await this.loadPrefs();
  }

  async sendTest(): Promise<Record<string, { status: string; detail: string }> | null> {
    unlockAudio();
    await this.askPermission();
    try {
      const r = await api<{ channels: Record<string, { status: string; detail: string }> }>(
        "POST",
        "/api/v1/notifications/test",
      );
      return r.channels;
    } catch (e) {
      this.error = message(e);
      this.changed();
      return null;
    }
  }

  /** Must run from a user gesture (a click): browsers ignore the request otherwise. */
  async askPermission(): Promise<void> {
    unlockAudio();
    if (typeof Notification === "undefined" || Notification.permission !== "default") return;
    try {
      await Notification.requestPermission();
    } catch {
      // Old Safari: callback form only; the setting stays "default".
    }
    this.changed();
  }

  clearError(): void {
    this.error = "";
    this.changed();
  }

  // ---- alerts ---------------------------------------------------------------------

  /** The conversation on screen: its alerts count as seen while the tab is visible. */
  setSelected(id: string | null): void {
    this.selected = id;
    if (id && !hidden()) this.markSeen(id);
  }

  private open(id: string): void {
    window.focus();
    this.markSeen(id);
    this.opener(id);
  }

  private markSeen(id: string | null): void {
    if (id === null || !this.unseen.has(id)) return;
    this.unseen.delete(id);
    this.refreshTab();
  }

  private total(): number {
    let n = 0;
    for (const v of this.unseen.values()) n += v;
    return n;
  }

  private refreshTab(): void {
    const n = this.total();
    setBadge(n);
    if (hidden() && n > 0) startBlink(n);
    else stopBlink();
    this.changed();
  }

  private onFrame(f: ServerFrame): void {
    const raw = f as unknown as { type: string };
    if (raw.type === "notify") this.onNotify(raw as NotifyFrame);
  }

  /** Exposed for tests and the "Send test" button path: act on one notify frame. */
  onNotify(f: NotifyFrame): void {
    if (f.suppressed) return; // Do Not Disturb: nothing rings, the inbox still updates
    const onScreen = !hidden() && document.hasFocus() && f.conversation_id !== null && f.conversation_id === this.selected;
    if (f.sound) playSound(f.sound.name, f.sound.volume);
    if (onScreen) return; // the agent is looking at it: the sound is enough
    const key = f.conversation_id ?? `_${f.event}`;
    this.unseen.set(key, (this.unseen.get(key) ?? 0) + 1);
    const avatar = avatarFor(f.visitor.name || f.visitor.email || f.visitor.id || "?");
    const title = notificationTitle(f);
    if (f.desktop && (hidden() || !document.hasFocus()) && this.desktopAllowed()) {
      try {
        const n = new Notification(title, {
          body: f.preview,
          icon: avatar,
          // The service worker's push for the same alert uses the same tag: one replaces the other.
          tag: `sitechat:${f.conversation_id ?? f.event}`,
        });
        n.onclick = () => {
          n.close();
          if (f.conversation_id) this.open(f.conversation_id);
          else window.focus();
        };
      } catch {
        // Some mobile browsers only allow notifications from a service worker.
      }
    } else {
      this.toast({ title, body: f.preview, conversationId: f.conversation_id, avatar });
    }
    this.refreshTab();
  }

  private desktopAllowed(): boolean {
    return typeof Notification !== "undefined" && Notification.permission === "granted";
  }

  private toast(t: Omit<Toast, "id">): void {
    const id = ++this.toastSeq;
    this.toasts = [...this.toasts.slice(-3), { ...t, id }];
    setTimeout(() => this.dismiss(id), TOAST_MS);
    this.changed();
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
    this.changed();
  }

  openToast(t: Toast): void {
    this.dismiss(t.id);
    if (t.conversationId) this.open(t.conversationId);
  }

  private readonly onVisibility = (): void => {
    this.reportVisibility();
    if (!hidden()) {
      stopBlink();
      // Alerts about no conversation (a returning visitor, a test) were seen by coming back.
      for (const key of [...this.unseen.keys()]) if (key.startsWith("_")) this.unseen.delete(key);
      this.markSeen(this.selected);
      this.refreshTab();
    }
  };

  private reportVisibility(): void {
    this.channel?.send({ type: "visibility", visible: !hidden() } as unknown as ClientFrame);
  }

  private readonly onWorkerMessage = (e: MessageEvent): void => {
    const data = e.data as { type?: string; conversation_id?: string } | null;
    if (data?.type === "sitechat:open" && data.conversation_id) this.open(data.conversation_id);
  };

  protected buildView(): NotifyView {
    const until = this.prefs?.muted_until ? new Date(this.prefs.muted_until) : null;
    return {
      prefs: this.prefs,
      toasts: this.toasts,
      unread: this.total(),
      permission: typeof Notification === "undefined" ? "unsupported" : Notification.permission,
      mutedUntil: until && until.getTime() > Date.now() ? until : null,
      mutedConversations: new Set(this.prefs?.muted_conversations ?? []),
      error: this.error,
    };
  }
}

/** One per page: the inbox screen starts it, the header and panels read it. */
export const notifier = new ConsoleNotifier();
