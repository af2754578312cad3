// The chat panel's state and behaviour, kept apart from rendering (ui.tsx).
//
// One PanelController per iframe. It gets its credentials from the loader
// (ParentBridge), talks to /ws/visitor through the shared RealtimeClient, keeps
// every conversation's messages deduplicated by seq, and exposes an immutable
// `view` snapshot that the Preact components render.

import type { ChatMessage, ServerFrame } from "../shared/protocol";
import { RealtimeClient, type AckFrame, type ConnectionStatus, type OutboxItem } from "../shared/realtime";
import { ViewStore } from "../shared/store";
import { maxSeq, mergeMessages, readJSON, safeStorage, writeJSON } from "../shared/util";
import { ParentBridge, findParentOrigin, type InitData, type WebsiteInfo } from "./bridge";

const HISTORY_PAGE = 50;
/** Refresh the token this long before the loader said it expires. */
const TOKEN_MARGIN_MS = 30_000;
/** While the visitor types, re-send `typing: true` at most this often... */
const TYPING_REFRESH_MS = 3_000;
/** ...and send `typing: false` after this much quiet. */
const TYPING_IDLE_MS = 4_000;
/** Hide an agent's typing indicator if no update arrives (a lost `typing: false`). */
const REMOTE_TYPING_TTL_MS = 8_000;
const SEEN_DELAY_MS = 300;

export type Phase =
  | "starting" // waiting for the loader's init
  | ConnectionStatus
  | "blocked" // the server refused this origin (close 4003)
  | "unavailable"; // no parent origin to talk to

export interface PendingMessage extends OutboxItem {
  /** Set when the server refused the message for good. */
  error?: string;
}

export interface PanelView {
  phase: Phase;
  website: WebsiteInfo | null;
  agentsOnline: boolean;
  open: boolean;
  conversationId: string | null;
  resolved: boolean;
  messages: readonly ChatMessage[];
  /** Queued (unacked) or failed messages of the shown conversation. */
  pending: readonly PendingMessage[];
  hasEarlier: boolean;
  loadingEarlier: boolean;
  /** Name of the agent typing in the shown conversation. */
  agentTyping: string | null;
  /** The agent has read the shown conversation up to this seq. */
  agentReadSeq: number;
  /** Text for the aria-live region: the latest incoming message. */
  announcement: string;
  canSend: boolean;
}

interface Conversation {
  id: string;
  status: string;
  createdAt: string;
  messages: ChatMessage[];
  agentReadSeq: number;
  historyLoaded: boolean;
  hasEarlier: boolean;
  loadingEarlier: boolean;
}

/** What survives a reload, per website and visitor, in the panel's own storage. */
interface Persisted {
  conversation: string | null;
  seqs: Record<string, number>;
  outbox: OutboxItem[];
}

const storage = safeStorage("localStorage") ?? safeStorage("sessionStorage");

function describeError(code: string, detail: string): string {
  switch (code) {
    case "message_too_long":
      return "message is too long";
    case "not_found":
      return "conversation not found";
    default:
      return detail || code;
  }
}

export class PanelController extends ViewStore<PanelView> {

  private readonly bridge: ParentBridge | null;

  private init: InitData | null = null;
  private tokenExpiresAt = Infinity;
  private tokenWaiters: Array<() => void> = [];
  private client: RealtimeClient | null = null;
  private status: ConnectionStatus = "stopped";
  private blocked = false;
  private open = true;
  private agentsOnline = false;
  private announcement = "";

  private readonly convs = new Map<string, Conversation>();
  private current: string | null = null;
  /** Resume points loaded from storage, for conversations not in memory yet. */
  private storedSeqs: Record<string, number> = {};
  private failed: PendingMessage[] = [];

  private agentTyping: { conversationId: string; name: string } | null = null;
  private agentTypingTimer: ReturnType<typeof setTimeout> | undefined;
  private typingSentAt = 0;
  private typingConversation: string | null = null;
  private typingIdleTimer: ReturnType<typeof setTimeout> | undefined;
  private seenTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly seenSent = new Map<string, { delivered: number; read: number }>();

  constructor() {
    super();
    const origin = findParentOrigin();
    this.bridge = origin
      ? new ParentBridge(origin, {
          onInit: (d) => this.onInit(d),
          onVisibility: (open) => this.setOpen(open),
        })
      : null;
    this.view = this.buildView();
    document.addEventListener("visibilitychange", () => this.scheduleSeen());
  }

  /** Say hello to the loader; everything else follows from its init. */
  start(): void {
    this.bridge?.requestInit("sitechat:ready");
  }


  // ---- actions from the UI -------------------------------------------------

  /** Queue a message; returns false if there was nothing to send. */
  send(text: string): boolean {
    const body = text.trim();
    if (!body || !this.client || this.blocked) return false;
    this.stopTyping();
    const conv = this.currentConv();
    // Omitting conversation_id asks the server for "my open conversation, or a
    // new one": right when none is shown or the shown one was resolved.
    this.client.sendMessage(body, conv && conv.status !== "resolved" ? conv.id : undefined);
    return true;
  }

  composerChanged(text: string): void {
    const conv = this.currentConv();
    if (!conv || conv.status === "resolved" || !this.client) return;
    if (!text.trim()) {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REFRESH_MS) {
      if (this.client.send({ type: "typing", conversation_id: conv.id, typing: true })) {
        this.typingSentAt = now;
        this.typingConversation = conv.id;
      }
    }
    clearTimeout(this.typingIdleTimer);
    this.typingIdleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  loadEarlier(): void {
    const conv = this.currentConv();
    if (!conv || !conv.hasEarlier || conv.loadingEarlier || !conv.messages.length) return;
    if (this.requestHistory(conv, conv.messages[0]!.seq)) {
      conv.loadingEarlier = true;
      this.changed();
    }
  }

  dismissFailed(clientMsgId: string): void {
    this.failed = this.failed.filter((f) => f.client_msg_id !== clientMsgId);
    this.changed();
  }

  close(): void {
    this.bridge?.close();
  }

  // ---- loader handshake ----------------------------------------------------

  private onInit(d: InitData): void {
    const newVisitor = !this.init || this.init.visitor_id !== d.visitor_id;
    this.init = d;
    this.tokenExpiresAt =
      typeof d.token_expires_in === "number" ? Date.now() + d.token_expires_in * 1000 : Infinity;
    this.agentsOnline = Boolean(d.agents_online);
    if (typeof d.open === "boolean") this.open = d.open;
    const waiters = this.tokenWaiters;
    this.tokenWaiters = [];
    waiters.forEach((resolve) => resolve());
    if (newVisitor) this.startSession();
    this.changed();
  }

  private setOpen(open: boolean): void {
    this.open = open;
    this.scheduleSeen();
    this.changed();
  }

  private storageKey(): string {
    return `sitechat:${this.init!.website.id}:${this.init!.visitor_id}`;
  }

  /** (Re)start for the visitor in `init`: restore what storage kept, connect. */
  private startSession(): void {
    this.client?.stop();
    this.convs.clear();
    this.failed = [];
    this.seenSent.clear();
    const saved = readJSON<Persisted>(storage, this.storageKey());
    this.current = saved?.conversation ?? null;
    this.storedSeqs = saved?.seqs ?? {};
    this.client = new RealtimeClient(
      {
        getUrl: (fresh) => this.socketUrl(fresh),
        resume: () => this.resumePoints(),
        onFrame: (f) => this.onFrame(f),
        onStatus: (s) => {
          this.status = s;
          this.changed();
        },
        onFatal: () => {
          this.blocked = true;
          this.changed();
        },
        onOutbox: () => {
          this.persist();
          this.changed();
        },
        onAck: (item, ack) => this.onAck(item, ack),
        onSendFailed: (item, code, detail) => {
          this.failed.push({ ...item, error: describeError(code, detail) });
          this.changed();
        },
      },
      Array.isArray(saved?.outbox) ? saved!.outbox : [],
    );
    this.client.start();
  }

  private async socketUrl(fresh: boolean): Promise<string> {
    if (fresh || Date.now() > this.tokenExpiresAt - TOKEN_MARGIN_MS) {
      await new Promise<void>((resolve) => {
        this.tokenWaiters.push(resolve);
        if (this.tokenWaiters.length === 1) this.bridge!.requestInit("sitechat:token");
      });
    }
    const init = this.init!;
    const url = new URL(init.ws_url);
    url.searchParams.set("token", init.token);
    return url.toString();
  }

  private resumePoints(): Record<string, number> {
    const points: Record<string, number> = { ...this.storedSeqs };
    for (const c of this.convs.values()) {
      const seq = maxSeq(c.messages);
      if (seq > (points[c.id] ?? 0)) points[c.id] = seq;
    }
    return points;
  }

  private persist(): void {
    if (!this.init || !this.client) return;
    const data: Persisted = {
      conversation: this.current,
      seqs: this.resumePoints(),
      outbox: [...this.client.pending],
    };
    writeJSON(storage, this.storageKey(), data);
  }

  // ---- server frames -------------------------------------------------------

  private onFrame(f: ServerFrame): void {
    switch (f.type) {
      case "welcome": {
        if (typeof f.agents_online === "boolean") this.agentsOnline = f.agents_online;
        const refs = f.conversations ?? [];
        for (const ref of refs) {
          const c = this.conv(ref.id);
          c.status = ref.status;
          if (ref.created_at) c.createdAt = ref.created_at;
        }
        // Forget resume points of conversations the server no longer lists.
        const listed = new Set(refs.map((r) => r.id));
        for (const id of Object.keys(this.storedSeqs)) if (!listed.has(id)) delete this.storedSeqs[id];
        if (this.current && !listed.has(this.current) && !this.convs.get(this.current)?.messages.length) {
          this.current = null;
        }
        if (!this.current) {
          // The newest conversation that is still going, if any.
          const live = refs
            .filter((r) => r.status !== "resolved")
            .sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""));
          this.current = live[0]?.id ?? null;
        }
        const conv = this.currentConv();
        // A fresh panel has no messages in memory: fetch the latest page. (After
        // a reconnect the resume replay covers what was missed.)
        if (conv && !conv.historyLoaded) this.requestHistory(conv, null);
        this.persist();
        break;
      }
      case "message": {
        const conv = this.conv(f.conversation_id);
        const known = conv.messages.some((m) => m.seq === f.message.seq);
        conv.messages = mergeMessages(conv.messages, [f.message]);
        this.maybeSwitchTo(conv);
        if (!known && conv.id === this.current && f.message.sender.kind !== "visitor") {
          const who = f.message.sender.name || (f.message.sender.kind === "agent" ? "Agent" : "");
          this.announcement = who ? `${who}: ${f.message.body}` : f.message.body;
          if (this.agentTyping?.conversationId === conv.id) this.agentTyping = null;
          this.scheduleSeen();
        }
        this.persist();
        break;
      }
      case "typing": {
        if (f.sender.kind !== "agent") break;
        clearTimeout(this.agentTypingTimer);
        this.agentTyping = f.typing ? { conversationId: f.conversation_id, name: f.sender.name || "Agent" } : null;
        if (f.typing) {
          this.agentTypingTimer = setTimeout(() => {
            this.agentTyping = null;
            this.changed();
          }, REMOTE_TYPING_TTL_MS);
        }
        break;
      }
      case "receipt": {
        if (f.side !== "agent") break;
        const conv = this.conv(f.conversation_id);
        conv.agentReadSeq = Math.max(conv.agentReadSeq, f.read_seq ?? 0);
        break;
      }
      case "presence":
        this.agentsOnline = Boolean(f.agents_online);
        break;
      case "conversation": {
        const conv = this.conv(f.conversation.id);
        conv.status = f.conversation.status;
        if (conv.status === "resolved" && this.agentTyping?.conversationId === conv.id) this.agentTyping = null;
        this.maybeSwitchTo(conv);
        break;
      }
      case "history": {
        const conv = this.conv(f.conversation_id);
        const messages = Array.isArray(f.messages) ? f.messages : [];
        conv.messages = mergeMessages(conv.messages, messages);
        conv.historyLoaded = true;
        conv.hasEarlier = messages.length >= HISTORY_PAGE;
        conv.loadingEarlier = false;
        this.scheduleSeen();
        this.persist();
        break;
      }
      case "error": {
        // A failed history request (id "history:<conversation>") must not spin forever.
        const id = f.id ?? "";
        if (id.startsWith("history:")) {
          const conv = this.convs.get(id.slice("history:".length));
          if (conv) {
            conv.loadingEarlier = false;
            conv.hasEarlier = false;
          }
        }
        break;
      }
      default:
        return;
    }
    this.changed();
  }

  private onAck(item: OutboxItem, ack: AckFrame): void {
    const conv = this.conv(ack.conversation_id);
    if (conv.status === "unknown") conv.status = "open";
    // Show the message as sent right away; the `message` frame for the same
    // seq (before or after this ack) replaces this copy.
    if (!conv.messages.some((m) => m.seq === ack.seq)) {
      conv.messages = mergeMessages(conv.messages, [
        {
          id: ack.message_id,
          seq: ack.seq,
          sender: { kind: "visitor", id: this.init?.visitor_id ?? null, name: null },
          body: item.body,
          client_msg_id: item.client_msg_id,
          created_at: new Date().toISOString(),
        },
      ]);
    }
    this.maybeSwitchTo(conv);
    this.persist();
    this.changed();
  }

  // ---- helpers ---------------------------------------------------------------

  private conv(id: string): Conversation {
    let c = this.convs.get(id);
    if (!c) {
      c = {
        id,
        status: "unknown",
        createdAt: "",
        messages: [],
        agentReadSeq: 0,
        historyLoaded: false,
        hasEarlier: false,
        loadingEarlier: false,
      };
      this.convs.set(id, c);
    }
    return c;
  }

  private currentConv(): Conversation | null {
    return this.current ? this.conv(this.current) : null;
  }

  /** Show `conv` if nothing is shown, or the shown conversation is over and `conv` is not. */
  private maybeSwitchTo(conv: Conversation): void {
    if (conv.id === this.current) return;
    const shown = this.currentConv();
    if (!shown || (shown.status === "resolved" && conv.status !== "resolved")) {
      this.current = conv.id;
      if (!conv.historyLoaded) this.requestHistory(conv, null);
    }
  }

  private requestHistory(conv: Conversation, beforeSeq: number | null): boolean {
    return Boolean(
      this.client?.send({
        type: "history",
        id: `history:${conv.id}`,
        conversation_id: conv.id,
        before_seq: beforeSeq,
        limit: HISTORY_PAGE,
      }),
    );
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdleTimer);
    if (this.typingSentAt && this.typingConversation) {
      this.client?.send({ type: "typing", conversation_id: this.typingConversation, typing: false });
    }
    this.typingSentAt = 0;
    this.typingConversation = null;
  }

  /** Tell the server how far the visitor got: "read" while shown, else "delivered". */
  private scheduleSeen(): void {
    clearTimeout(this.seenTimer);
    this.seenTimer = setTimeout(() => {
      const conv = this.currentConv();
      if (!conv || !this.client) return;
      let top = 0;
      for (const m of conv.messages) if (m.sender.kind !== "visitor") top = m.seq;
      if (!top) return;
      const state = this.open && document.visibilityState === "visible" ? "read" : "delivered";
      const sent = this.seenSent.get(conv.id) ?? { delivered: 0, read: 0 };
      if (sent[state] >= top) return;
      if (this.client.send({ type: "seen", conversation_id: conv.id, seq: top, state })) {
        sent[state] = top;
        if (state === "read") sent.delivered = Math.max(sent.delivered, top);
        this.seenSent.set(conv.id, sent);
      }
    }, SEEN_DELAY_MS);
  }


  protected buildView(): PanelView {
    const conv = this.currentConv();
    const messages = conv ? conv.messages : [];
    const shownIds = new Set(messages.map((m) => m.client_msg_id));
    const mine = (p: PendingMessage) =>
      (!p.conversation_id || p.conversation_id === this.current) && !shownIds.has(p.client_msg_id);
    const pending: PendingMessage[] = [...(this.client?.pending ?? []), ...this.failed].filter(mine);

    let phase: Phase;
    if (!this.bridge) phase = "unavailable";
    else if (this.blocked) phase = "blocked";
    else if (!this.init) phase = "starting";
    else phase = this.status;

    return {
      phase,
      website: this.init?.website ?? null,
      agentsOnline: this.agentsOnline,
      open: this.open,
      conversationId: this.current,
      resolved: conv?.status === "resolved",
      messages,
      pending,
      hasEarlier: conv?.hasEarlier ?? false,
      loadingEarlier: conv?.loadingEarlier ?? false,
      agentTyping: this.agentTyping && this.agentTyping.conversationId === this.current ? this.agentTyping.name : null,
      agentReadSeq: conv?.agentReadSeq ?? 0,
      announcement: this.announcement,
      canSend: Boolean(this.client) && !this.blocked,
    };
  }
}
