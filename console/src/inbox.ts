// The agent inbox: conversation list, the selected conversation's messages and
// the live /ws/agent connection. Rendering lives in components/; this keeps
// the state and publishes an immutable `view` on every change.

import type { ClientFrame, ServerFrame } from "../../widget/src/shared/protocol";
import { RealtimeClient, type AckFrame, type ConnectionStatus, type OutboxItem } from "../../widget/src/shared/realtime";
import { ViewStore } from "../../widget/src/shared/store";
import { maxSeq, mergeMessages, parseTime, safeStorage, uuid4 } from "../../widget/src/shared/util";
import { ApiError, api, query } from "./api";
import type {
  AgentInfo,
  ChatMessage,
  ConsoleMessage,
  ConversationCounts,
  ConversationItem,
  ConversationPage,
  ListFilter,
  MessagePage,
  Priority,
  SendOut,
  Session,
  Website,
} from "./types";

const LIST_PAGE = 50;
const MESSAGE_PAGE = 100;
/** Safety stop for paging through a conversation's messages. */
const MAX_MESSAGE_PAGES = 50;
const TYPING_REFRESH_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const REMOTE_TYPING_TTL_MS = 8_000;
const LIST_REFRESH_DEBOUNCE_MS = 500;
const COUNTS_REFRESH_DEBOUNCE_MS = 700;
const DRAFT_PREFIX = "sitechat:draft:";

/** A way to hear the agent socket's frames and send on it (see Inbox.channel). */
export interface AgentChannel {
  send(frame: ClientFrame): boolean;
  /** Returns the function that stops listening. */
  listen(frame: (f: ServerFrame) => void, status: (s: ConnectionStatus) => void): () => void;
}

export interface PendingReply extends OutboxItem {
  error?: string;
}

export interface InboxView {
  agent: AgentInfo;
  connection: ConnectionStatus;
  filter: ListFilter;
  conversations: readonly ConversationItem[];
  hasMoreConversations: boolean;
  loadingConversations: boolean;
  selected: ConversationItem | null;
  messages: readonly ConsoleMessage[];
  loadingMessages: boolean;
  pending: readonly PendingReply[];
  visitorTyping: boolean;
  /** The visitor has read the selected conversation up to this seq. */
  visitorReadSeq: number;
  /** Latest incoming visitor message in the selected conversation, for aria-live. */
  announcement: string;
  /** Last failed action (resolve, load, ...), shown in a banner. */
  error: string;
  /** Conversations and unread messages per assignee filter (for the current status/website). */
  counts: ConversationCounts | null;
  /** Websites the agent works on (the website filter). */
  websites: readonly Website[];
  /** The visitor has received the selected conversation up to this seq. */
  visitorDeliveredSeq: number;
  /** Bumped when a frame says the selected conversation's visitor changed (sidebar refresh). */
  visitorRevision: number;
}

/** Newest activity first. */
function activity(c: ConversationItem): number {
  const t = parseTime(c.last_message?.created_at ?? c.updated_at).getTime();
  return isNaN(t) ? 0 : t;
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.detail || e.code;
  return e instanceof Error ? e.message : String(e);
}

export class Inbox extends ViewStore<InboxView> {

  private readonly client: RealtimeClient;
  private connection: ConnectionStatus = "stopped";

  private filter: ListFilter = { status: "open", assignee: "all" };
  private items: ConversationItem[] = [];
  private nextCursor: string | null = null;
  private loadingList = false;
  /** Bumped per list reload so a slow response for an old filter is dropped. */
  private listGeneration = 0;
  private listRefreshTimer: ReturnType<typeof setTimeout> | undefined;

  private selectedId: string | null = null;
  /** The selected conversation even when the current filter hides it. */
  private selectedItem: ConversationItem | null = null;
  private readonly messages = new Map<string, ChatMessage[]>();
  private readonly loadingMessages = new Set<string>();
  private readonly visitorRead = new Map<string, number>();
  private readonly visitorDelivered = new Map<string, number>();
  private readonly visitorRevisions = new Map<string, number>();
  private counts: ConversationCounts | null = null;
  private countsTimer: ReturnType<typeof setTimeout> | undefined;
  private countsGeneration = 0;
  private websites: Website[] = [];
  private readonly drafts = safeStorage("localStorage");
  private failed: PendingReply[] = [];
  private announcement = "";
  /** Last failed action (resolve, send...), until dismissed. */
  private error = "";
  /** Why the conversation list could not load; cleared by the next good load. */
  private listError = "";

  private typingConversation: string | null = null;
  private visitorTypingTimer: ReturnType<typeof setTimeout> | undefined;
  private typingSentAt = 0;
  private typingSentFor: string | null = null;
  private typingIdleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly readSent = new Map<string, number>();
  private readonly channelListeners = new Set<{
    frame: (f: ServerFrame) => void;
    status: (s: ConnectionStatus) => void;
  }>();

  constructor(
    private agent: AgentInfo,
    /** The session ended (logout elsewhere, expiry): show the login form. */
    private readonly onSignedOut: () => void,
  ) {
    super();
    this.client = new RealtimeClient({
      getUrl: (fresh) => this.socketUrl(fresh),
      resume: () => {
        const points: Record<string, number> = {};
        for (const [id, list] of this.messages) if (list.length) points[id] = maxSeq(list);
        return points;
      },
      onFrame: (f) => this.onFrame(f),
      onStatus: (s) => {
        this.connection = s;
        for (const l of this.channelListeners) l.status(s);
        this.changed();
      },
      onFatal: () => {
        this.error = "The server refused the live connection from this origin.";
        this.changed();
      },
      onOutbox: () => this.changed(),
      onAck: (item, ack) => this.onAck(item, ack),
      onSendFailed: (item, code, detail) => {
        this.failed.push({ ...item, error: detail || code });
        this.changed();
      },
    });
    this.view = this.buildView();
  }

  start(): void {
    document.addEventListener("visibilitychange", this.onVisibility);
    this.client.start();
    void this.reloadList();
    void this.loadWebsites();
  }

  stop(): void {
    document.removeEventListener("visibilitychange", this.onVisibility);
    clearTimeout(this.listRefreshTimer);
    clearTimeout(this.countsTimer);
    clearTimeout(this.visitorTypingTimer);
    clearTimeout(this.typingIdleTimer);
    this.client.stop();
    this.dropListeners();
  }


  // ---- list ----------------------------------------------------------------

  setFilter(filter: ListFilter): void {
    this.filter = filter;
    void this.reloadList();
  }

  private listQuery(cursor: string | null): string {
    const { status, assignee, websiteId, q } = this.filter;
    return query({
      status,
      assignee: assignee === "all" ? undefined : assignee,
      website_id: websiteId || undefined,
      q: q?.trim() || undefined,
      limit: LIST_PAGE,
      cursor,
    });
  }

  private async loadWebsites(): Promise<void> {
    try {
      this.websites = await api<Website[]>("GET", "/api/v1/websites");
      this.changed();
    } catch {
      // The website filter then offers "All websites" only.
    }
  }

  /** Per-filter counts for the current status and website, coalescing bursts of frames. */
  private scheduleCounts(delay = COUNTS_REFRESH_DEBOUNCE_MS): void {
    clearTimeout(this.countsTimer);
    this.countsTimer = setTimeout(() => void this.reloadCounts(), delay);
  }

  private async reloadCounts(): Promise<void> {
    const gen = ++this.countsGeneration;
    const { status, websiteId } = this.filter;
    try {
      const counts = await api<ConversationCounts>(
        "GET",
        `/api/v1/conversations/counts${query({ status, website_id: websiteId || undefined })}`,
      );
      if (gen !== this.countsGeneration) return;
      this.counts = counts;
      this.changed();
    } catch {
      // Counts are a hint; the list itself still shows.
    }
  }

  async reloadList(): Promise<void> {
    const gen = ++this.listGeneration;
    this.loadingList = true;
    this.changed();
    try {
      const page = await api<ConversationPage>("GET", `/api/v1/conversations${this.listQuery(null)}`);
      if (gen !== this.listGeneration) return;
      this.items = [];
      this.mergeItems(page.items);
      this.nextCursor = page.next_cursor;
      this.listError = "";
      this.scheduleCounts(0);
    } catch (e) {
      if (gen === this.listGeneration) this.listError = `Could not load conversations: ${errorText(e)}`;
    } finally {
      if (gen === this.listGeneration) this.loadingList = false;
      this.changed();
    }
  }

  async loadMoreConversations(): Promise<void> {
    if (!this.nextCursor || this.loadingList) return;
    const gen = this.listGeneration;
    this.loadingList = true;
    this.changed();
    try {
      const page = await api<ConversationPage>("GET", `/api/v1/conversations${this.listQuery(this.nextCursor)}`);
      if (gen !== this.listGeneration) return;
      this.mergeItems(page.items);
      this.nextCursor = page.next_cursor;
    } catch (e) {
      this.listError = `Could not load conversations: ${errorText(e)}`;
    } finally {
      if (gen === this.listGeneration) this.loadingList = false;
      this.changed();
    }
  }

  /** A frame mentioned a conversation we do not list: reload, coalescing bursts. */
  private scheduleListRefresh(): void {
    clearTimeout(this.listRefreshTimer);
    this.listRefreshTimer = setTimeout(() => void this.reloadList(), LIST_REFRESH_DEBOUNCE_MS);
  }

  private matchesFilter(c: ConversationItem): boolean {
    const { status, assignee, websiteId } = this.filter;
    if (websiteId && c.website_id !== websiteId) return false;
    if (status !== "all" && c.status !== status) return false;
    if (assignee === "me") return c.assignee_id === this.agent.id;
    if (assignee === "unassigned") return !c.assignee_id;
    return true;
  }

  /** Insert or replace items, keep the list filtered and newest-activity-first. */
  private mergeItems(incoming: ConversationItem[], live = false): void {
    const byId = new Map(this.items.map((c) => [c.id, c]));
    const searching = Boolean(this.filter.q?.trim());
    for (const c of incoming) {
      // The selected conversation is on screen: nothing in it is unread. (The
      // server's count lags until our `seen` frame reaches it.)
      const item = c.id === this.selectedId ? { ...c, unread_count: 0 } : c;
      if (item.id === this.selectedId) this.selectedItem = item;
      if (!this.matchesFilter(item)) byId.delete(item.id);
      else if (live && searching && !byId.has(item.id)) {
        // Only the server searches message text: ask it whether this one matches now.
        this.scheduleListRefresh();
      } else byId.set(item.id, item);
    }
    this.items = Array.from(byId.values()).sort((a, b) => activity(b) - activity(a));
  }

  private updateItem(id: string, fn: (c: ConversationItem) => ConversationItem): boolean {
    const current = this.items.find((c) => c.id === id) ?? (this.selectedItem?.id === id ? this.selectedItem : null);
    if (!current) return false;
    this.mergeItems([fn(current)]);
    return true;
  }

  // ---- selected conversation -------------------------------------------------

  /** Show a conversation; `known` (or a fetch) stands in when the list filters it out. */
  select(id: string, known?: ConversationItem): void {
    if (id === this.selectedId) return;
    this.stopTyping();
    this.selectedId = id;
    this.selectedItem = this.items.find((c) => c.id === id) ?? known ?? null;
    if (!this.selectedItem) void this.fetchSelected(id);
    this.announcement = "";
    this.updateItem(id, (c) => ({ ...c, unread_count: 0 }));
    if (!this.messages.has(id)) void this.loadMessages(id);
    this.markRead();
    this.changed();
  }

  private async fetchSelected(id: string): Promise<void> {
    try {
      const item = await api<ConversationItem>("GET", `/api/v1/conversations/${encodeURIComponent(id)}`);
      if (this.selectedId === id && !this.selectedItem) {
        this.selectedItem = { ...item, unread_count: 0 };
        this.changed();
      }
    } catch (e) {
      this.error = `Could not open the conversation: ${errorText(e)}`;
      this.changed();
    }
  }

  /** Page through the whole conversation over REST; live frames merge in meanwhile. */
  private async loadMessages(id: string): Promise<void> {
    if (this.loadingMessages.has(id)) return;
    this.loadingMessages.add(id);
    if (!this.messages.has(id)) this.messages.set(id, []);
    this.changed();
    try {
      let after = 0;
      for (let page = 0; page < MAX_MESSAGE_PAGES; page++) {
        const res = await api<MessagePage>(
          "GET",
          `/api/v1/conversations/${encodeURIComponent(id)}/messages${query({ after_seq: after, limit: MESSAGE_PAGE })}`,
        );
        this.messages.set(id, mergeMessages(this.messages.get(id) ?? [], res.items));
        this.changed();
        if (!res.has_more || !res.items.length) break;
        after = res.items[res.items.length - 1]!.seq;
      }
    } catch (e) {
      // Drop the partial copy so selecting the conversation again retries.
      this.messages.delete(id);
      this.error = `Could not load messages: ${errorText(e)}`;
    } finally {
      this.loadingMessages.delete(id);
      this.markRead();
      this.changed();
    }
  }

  send(text: string): boolean {
    const body = text.trim();
    if (!body || !this.selectedId) return false;
    this.stopTyping();
    this.client.sendMessage(body, this.selectedId);
    return true;
  }

  /** An internal note: over REST (the visitor's socket protocol has no part in it). */
  async sendNote(text: string): Promise<boolean> {
    const body = text.trim();
    const id = this.selectedId;
    if (!body || !id) return false;
    try {
      const res = await api<SendOut>("POST", `/api/v1/conversations/${encodeURIComponent(id)}/messages`, {
        body,
        note: true,
        client_msg_id: uuid4(),
      });
      const list = this.messages.get(id);
      if (list) this.messages.set(id, mergeMessages(list, [res.message]));
      this.error = "";
      this.changed();
      return true;
    } catch (e) {
      this.error = `Could not add the note: ${errorText(e)}`;
      this.changed();
      return false;
    }
  }

  /** Select the conversation `delta` rows away in the list (keyboard: j / k). */
  selectRelative(delta: number): void {
    if (!this.items.length) return;
    const at = this.items.findIndex((c) => c.id === this.selectedId);
    const next = at < 0 ? (delta > 0 ? 0 : this.items.length - 1) : Math.min(this.items.length - 1, Math.max(0, at + delta));
    this.select(this.items[next]!.id);
  }

  // ---- drafts: per agent and conversation, in localStorage (survive a reload) ----

  private draftKey(conversationId: string): string {
    return `${DRAFT_PREFIX}${this.agent.id}:${conversationId}`;
  }

  draft(conversationId: string): string {
    try {
      return this.drafts?.getItem(this.draftKey(conversationId)) ?? "";
    } catch {
      return "";
    }
  }

  saveDraft(conversationId: string, text: string): void {
    try {
      if (text) this.drafts?.setItem(this.draftKey(conversationId), text);
      else this.drafts?.removeItem(this.draftKey(conversationId));
    } catch {
      // Storage full or blocked: the draft lives as long as the page.
    }
  }

  composerChanged(text: string): void {
    const id = this.selectedId;
    if (!id) return;
    if (!text.trim()) {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REFRESH_MS || this.typingSentFor !== id) {
      if (this.client.send({ type: "typing", conversation_id: id, typing: true })) {
        this.typingSentAt = now;
        this.typingSentFor = id;
      }
    }
    clearTimeout(this.typingIdleTimer);
    this.typingIdleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdleTimer);
    if (this.typingSentFor) {
      this.client.send({ type: "typing", conversation_id: this.typingSentFor, typing: false });
    }
    this.typingSentAt = 0;
    this.typingSentFor = null;
  }

  dismissFailed(clientMsgId: string): void {
    this.failed = this.failed.filter((f) => f.client_msg_id !== clientMsgId);
    this.changed();
  }

  /** Snooze the selected conversation until `until` (a Date in the future). */
  snooze(until: Date): Promise<void> {
    return this.act("snooze", { until: until.toISOString() });
  }

  setPriority(priority: Priority): Promise<void> {
    return this.act("priority", { priority });
  }

  /** resolve | reopen | assign | snooze | priority: the server answers with the updated conversation. */
  async act(
    action: "resolve" | "reopen" | "assign" | "snooze" | "priority",
    arg?: string | null | Record<string, string>,
  ): Promise<void> {
    const id = this.selectedId;
    if (!id) return;
    try {
      const body =
        action === "assign" ? { agent_id: (arg as string | null | undefined) ?? null } : typeof arg === "object" ? arg : undefined;
      const updated = await api<ConversationItem>(
        "POST",
        `/api/v1/conversations/${encodeURIComponent(id)}/${action}`,
        body,
      );
      this.mergeItems([updated]);
      this.scheduleCounts();
      this.error = "";
    } catch (e) {
      this.error = `Could not ${action}: ${errorText(e)}`;
    }
    this.changed();
  }

  clearError(): void {
    this.error = "";
    this.listError = "";
    this.changed();
  }

  /** Tell the server the agent has read the selected conversation (when the tab is visible). */
  private markRead(): void {
    const id = this.selectedId;
    if (!id || document.visibilityState !== "visible") return;
    const seq = maxSeq(this.messages.get(id) ?? []);
    if (!seq || (this.readSent.get(id) ?? 0) >= seq) return;
    if (this.client.send({ type: "seen", conversation_id: id, seq, state: "read" })) this.readSent.set(id, seq);
  }

  private readonly onVisibility = (): void => {
    if (document.visibilityState === "visible" && this.selectedId) {
      this.updateItem(this.selectedId, (c) => ({ ...c, unread_count: 0 }));
      this.markRead();
      this.changed();
    }
  };

  // ---- socket ----------------------------------------------------------------

  private async socketUrl(fresh: boolean): Promise<string> {
    if (fresh) {
      // 4001 (or repeated failures): is the session still valid?
      try {
        const me = await api<Session>("GET", "/api/v1/auth/me");
        this.agent = me.agent;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) this.onSignedOut();
        throw e;
      }
    }
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${location.host}/ws/agent`;
  }

  /** The console's one agent socket, shared with the alerts (notify/notifier.ts): they
   * hear every frame and may send their own (visibility), without a second connection. */
  channel(): AgentChannel {
    return {
      send: (frame) => this.client.send(frame),
      listen: (frame, status) => {
        const l = { frame, status };
        this.channelListeners.add(l);
        status(this.connection);
        return () => this.channelListeners.delete(l);
      },
    };
  }

  private onFrame(f: ServerFrame): void {
    for (const l of this.channelListeners) l.frame(f);
    const other = f as unknown as { type: string; visitor_id?: string; visitor?: { id?: string; visitor_id?: string } };
    if (other.type === "visitor.live" || other.type === "visitor.returned" || other.type === "visitor") {
      // The sidebar of this visitor refreshes (page trail, profile, a new visit).
      const vid = other.visitor_id ?? other.visitor?.visitor_id ?? other.visitor?.id;
      if (vid) {
        this.visitorRevisions.set(vid, (this.visitorRevisions.get(vid) ?? 0) + 1);
        if (this.selectedItem?.visitor.id === vid) this.changed();
      }
      return;
    }
    switch (f.type) {
      case "welcome":
        if (f.agent) this.agent = f.agent;
        // conversation frames may have been missed while disconnected.
        void this.reloadList();
        this.markRead();
        break;
      case "message":
        this.onMessage(f.conversation_id, f.message);
        break;
      case "conversation": {
        this.mergeItems([f.conversation as unknown as ConversationItem], true);
        this.scheduleCounts();
        break;
      }
      case "typing":
        if (f.sender.kind !== "visitor") return;
        clearTimeout(this.visitorTypingTimer);
        this.typingConversation = f.typing ? f.conversation_id : null;
        if (f.typing) {
          this.visitorTypingTimer = setTimeout(() => {
            this.typingConversation = null;
            this.changed();
          }, REMOTE_TYPING_TTL_MS);
        }
        break;
      case "receipt":
        if (f.side === "visitor" && f.read_seq) {
          this.visitorRead.set(f.conversation_id, Math.max(this.visitorRead.get(f.conversation_id) ?? 0, f.read_seq));
        }
        if (f.side === "visitor" && f.delivered_seq) {
          const was = this.visitorDelivered.get(f.conversation_id) ?? 0;
          this.visitorDelivered.set(f.conversation_id, Math.max(was, f.delivered_seq));
        }
        break;
      case "history":
        if (this.messages.has(f.conversation_id)) {
          this.messages.set(f.conversation_id, mergeMessages(this.messages.get(f.conversation_id)!, f.messages));
        }
        break;
      default:
        return;
    }
    this.changed();
  }

  private onMessage(conversationId: string, m: ConsoleMessage): void {
    const list = this.messages.get(conversationId);
    if (list) this.messages.set(conversationId, mergeMessages(list, [m]));
    const selected = conversationId === this.selectedId;

    const known = this.updateItem(conversationId, (c) => {
      // A replayed message (seq already counted) changes nothing.
      if (m.seq <= c.last_seq) return c;
      const newer = parseTime(m.created_at).getTime() >= parseTime(c.updated_at).getTime();
      return {
        ...c,
        last_seq: m.seq,
        last_message: { body: m.body, created_at: m.created_at, sender_kind: m.sender.kind, note: m.note },
        updated_at: newer ? m.created_at : c.updated_at,
        unread_count: m.sender.kind === "visitor" && !selected ? c.unread_count + 1 : c.unread_count,
      };
    });
    if (!known) this.scheduleListRefresh();
    if (m.sender.kind === "visitor") this.scheduleCounts();

    if (selected && m.sender.kind === "visitor") {
      if (this.typingConversation === conversationId) this.typingConversation = null;
      this.announcement = `Visitor: ${m.body}`;
    }
    if (selected) this.markRead();
  }

  private onAck(item: OutboxItem, ack: AckFrame): void {
    const list = this.messages.get(ack.conversation_id);
    if (list && !list.some((m) => m.seq === ack.seq)) {
      // Shown as sent at once; the `message` frame for this seq replaces it.
      this.messages.set(
        ack.conversation_id,
        mergeMessages(list, [
          {
            id: ack.message_id,
            seq: ack.seq,
            sender: { kind: "agent", id: this.agent.id, name: this.agent.name },
            body: item.body,
            client_msg_id: item.client_msg_id,
            created_at: new Date().toISOString(),
          },
        ]),
      );
    }
    this.changed();
  }

  // ---- view ------------------------------------------------------------------


  protected buildView(): InboxView {
    const id = this.selectedId;
    const selected = id ? (this.items.find((c) => c.id === id) ?? this.selectedItem) : null;
    const messages = id ? (this.messages.get(id) ?? []) : [];
    const shown = new Set(messages.map((m) => m.client_msg_id));
    const pending = [...this.client.pending, ...this.failed].filter(
      (p) => p.conversation_id === id && !shown.has(p.client_msg_id),
    );
    return {
      agent: this.agent,
      connection: this.connection,
      filter: this.filter,
      conversations: this.items,
      hasMoreConversations: Boolean(this.nextCursor),
      loadingConversations: this.loadingList,
      selected,
      messages,
      loadingMessages: id ? this.loadingMessages.has(id) : false,
      pending,
      visitorTyping: Boolean(id) && this.typingConversation === id,
      visitorReadSeq: selected
        ? Math.max(this.visitorRead.get(selected.id) ?? 0, selected.visitor_read_seq ?? 0)
        : 0,
      announcement: this.announcement,
      error: this.error || this.listError,
      counts: this.counts,
      websites: this.websites,
      visitorDeliveredSeq: selected ? (this.visitorDelivered.get(selected.id) ?? 0) : 0,
      visitorRevision: selected ? (this.visitorRevisions.get(selected.visitor.id) ?? 0) : 0,
    };
  }
}
