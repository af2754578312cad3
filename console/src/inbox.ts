// The agent inbox: conversation list, the selected conversation's messages and
// the live /ws/agent connection. Rendering lives in components/; this keeps
// the state and publishes an immutable `view` on every change.

import type { ServerFrame } from "../../widget/src/shared/protocol";
import { RealtimeClient, type AckFrame, type ConnectionStatus, type OutboxItem } from "../../widget/src/shared/realtime";
import { ViewStore } from "../../widget/src/shared/store";
import { maxSeq, mergeMessages, parseTime } from "../../widget/src/shared/util";
import { ApiError, api, query } from "./api";
import type {
  AgentInfo,
  ChatMessage,
  ConversationItem,
  ConversationPage,
  ListFilter,
  MessagePage,
  Session,
} from "./types";

const LIST_PAGE = 50;
const MESSAGE_PAGE = 100;
/** Safety stop for paging through a conversation's messages. */
const MAX_MESSAGE_PAGES = 50;
const TYPING_REFRESH_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const REMOTE_TYPING_TTL_MS = 8_000;
const LIST_REFRESH_DEBOUNCE_MS = 500;

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
  messages: readonly ChatMessage[];
  loadingMessages: boolean;
  pending: readonly PendingReply[];
  visitorTyping: boolean;
  /** The visitor has read the selected conversation up to this seq. */
  visitorReadSeq: number;
  /** Latest incoming visitor message in the selected conversation, for aria-live. */
  announcement: string;
  /** Last failed action (resolve, load, ...), shown in a banner. */
  error: string;
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
  }

  stop(): void {
    document.removeEventListener("visibilitychange", this.onVisibility);
    clearTimeout(this.listRefreshTimer);
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
    const { status, assignee } = this.filter;
    return query({
      status,
      assignee: assignee === "all" ? undefined : assignee,
      limit: LIST_PAGE,
      cursor,
    });
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
    const { status, assignee } = this.filter;
    if (status !== "all" && c.status !== status) return false;
    if (assignee === "me") return c.assignee_id === this.agent.id;
    if (assignee === "unassigned") return !c.assignee_id;
    return true;
  }

  /** Insert or replace items, keep the list filtered and newest-activity-first. */
  private mergeItems(incoming: ConversationItem[]): void {
    const byId = new Map(this.items.map((c) => [c.id, c]));
    for (const c of incoming) {
      // The selected conversation is on screen: nothing in it is unread. (The
      // server's count lags until our `seen` frame reaches it.)
      const item = c.id === this.selectedId ? { ...c, unread_count: 0 } : c;
      if (item.id === this.selectedId) this.selectedItem = item;
      if (this.matchesFilter(item)) byId.set(item.id, item);
      else byId.delete(item.id);
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

  select(id: string): void {
    if (id === this.selectedId) return;
    this.stopTyping();
    this.selectedId = id;
    this.selectedItem = this.items.find((c) => c.id === id) ?? null;
    this.announcement = "";
    this.updateItem(id, (c) => ({ ...c, unread_count: 0 }));
    if (!this.messages.has(id)) void this.loadMessages(id);
    this.markRead();
    this.changed();
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

  /** resolve | reopen | assign: the server answers with the updated conversation. */
  async act(action: "resolve" | "reopen" | "assign", assignTo?: string | null): Promise<void> {
    const id = this.selectedId;
    if (!id) return;
    try {
      const body = action === "assign" ? { agent_id: assignTo ?? null } : undefined;
      const updated = await api<ConversationItem>(
        "POST",
        `/api/v1/conversations/${encodeURIComponent(id)}/${action}`,
        body,
      );
      this.mergeItems([updated]);
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

  private onFrame(f: ServerFrame): void {
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
        this.mergeItems([f.conversation as unknown as ConversationItem]);
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

  private onMessage(conversationId: string, m: ChatMessage): void {
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
        last_message: { body: m.body, created_at: m.created_at, sender_kind: m.sender.kind },
        updated_at: newer ? m.created_at : c.updated_at,
        unread_count: m.sender.kind === "visitor" && !selected ? c.unread_count + 1 : c.unread_count,
      };
    });
    if (!known) this.scheduleListRefresh();

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
    };
  }
}
