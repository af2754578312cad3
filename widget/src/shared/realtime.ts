// A WebSocket client shared by the visitor panel and the agent console.
//
// It owns the transport concerns both need: connect, the `hello`/`resume`
// handshake, heartbeats, reconnecting with backoff, the server's close codes,
// and an outbox that resends unacknowledged messages (with the same
// client_msg_id, so the server never stores one twice) after every reconnect.
// What frames mean is left to the caller (onFrame).

import { CloseCode, fieldErrors, type ClientFrame, type FieldErrors, type ServerFrame } from "./protocol";
import { uuid4 } from "./util";

export type ConnectionStatus = "connecting" | "online" | "offline" | "stopped";

export interface OutboxItem {
  client_msg_id: string;
  body: string;
  /** Omitted by the visitor widget to mean "my open conversation, or a new one". */
  conversation_id?: string;
  /** Visitor widget: start a new conversation even if one is open. */
  new_conversation?: boolean;
  /** Visitor widget: sent as `offline.submit` (the offline form) with these details. */
  offline?: { email: string; name?: string };
}

export type AckFrame = Extract<ServerFrame, { type: "ack" }>;

export interface RealtimeOptions {
  /**
   * Resolve to the socket URL. `fresh` means the last credentials were
   * rejected (close 4001) or connecting keeps failing: get new ones first.
   * A rejection is retried later with backoff.
   */
  getUrl(fresh: boolean): Promise<string>;
  /** Last seq seen per conversation, sent in `hello` so the server replays the rest. */
  resume(): Record<string, number>;
  /** Every frame except ping/pong. `welcome` arrives before the outbox is flushed. */
  onFrame(frame: ServerFrame): void;
  onStatus?(status: ConnectionStatus): void;
  /** The server refused us for good (4003 origin not allowed); the client has stopped. */
  onFatal?(code: number, reason: string): void;
  /** The outbox changed (an item was added, acked or failed): persist it / re-render. */
  onOutbox?(items: readonly OutboxItem[]): void;
  /** A queued message was acked; called before `onFrame` gets the same ack frame. */
  onAck?(item: OutboxItem, ack: AckFrame): void;
  /** The server refused a message for a reason a retry cannot fix; it left the outbox. */
  onSendFailed?(item: OutboxItem, code: string, detail: string, fields: FieldErrors): void;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** After 4008 (rate limited) wait at least this long before reconnecting. */
const RATE_LIMITED_MIN_ATTEMPT = 4; // 500 ms * 2^4 = 8 s
/** Silence after which we ping; the server pings every ~25 s on its own. */
const PING_AFTER_MS = 30_000;
/** Silence after which the socket is presumed dead (e.g. a laptop resumed from sleep). */
const DEAD_AFTER_MS = 65_000;
const WATCHDOG_EVERY_MS = 5_000;
const RATE_LIMITED_RESEND_MS = 3_000;
/** Handshakes that fail before `open` (no close code visible) before we suspect the token. */
const FAILED_OPENS_BEFORE_FRESH = 3;

export class RealtimeClient {
  private ws: WebSocket | null = null;
  private status: ConnectionStatus = "stopped";
  private stopped = true;
  /** True once `welcome` arrived on the current socket. */
  private ready = false;
  /** Consecutive attempts without a `welcome`; drives the backoff. */
  private attempt = 0;
  private failedOpens = 0;
  private authRetried = false;
  private freshNext = false;
  /** Bumped on every connect so a stale async getUrl() cannot open a second socket. */
  private generation = 0;
  private lastRx = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private outbox: OutboxItem[];

  constructor(
    private readonly opts: RealtimeOptions,
    initialOutbox: readonly OutboxItem[] = [],
  ) {
    this.outbox = [...initialOutbox];
  }

  /** Messages not yet acked, oldest first. */
  get pending(): readonly OutboxItem[] {
    return this.outbox;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.onBrowserOnline);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    window.removeEventListener("online", this.onBrowserOnline);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.resendTimer);
    this.dropSocket(1000);
    this.setStatus("stopped");
  }

  /**
   * Send a frame now if the socket is up (after `hello`). Returns false when it
   * was not sent: typing/seen/history frames are not worth queueing.
   */
  send(frame: ClientFrame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** Queue a chat message; it is (re)sent until the server acks it. */
  sendMessage(body: string, conversationId?: string, extra?: Partial<OutboxItem>): OutboxItem {
    const item: OutboxItem = { client_msg_id: uuid4(), body, ...extra };
    if (conversationId) item.conversation_id = conversationId;
    this.outbox.push(item);
    this.opts.onOutbox?.(this.outbox);
    if (this.ready) this.transmit(item);
    return item;
  }

  /**
   * Queue messages queued elsewhere (another tab of the same visitor), unless
   * already queued here. Not sent at once: call it from `onFrame(welcome)`,
   * which the outbox flush follows. The server stores each client_msg_id once.
   */
  adopt(items: readonly OutboxItem[]): void {
    const ids = new Set(this.outbox.map((i) => i.client_msg_id));
    const added = items.filter((i) => !ids.has(i.client_msg_id));
    if (!added.length) return;
    this.outbox.push(...added);
    this.opts.onOutbox?.(this.outbox);
  }

  private transmit(item: OutboxItem): void {
    const id = item.client_msg_id;
    if (item.offline) {
      this.send({ type: "offline.submit", id, client_msg_id: id, body: item.body, ...item.offline });
      return;
    }
    const frame: ClientFrame = { type: "message.send", id, client_msg_id: id, body: item.body };
    if (item.conversation_id) frame.conversation_id = item.conversation_id;
    else if (item.new_conversation) frame.new_conversation = true;
    this.send(frame);
  }

  private flushOutbox(): void {
    for (const item of this.outbox) this.transmit(item);
  }

  private setStatus(s: ConnectionStatus): void {
    if (s === this.status) return;
    this.status = s;
    this.opts.onStatus?.(s);
  }

  private async connect(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    if (this.stopped) return;
    const gen = ++this.generation;
    this.setStatus("connecting");
    const fresh = this.freshNext;
    this.freshNext = false;
    let url: string;
    try {
      url = await this.opts.getUrl(fresh);
    } catch {
      if (gen === this.generation) this.scheduleReconnect();
      return;
    }
    if (gen !== this.generation || this.stopped) return;

    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.failedOpens = 0;
      this.lastRx = Date.now();
      this.send({ type: "hello", resume: this.opts.resume() });
      this.startWatchdog();
    };
    ws.onmessage = (e: MessageEvent) => this.onMessage(ws, e.data);
    ws.onclose = (e: CloseEvent) => this.onClose(ws, e.code, e.reason, opened);
  }

  private onMessage(ws: WebSocket, data: unknown): void {
    if (ws !== this.ws || typeof data !== "string") return;
    this.lastRx = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;

    switch (frame.type) {
      case "ping":
        this.send({ type: "pong" });
        return;
      case "pong":
        return;
      case "welcome":
        this.ready = true;
        this.attempt = 0;
        this.authRetried = false;
        this.setStatus("online");
        this.opts.onFrame(frame);
        this.flushOutbox();
        return;
      case "ack": {
        const item = this.takeFromOutbox(frame.client_msg_id);
        if (item) this.opts.onAck?.(item, frame);
        break;
      }
      case "error": {
        const item = frame.id ? this.outbox.find((i) => i.client_msg_id === frame.id) : undefined;
        if (!item) break;
        if (frame.code === "rate_limited") {
          // Keep it queued and try again shortly (same client_msg_id).
          clearTimeout(this.resendTimer);
          this.resendTimer = setTimeout(() => this.ready && this.flushOutbox(), RATE_LIMITED_RESEND_MS);
        } else {
          this.takeFromOutbox(item.client_msg_id);
          this.opts.onSendFailed?.(item, frame.code, frame.detail ?? "", fieldErrors(frame.fields));
        }
        break;
      }
    }
    this.opts.onFrame(frame);
  }

  private takeFromOutbox(clientMsgId: string): OutboxItem | undefined {
    const i = this.outbox.findIndex((x) => x.client_msg_id === clientMsgId);
    if (i < 0) return undefined;
    const [item] = this.outbox.splice(i, 1);
    this.opts.onOutbox?.(this.outbox);
    return item;
  }

  private onClose(ws: WebSocket, code: number, reason: string, opened: boolean): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.afterClose(code, reason, opened);
  }

  private afterClose(code: number, reason: string, opened: boolean): void {
    this.ready = false;
    clearInterval(this.watchdog);
    if (this.stopped) return;

    switch (code) {
      case CloseCode.OriginNotAllowed:
        this.stop();
        this.opts.onFatal?.(code, reason);
        return;
      case CloseCode.TokenInvalid:
        this.freshNext = true;
        // Retry at once with new credentials, but only once in a row: a second
        // 4001 without a welcome in between falls through to the backoff.
        if (!this.authRetried) {
          this.authRetried = true;
          void this.connect();
          return;
        }
        break;
      case CloseCode.RateLimited:
        this.attempt = Math.max(this.attempt, RATE_LIMITED_MIN_ATTEMPT);
        break;
      // 4009 (too slow), 4010 (no hello in time) and anything else: back off
      // and resume.
    }
    // A handshake the server refuses with an HTTP error (e.g. an expired token
    // checked before accept) shows up as 1006 without `open`: after a few of
    // those, fetch fresh credentials in case that is why.
    if (!opened && ++this.failedOpens >= FAILED_OPENS_BEFORE_FRESH) {
      this.failedOpens = 0;
      this.freshNext = true;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt++;
    // "Equal jitter": between half and all of the base delay, so that many
    // clients dropped by one server restart do not come back in lockstep.
    const delay = base / 2 + (Math.random() * base) / 2;
    this.setStatus("offline");
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private startWatchdog(): void {
    clearInterval(this.watchdog);
    let pinged = false;
    this.watchdog = setInterval(() => {
      const idle = Date.now() - this.lastRx;
      if (idle > DEAD_AFTER_MS) {
        // The TCP connection can be dead without a close event for minutes.
        this.dropSocket(4000);
        this.afterClose(1006, "heartbeat timeout", true);
      } else if (idle > PING_AFTER_MS) {
        if (!pinged) pinged = this.send({ type: "ping" });
      } else {
        pinged = false;
      }
    }, WATCHDOG_EVERY_MS);
  }

  /** Close the socket without letting its late close event reach onClose. */
  private dropSocket(code: number): void {
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    clearInterval(this.watchdog);
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(code);
    } catch {
      // Already closing.
    }
  }

  private readonly onBrowserOnline = (): void => {
    // The network is back: skip the rest of the backoff wait.
    if (this.status === "offline") {
      this.attempt = 0;
      void this.connect();
    }
  };
}
