// The chat panel's state and behaviour, kept apart from rendering (ui.tsx).
//
// One PanelController per iframe. It gets its credentials and the website's
// settings from the host page (ParentBridge), talks to /ws/visitor through the
// shared RealtimeClient, keeps every conversation's messages deduplicated by
// seq, and exposes an immutable `view` snapshot that the Preact components
// render.

import { pickLocale, type Locale, type StringKey } from "../locales";
import type { ChatMessage, FieldErrors, LastMessage, ServerFrame, VisitorProfile } from "../shared/protocol";
import { RealtimeClient, type AckFrame, type ConnectionStatus, type OutboxItem } from "../shared/realtime";
import { ViewStore } from "../shared/store";
import { maxSeq, mergeMessages, readJSON, safeStorage, writeJSON, type KeyValueStore } from "../shared/util";
import { ParentBridge, findParentOrigin, type AgentCard, type InitData, type WebsiteInfo } from "./bridge";
import {
  check,
  isKnown,
  mergeProfile,
  offlineFields,
  prechatFields,
  profileFrom,
  type FieldSpec,
  type FormValues,
} from "./fields";
import { HostStore } from "./hoststore";

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
/** Request ids of our `profile.update` frames, to route their answers. */
const PREFORM = "prechat";
const ASK_EMAIL = "email";

export type Phase =
  | "starting" // waiting for the loader's init
  | ConnectionStatus
  | "blocked" // the server refused this origin (close 4003)
  | "unavailable"; // no parent origin to talk to

/** What the panel body shows. */
export type Screen = "chat" | "list" | "prechat" | "offline";

export interface PendingMessage extends OutboxItem {
  /** Set when the server refused the message for good. */
  error?: string;
}

export interface ConversationSummary {
  id: string;
  status: string;
  /** The last message's text, or "" when none is known. */
  preview: string;
  /** When it last moved (ISO). */
  at: string;
}

/** The in-conversation email question: asked, answered this session, or neither. */
export type EmailAsk = "ask" | "saved" | null;

export interface PanelView {
  phase: Phase;
  locale: Locale;
  website: WebsiteInfo | null;
  agents: ReadonlyMap<string, AgentCard>;
  /** Agents online and inside business hours. */
  available: boolean;
  /** The offline banner's text when not available, else "". */
  offlineNotice: string;
  /** The shown conversation waits in the routing queue: "someone will answer soon". */
  queued: boolean;
  open: boolean;
  muted: boolean;
  screen: Screen;
  conversations: readonly ConversationSummary[];
  conversationId: string | null;
  resolved: boolean;
  messages: readonly ChatMessage[];
  /** Queued (unacked) or failed messages of the shown conversation. */
  pending: readonly PendingMessage[];
  hasEarlier: boolean;
  loadingEarlier: boolean;
  /** Name of the agent typing in the shown conversation. */
  agentTyping: string | null;
  agentDeliveredSeq: number;
  agentReadSeq: number;
  /** Text for the aria-live region: the latest incoming message. */
  announcement: string;
  canSend: boolean;
  profile: VisitorProfile;
  /** The form shown on the prechat/offline screen. */
  formFields: readonly FieldSpec[];
  /** Errors the server found in the last form submission, by field. */
  formErrors: FieldErrors;
  /** Message text to put back into the form (a refused or diverted message). */
  draft: string;
  emailAsk: EmailAsk;
  /** What the visitor has typed into the email question so far. */
  emailDraft: string;
  emailError: StringKey | null;
  /** The shown conversation began as an offline-form message sent from this panel. */
  offlineSent: boolean;
}

interface Conversation {
  id: string;
  status: string;
  createdAt: string;
  lastMessage: LastMessage | null;
  messages: ChatMessage[];
  agentDeliveredSeq: number;
  agentReadSeq: number;
  historyLoaded: boolean;
  hasEarlier: boolean;
  loadingEarlier: boolean;
  /** Routing: "queue" or "offline_form" while no agent has it yet. */
  waiting: string | null;
}

/** What survives a reload, per website and visitor, in the panel's own storage. */
interface Persisted {
  conversation: string | null;
  seqs: Record<string, number>;
  outbox: OutboxItem[];
  /** Agent messages read up to this seq, per conversation (for the unread count). */
  read?: Record<string, number>;
  /** A profile.update not yet confirmed by the server. */
  profile?: VisitorProfile | null;
  prechatDone?: boolean;
  emailDeclined?: boolean;
}

/** Our own storage; null in a third-party iframe whose storage the browser blocks. */
const ownStorage = safeStorage("localStorage") ?? safeStorage("sessionStorage");

function errorKey(code: string): StringKey | null {
  return code === "message_too_long" ? "tooLong" : code === "not_found" ? "notFound" : null;
}

/** A server field error in the visitor's language where we know what it means. */
function fieldMessage(locale: Locale, field: string, message: string): string {
  if (/required|missing/i.test(message)) return locale.t("required");
  if (field === "email") return locale.t("badEmail");
  if (field === "phone") return locale.t("badPhone");
  return message;
}

export class PanelController extends ViewStore<PanelView> {
  private readonly bridge: ParentBridge | null;
  /** Without storage of our own, the host page keeps our entries. */
  private readonly hostStore: HostStore | null;

  private init: InitData | null = null;
  private tokenExpiresAt = Infinity;
  private tokenWaiters: Array<() => void> = [];
  private client: RealtimeClient | null = null;
  private status: ConnectionStatus = "stopped";
  private blocked = false;
  private welcomed = false;
  private open = true;
  private agentsOnline = false;
  private openNow = true;
  private agents = new Map<string, AgentCard>();
  private announcement = "";
  private localeWanted: string | null = null;
  private locale: Locale = pickLocale([]);
  private muted = false;

  private readonly convs = new Map<string, Conversation>();
  private current: string | null = null;
  /** The visitor asked for a new conversation: do not fall back to an open one. */
  private startNew = false;
  private listOpen = false;
  /** Resume points loaded from storage, for conversations not in memory yet. */
  private storedSeqs: Record<string, number> = {};
  private readUpTo: Record<string, number> = {};
  private failed: PendingMessage[] = [];
  /** client_msg_ids done with: stored (acked, or seen in a message) or refused for good. */
  private readonly settled = new Set<string>();
  private lastUnread = -1;

  private profile: VisitorProfile = {};
  private unsavedProfile: VisitorProfile | null = null;
  private prechatDone = false;
  /** The server refused a first message for missing details: show the form. */
  private prechatForced = false;
  private emailDeclined = false;
  private emailSaved = false;
  private emailDraft = "";
  private emailError: StringKey | null = null;
  private formErrors: FieldErrors = {};
  private draft = "";
  private offlineItem: string | null = null;
  private offlineConversation: string | null = null;

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
          onLocale: (code) => {
            this.localeWanted = code;
            this.applyLocale();
          },
          onReset: () => this.reset(),
        })
      : null;
    this.hostStore = ownStorage
      ? null
      : new HostStore(
          (state) => this.bridge?.post({ type: "sitechat:store", state }),
          (key) => this.savedElsewhere(key),
        );
    this.applyLocale();
    this.view = this.buildView();
    document.addEventListener("visibilitychange", () => this.scheduleSeen());
    addEventListener("storage", (e) => e.storageArea === ownStorage && this.savedElsewhere(e.key));
  }

  /** Say hello to the loader; everything else follows from its init. */
  start(): void {
    this.bridge?.requestInit("sitechat:ready");
  }

  // ---- actions from the UI -------------------------------------------------

  /** Send from the composer; returns false if there was nothing to send. */
  send(text: string): boolean {
    const body = text.trim();
    if (!body || !this.client || this.blocked) return false;
    this.stopTyping();
    const conv = this.currentConv();
    if (conv && conv.status !== "resolved") {
      this.client.sendMessage(body, conv.id);
      this.draft = "";
      return true;
    }
    // A new conversation: it may need the offline or the pre-chat form first.
    if (!this.pendingNew().length && (this.offlineFormWanted() || this.prechatWanted())) {
      this.current = null;
      this.startNew = true;
      this.draft = body;
      this.changed();
      return true;
    }
    this.draft = "";
    this.sendNew(body);
    return true;
  }

  /** The pre-chat form: save the details, then send the first message. */
  submitPrechat(values: FormValues, body: string): void {
    const update = profileFrom(prechatFields(this.init?.website ?? null, this.locale), values);
    this.prechatDone = true;
    this.prechatForced = false;
    this.formErrors = {};
    this.draft = "";
    this.saveProfile(update, PREFORM);
    if (body.trim()) this.sendNew(body.trim());
    else this.persist();
    this.changed();
  }

  /** The offline form: becomes a conversation through `offline.submit`. */
  submitOffline(values: FormValues, body: string): void {
    if (!this.client) return;
    const details = profileFrom(offlineFields(this.locale), values);
    const email = details.email ?? "";
    this.profile = mergeProfile(this.profile, details);
    this.formErrors = {};
    this.draft = "";
    const item = this.client.sendMessage(body.trim(), undefined, {
      offline: details.name ? { email, name: details.name } : { email },
    });
    this.offlineItem = item.client_msg_id;
    this.changed();
  }

  /** Typing in the in-conversation email question (kept here, not re-rendered). */
  typeEmail(text: string): void {
    this.emailDraft = text;
  }

  /** Progressive profiling: the email in the in-conversation card. */
  submitEmail(email: string): void {
    this.emailDraft = email;
    this.emailError = check({ key: "email", label: "", type: "email", required: true }, email);
    if (!this.emailError) {
      this.emailSaved = true;
      this.saveProfile({ email: email.trim() }, ASK_EMAIL);
    }
    this.changed();
  }

  declineEmail(): void {
    this.emailDeclined = true;
    this.persist();
    this.changed();
  }

  composerChanged(text: string): void {
    // Kept here, not only in the composer: a screen change (agents going away, a list
    // opened) unmounts the composer, and what the visitor typed must come back with it
    // (or go into the offline form's message field).
    this.draft = text;
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

  toggleList(): void {
    this.listOpen = !this.listOpen;
    this.changed();
  }

  openConversation(id: string): void {
    this.listOpen = false;
    this.startNew = false;
    this.draft = "";
    this.show(this.conv(id));
    this.persist();
    this.changed();
  }

  newConversation(): void {
    this.listOpen = false;
    this.stopTyping();
    this.current = null;
    this.startNew = true;
    this.draft = "";
    this.formErrors = {};
    this.persist();
    this.changed();
  }

  toggleMute(): void {
    this.muted = !this.muted;
    if (this.init) writeJSON(this.storage(), `sitechat:${this.init.website.id}:muted`, this.muted);
    this.changed();
  }

  close(): void {
    this.bridge?.post({ type: "sitechat:close" });
  }

  // ---- host page -----------------------------------------------------------

  private onInit(d: InitData): void {
    const newVisitor = !this.init || this.init.visitor_id !== d.visitor_id;
    this.init = d;
    this.tokenExpiresAt =
      typeof d.token_expires_in === "number" ? Date.now() + d.token_expires_in * 1000 : Infinity;
    this.agentsOnline = Boolean(d.agents_online);
    this.openNow = d.open_now !== false;
    this.agents = new Map((d.agents ?? []).map((a) => [a.id, a]));
    if (d.visitor) this.profile = mergeProfile(d.visitor, this.unsavedProfile ?? {});
    if (typeof d.open === "boolean") this.open = d.open;
    if (typeof d.locale === "string") this.localeWanted = d.locale;
    this.applyLocale();
    // The host's copy of our entries matters only to a fresh panel: later
    // inits carry what we sent ourselves.
    if (newVisitor && d.panel_state) this.hostStore?.load(d.panel_state);
    this.hostStore?.share(d.website.id);
    this.muted = readJSON<boolean>(this.storage(), `sitechat:${d.website.id}:muted`) === true;
    const waiters = this.tokenWaiters;
    this.tokenWaiters = [];
    waiters.forEach((resolve) => resolve());
    if (newVisitor) this.startSession();
    this.changed();
  }

  private applyLocale(): void {
    this.locale = pickLocale([this.localeWanted, ...(navigator.languages ?? []), navigator.language]);
    document.documentElement.lang = this.locale.tag;
    document.title = this.locale.t("chat");
    this.changed();
  }

  private setOpen(open: boolean): void {
    this.open = open;
    this.markRead();
    this.scheduleSeen();
    this.changed();
  }

  /** `reset()` on the host page: forget this visitor here too. */
  private reset(): void {
    this.client?.stop();
    this.client = null;
    const s = ownStorage ?? this.hostStore;
    if (this.init && s) {
      const prefix = `sitechat:${this.init.website.id}:`;
      for (let i = s.length - 1; i >= 0; i--) {
        const key = s.key(i);
        if (key?.startsWith(prefix)) s.removeItem(key);
      }
    }
    this.init = null;
    this.convs.clear();
    this.current = null;
    this.profile = {};
    this.unsavedProfile = null;
    this.failed = [];
    this.changed();
  }

  /** Storage, unless the website waits for the visitor's consent and has none yet. */
  private storage(): KeyValueStore | null {
    const d = this.init;
    if (!d) return null;
    const allowed = typeof d.storage === "boolean" ? d.storage : !d.website.behavior?.require_consent || d.consent === true;
    if (!allowed) return null;
    return ownStorage ?? this.hostStore;
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
    this.welcomed = false;
    const saved = readJSON<Persisted>(this.storage(), this.storageKey());
    this.current = saved?.conversation ?? null;
    this.storedSeqs = saved?.seqs ?? {};
    this.readUpTo = saved?.read ?? {};
    this.unsavedProfile = saved?.profile ?? null;
    if (this.unsavedProfile) this.profile = mergeProfile(this.profile, this.unsavedProfile);
    this.prechatDone = saved?.prechatDone === true;
    this.emailDeclined = saved?.emailDeclined === true;
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
        onSendFailed: (item, code, detail, fields) => this.onSendFailed(item, code, detail, fields),
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

  /** What is saved for this visitor, by this tab or another (own storage, or the host's copy). */
  private saved(): Persisted | null {
    return this.init ? readJSON<Persisted>(this.storage(), this.storageKey()) : null;
  }

  /** Messages in `saved` that are still to be sent, by client_msg_id. */
  private unsettled(saved: Persisted | null): OutboxItem[] {
    return (Array.isArray(saved?.outbox) ? saved!.outbox : []).filter(
      (i) => i && typeof i.client_msg_id === "string" && !this.settled.has(i.client_msg_id),
    );
  }

  /**
   * Save, merging with what is saved: other tabs of this visitor save to the
   * same entry. Their unsent messages stay (a resend is harmless: same
   * client_msg_id), and resume points and read marks take the higher value.
   */
  private persist(): void {
    const s = this.storage();
    if (!this.init || !this.client || !s) return;
    const stored = this.saved();
    const mine = this.client.pending;
    const ids = new Set(mine.map((i) => i.client_msg_id));
    // After a welcome, only conversations the server still lists (or that began since).
    const higher = (theirs: Record<string, number> | undefined, ours: Record<string, number>) => {
      const out = { ...ours };
      for (const [id, seq] of Object.entries(theirs ?? {})) {
        if (seq > (out[id] ?? 0) && (!this.welcomed || this.convs.has(id))) out[id] = seq;
      }
      return out;
    };
    const data: Persisted = {
      conversation: this.current,
      seqs: higher(stored?.seqs, this.resumePoints()),
      outbox: [...mine, ...this.unsettled(stored).filter((i) => !ids.has(i.client_msg_id))],
      read: higher(stored?.read, this.readUpTo),
      profile: this.unsavedProfile,
      prechatDone: this.prechatDone,
      emailDeclined: this.emailDeclined,
    };
    writeJSON(s, this.storageKey(), data);
  }

  /** Another tab saved over our entry: put back what it lacks of ours. */
  private savedElsewhere(key: string | null): void {
    if (!this.init || !this.client || key !== this.storageKey()) return;
    const saved = this.saved();
    const ids = new Set((saved?.outbox ?? []).map((i) => i?.client_msg_id));
    const above = (ours: Record<string, number>, theirs: Record<string, number> | undefined) =>
      Object.entries(ours).some(([id, seq]) => seq > (theirs?.[id] ?? 0));
    if (
      this.client.pending.some((i) => !ids.has(i.client_msg_id)) ||
      above(this.resumePoints(), saved?.seqs) ||
      above(this.readUpTo, saved?.read)
    ) {
      this.persist();
    }
  }

  // ---- server frames -------------------------------------------------------

  private onFrame(f: ServerFrame): void {
    switch (f.type) {
      case "welcome": {
        this.welcomed = true;
        if (typeof f.agents_online === "boolean") this.agentsOnline = f.agents_online;
        if (typeof f.open_now === "boolean") this.openNow = f.open_now;
        if (f.profile) this.profile = mergeProfile(f.profile, this.unsavedProfile ?? {});
        // Details given while the connection was down go first, before the
        // outbox: the server then has them when the first message arrives.
        if (this.unsavedProfile) this.client?.send({ type: "profile.update", id: PREFORM, ...this.unsavedProfile });
        const refs = f.conversations ?? [];
        for (const ref of refs) {
          const c = this.conv(ref.id);
          c.status = ref.status;
          c.waiting = ref.waiting ?? null;
          if (ref.created_at) c.createdAt = ref.created_at;
          if (ref.last_message !== undefined) c.lastMessage = ref.last_message;
          c.agentReadSeq = Math.max(c.agentReadSeq, ref.agent_read_seq ?? 0);
          c.agentDeliveredSeq = Math.max(c.agentDeliveredSeq, ref.agent_delivered_seq ?? 0, c.agentReadSeq);
          // The visitor's read mark, when the server sends it; a visitor who
          // wrote last has read everything before.
          this.readTo(c.id, ref.visitor_read_seq ?? 0);
          if (ref.last_message?.sender_kind === "visitor") this.readTo(c.id, ref.last_seq ?? 0);
        }
        // Forget resume points of conversations the server no longer lists.
        const listed = new Set(refs.map((r) => r.id));
        for (const id of Object.keys(this.storedSeqs)) if (!listed.has(id)) delete this.storedSeqs[id];
        if (this.current && !listed.has(this.current) && !this.convs.get(this.current)?.messages.length) {
          this.current = null;
        }
        if (!this.current && !this.startNew) {
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
        // What other tabs queued and saved (one may have been closed since) goes
        // out with our outbox, which is flushed after this.
        this.client?.adopt(this.unsettled(this.saved()));
        this.persist();
        break;
      }
      case "message": {
        const conv = this.conv(f.conversation_id);
        const m = f.message;
        const known = conv.messages.some((x) => x.seq === m.seq);
        conv.messages = mergeMessages(conv.messages, [m]);
        if (m.client_msg_id) this.settled.add(m.client_msg_id);
        // Sending counts as reading (in whichever tab it was sent).
        if (m.sender.kind === "visitor") this.readTo(conv.id, m.seq);
        if (!conv.lastMessage || conv.lastMessage.created_at <= m.created_at) {
          conv.lastMessage = { body: m.body, sender_kind: m.sender.kind, created_at: m.created_at };
        }
        this.maybeSwitchTo(conv);
        if (!known && m.sender.kind !== "visitor") this.incoming(conv, m);
        this.markRead();
        this.persist();
        break;
      }
      case "profile": {
        if (f.id === PREFORM || f.id === ASK_EMAIL) this.unsavedProfile = null;
        this.profile = mergeProfile(f.visitor, this.unsavedProfile ?? {});
        this.persist();
        break;
      }
      case "typing": {
        if (f.sender.kind !== "agent") break;
        clearTimeout(this.agentTypingTimer);
        this.agentTyping = f.typing ? { conversationId: f.conversation_id, name: this.agentName(f.sender) } : null;
        if (f.typing) {
          this.agentTypingTimer = setTimeout(() => {
            this.agentTyping = null;
            this.changed();
          }, REMOTE_TYPING_TTL_MS);
        }
        break;
      }
      case "receipt": {
        if (f.side !== "agent") {
          // The visitor read it in another tab (or on another device).
          this.readTo(f.conversation_id, f.read_seq ?? 0);
          this.persist();
          break;
        }
        const conv = this.conv(f.conversation_id);
        conv.agentReadSeq = Math.max(conv.agentReadSeq, f.read_seq ?? 0);
        conv.agentDeliveredSeq = Math.max(conv.agentDeliveredSeq, f.delivered_seq ?? 0, conv.agentReadSeq);
        break;
      }
      case "presence":
        this.agentsOnline = Boolean(f.agents_online);
        if (typeof f.open_now === "boolean") this.openNow = f.open_now;
        break;
      case "settings": {
        // An owner changed the website's settings: apply them without a reload, and
        // hand them to the launcher (colour, position, greeting) and its later inits.
        const init = this.init;
        if (!init || f.website_id !== init.website.id) return;
        const { appearance, behavior, prechat, offline } = f;
        const website = { ...init.website, appearance, behavior, prechat, offline };
        this.init = { ...init, website, open_now: f.open_now };
        this.openNow = f.open_now;
        this.bridge?.post({ type: "sitechat:settings", website, open_now: f.open_now });
        break;
      }
      case "conversation": {
        const ref = f.conversation;
        const conv = this.conv(ref.id);
        conv.status = ref.status;
        conv.waiting = ref.waiting ?? null;
        if (ref.created_at) conv.createdAt = ref.created_at;
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
        for (const m of messages) if (m.client_msg_id) this.settled.add(m.client_msg_id);
        // The visitor has read what came before their own last message. Agent
        // messages after it stay unread until the panel is shown, unless a read
        // mark says otherwise (ours, a receipt, or the welcome's if the server
        // sends one): with none (another device, cleared storage) they are news.
        let own = 0;
        for (const m of conv.messages) if (m.sender.kind === "visitor") own = m.seq;
        this.readTo(conv.id, own);
        this.markRead();
        this.scheduleSeen();
        this.persist();
        break;
      }
      case "error": {
        const id = f.id ?? "";
        if (id.startsWith("history:")) {
          // A failed history request must not spin forever.
          const conv = this.convs.get(id.slice("history:".length));
          if (conv) {
            conv.loadingEarlier = false;
            conv.hasEarlier = false;
          }
        } else if (id === PREFORM || id === ASK_EMAIL) {
          this.profileRefused(id, f.fields);
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
    this.settled.add(item.client_msg_id);
    this.readTo(conv.id, ack.seq);
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
    if (item.client_msg_id === this.offlineItem) {
      this.offlineConversation = conv.id;
      this.offlineItem = null;
    }
    if (!conv.lastMessage) {
      conv.lastMessage = { body: item.body, sender_kind: "visitor", created_at: new Date().toISOString() };
    }
    if (!item.conversation_id && (this.startNew || !this.current)) {
      // The new conversation this message started.
      this.startNew = false;
      this.show(conv);
    } else {
      this.maybeSwitchTo(conv);
    }
    this.persist();
    this.changed();
  }

  private onSendFailed(item: OutboxItem, code: string, detail: string, fields: FieldErrors): void {
    this.settled.add(item.client_msg_id);
    if (code === "profile_required" || (item.offline && code === "validation_error")) {
      // Back to the form it needs, with the message and what is wrong.
      this.current = null;
      this.startNew = true;
      this.prechatDone = false;
      this.prechatForced = !item.offline;
      this.draft = item.body;
      this.formErrors = this.localizeFields(fields);
      if (item.offline) this.offlineItem = null;
      // Our copy of the website's settings may be older than the server's.
      else this.bridge?.requestInit("sitechat:token");
    } else {
      const key = errorKey(code);
      this.failed.push({ ...item, error: key ? this.locale.t(key) : detail || code });
    }
    this.persist();
    this.changed();
  }

  private profileRefused(id: string, raw: unknown): void {
    const fields = this.localizeFields(raw as FieldErrors);
    this.unsavedProfile = null;
    if (id === ASK_EMAIL) {
      this.emailSaved = false;
      this.emailError = "badEmail";
      this.profile = { ...this.profile, email: null };
    } else {
      this.formErrors = fields;
    }
    this.persist();
  }

  private localizeFields(fields: FieldErrors | undefined): FieldErrors {
    const out: FieldErrors = {};
    const entries = Array.isArray(fields)
      ? (fields as Array<{ field: string; message: string }>).map((f) => [f.field, f.message] as const)
      : Object.entries(fields ?? {});
    for (const [k, v] of entries) out[k] = fieldMessage(this.locale, k, String(v));
    return out;
  }

  // ---- helpers ---------------------------------------------------------------

  private conv(id: string): Conversation {
    let c = this.convs.get(id);
    if (!c) {
      c = {
        id,
        status: "unknown",
        createdAt: "",
        lastMessage: null,
        messages: [],
        agentDeliveredSeq: 0,
        agentReadSeq: 0,
        historyLoaded: false,
        hasEarlier: false,
        loadingEarlier: false,
        waiting: null,
      };
      this.convs.set(id, c);
    }
    return c;
  }

  private currentConv(): Conversation | null {
    return this.current ? this.conv(this.current) : null;
  }

  private show(conv: Conversation): void {
    this.current = conv.id;
    if (!conv.historyLoaded) this.requestHistory(conv, null);
    this.markRead();
    this.scheduleSeen();
  }

  /**
   * Show `conv` if nothing is shown (and no new conversation is being started),
   * or the shown conversation is over and `conv` is not.
   */
  private maybeSwitchTo(conv: Conversation): void {
    if (conv.id === this.current || this.startNew) return;
    const shown = this.currentConv();
    if (!shown || (shown.status === "resolved" && conv.status !== "resolved")) this.show(conv);
  }

  private agentName(sender: { id?: string | null; name?: string | null }): string {
    return (sender.id && this.agents.get(sender.id)?.name) || sender.name || this.locale.t("agent");
  }

  /** A new message from an agent (not a history page). */
  private incoming(conv: Conversation, m: ChatMessage): void {
    if (conv.id === this.current) {
      const name = m.sender.kind === "agent" ? this.agentName(m.sender) : "";
      this.announcement = name ? this.locale.t("newMessage", { name, body: m.body }) : m.body;
      if (this.agentTyping?.conversationId === conv.id) this.agentTyping = null;
      this.scheduleSeen();
    }
    if (m.sender.kind === "agent" && m.seq > (this.readUpTo[conv.id] ?? 0)) {
      this.bridge?.post({
        type: "sitechat:message",
        conversation_id: conv.id,
        message: { body: m.body, sender: { kind: m.sender.kind, name: this.agentName(m.sender) }, created_at: m.created_at },
        sound: !this.open && !this.muted,
      });
    }
  }

  private lastIncoming(conv: Conversation): number {
    let top = 0;
    for (const m of conv.messages) if (m.sender.kind === "agent") top = m.seq;
    return top;
  }

  private shownToVisitor(): boolean {
    return this.open && document.visibilityState === "visible" && !this.listOpen;
  }

  /** The shown conversation is on screen: its agent messages are read. */
  private markRead(): void {
    const conv = this.currentConv();
    if (!conv || !this.shownToVisitor()) return;
    const top = this.lastIncoming(conv);
    if (top > (this.readUpTo[conv.id] ?? 0)) {
      this.readUpTo[conv.id] = top;
      this.persist();
      this.changed();
    }
  }

  /** The visitor has read `id` up to `seq` (marks only rise). */
  private readTo(id: string, seq: number): void {
    if (seq > (this.readUpTo[id] ?? 0)) {
      this.readUpTo[id] = seq;
      this.changed();
    }
  }

  private unreadCount(): number {
    let n = 0;
    for (const c of this.convs.values()) {
      const upTo = this.readUpTo[c.id] ?? 0;
      for (const m of c.messages) if (m.sender.kind === "agent" && m.seq > upTo) n++;
    }
    return n;
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

  /** Messages queued for a conversation that does not exist yet. */
  private pendingNew(): readonly OutboxItem[] {
    return (this.client?.pending ?? []).filter((p) => !p.conversation_id);
  }

  private sendNew(body: string): void {
    // Only the first message of a new conversation asks for one; the ones
    // queued behind it follow it there (the server takes them in order).
    const first = !this.pendingNew().length;
    this.client?.sendMessage(body, undefined, first && (this.startNew || this.current) ? { new_conversation: true } : {});
  }

  /**
   * Save details now, and again on the next welcome until the server's answer
   * comes (a socket can close with the frame unread).
   */
  private saveProfile(update: VisitorProfile, id: string): void {
    this.profile = mergeProfile(this.profile, update);
    this.unsavedProfile = mergeProfile(this.unsavedProfile ?? {}, update);
    this.client?.send({ type: "profile.update", id, ...update });
    this.persist();
  }

  private offline(): boolean {
    return !this.openNow || !this.agentsOnline;
  }

  private offlineFormWanted(): boolean {
    return this.offline() && this.init?.website.offline?.form_enabled !== false;
  }

  /** Whether a new conversation starts with the pre-chat form. */
  private prechatWanted(): boolean {
    const specs = prechatFields(this.init?.website ?? null, this.locale);
    if (!specs.length) return false;
    if (specs.some((f) => f.required && !isKnown(this.profile, f.key))) return true;
    // Only optional fields: ask once, unless something is known already.
    return !specs.some((f) => f.required) && !this.prechatDone && !specs.some((f) => isKnown(this.profile, f.key));
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
      this.markRead();
      const conv = this.currentConv();
      if (!conv || !this.client) return;
      const top = this.lastIncoming(conv);
      if (!top) return;
      const state = this.shownToVisitor() ? "read" : "delivered";
      const sent = this.seenSent.get(conv.id) ?? { delivered: 0, read: 0 };
      if (sent[state] >= top) return;
      if (this.client.send({ type: "seen", conversation_id: conv.id, seq: top, state })) {
        sent[state] = top;
        if (state === "read") sent.delivered = Math.max(sent.delivered, top);
        this.seenSent.set(conv.id, sent);
      }
    }, SEEN_DELAY_MS);
  }

  private screen(conv: Conversation | null): Screen {
    if (this.listOpen) return "list";
    if (conv || this.pendingNew().length || this.offlineItem) return "chat";
    // Before the welcome we do not know the open conversation yet.
    if (!this.welcomed && !this.startNew && this.init?.has_open_conversation) return "chat";
    if (this.offlineFormWanted()) return "offline";
    if (this.prechatForced || this.prechatWanted()) return "prechat";
    return "chat";
  }

  protected buildView(): PanelView {
    const conv = this.currentConv();
    const messages = conv ? conv.messages : [];
    const shownIds = new Set(messages.map((m) => m.client_msg_id));
    // Messages without a conversation start one (or go to the open one): they
    // belong to the shown conversation unless an older one is being read.
    const newest = !conv || [...this.convs.values()].every((c) => c.createdAt <= conv.createdAt);
    const mine = (p: PendingMessage) =>
      (p.conversation_id ? p.conversation_id === this.current : newest || conv!.status === "resolved") &&
      !shownIds.has(p.client_msg_id);
    const pending: PendingMessage[] = [...(this.client?.pending ?? []), ...this.failed].filter(mine);

    let phase: Phase;
    if (!this.bridge) phase = "unavailable";
    else if (this.blocked) phase = "blocked";
    else if (!this.init) phase = "starting";
    else phase = this.status;

    const website = this.init?.website ?? null;
    const screen = this.screen(conv);
    const waiting = conv && conv.status !== "resolved" ? conv.waiting : null;
    // Nobody could take it and the website wants the offline form then: its message,
    // and the email question so the answer can reach the visitor later.
    const offline = (this.offline() || waiting === "offline_form") && Boolean(this.init);
    const askEmail =
      (website?.behavior?.ask_email_in_chat === true || waiting === "offline_form") &&
      !this.profile.email &&
      !this.emailDeclined &&
      screen === "chat" &&
      [...messages, ...pending].some((m) => !("sender" in m) || m.sender.kind === "visitor");

    const unread = this.unreadCount();
    if (unread !== this.lastUnread && this.init) {
      this.lastUnread = unread;
      this.bridge?.post({ type: "sitechat:unread", count: unread });
    }

    const conversations: ConversationSummary[] = [...this.convs.values()]
      .filter((c) => c.status !== "unknown" || c.messages.length)
      .map((c) => ({
        id: c.id,
        status: c.status,
        preview: c.lastMessage?.body ?? "",
        at: c.lastMessage?.created_at ?? c.createdAt,
      }))
      .sort((a, b) => b.at.localeCompare(a.at));

    return {
      phase,
      locale: this.locale,
      website,
      agents: this.agents,
      available: !offline,
      offlineNotice: offline ? (website?.offline?.message ?? "") : "",
      queued: waiting === "queue" && screen === "chat",
      open: this.open,
      muted: this.muted,
      screen,
      conversations,
      conversationId: this.current,
      resolved: conv?.status === "resolved",
      messages,
      pending,
      hasEarlier: conv?.hasEarlier ?? false,
      loadingEarlier: conv?.loadingEarlier ?? false,
      agentTyping: this.agentTyping && this.agentTyping.conversationId === this.current ? this.agentTyping.name : null,
      agentDeliveredSeq: conv?.agentDeliveredSeq ?? 0,
      agentReadSeq: conv?.agentReadSeq ?? 0,
      announcement: this.announcement,
      canSend: Boolean(this.client) && !this.blocked,
      profile: this.profile,
      formFields: screen === "offline" ? offlineFields(this.locale) : prechatFields(website, this.locale),
      formErrors: this.formErrors,
      draft: this.draft,
      emailAsk: askEmail ? "ask" : this.emailSaved && this.profile.email && screen === "chat" ? "saved" : null,
      emailDraft: this.emailDraft,
      emailError: this.emailError,
      offlineSent: Boolean(conv && conv.id === this.offlineConversation),
    };
  }
}
