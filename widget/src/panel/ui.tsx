// The chat panel's Preact components. All state lives in PanelController;
// these only render its `view` and forward user actions. Message bodies are
// rendered as text nodes, never as HTML.

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { ChatMessage } from "../shared/protocol";
import { formatTime } from "../shared/util";
import type { WebsiteInfo } from "./bridge";
import type { PanelController, PanelView, PendingMessage } from "./controller";

const HEX_COLOR = /^#([\da-f]{3}|[\da-f]{6})$/i;

/** Dark or light text for a background colour, by perceived brightness. */
function inkFor(hex: string): string {
  const full = hex.length === 4 ? "#" + [...hex.slice(1)].map((c) => c + c).join("") : hex;
  const n = parseInt(full.slice(1), 16);
  const y = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return y > 170 ? "#111827" : "#ffffff";
}

/**
 * The website's colour goes into CSS custom properties through the CSSOM,
 * which a strict CSP allows (inline style attributes it would not).
 */
function applyTheme(website: WebsiteInfo | null): void {
  const color = website?.appearance?.color;
  if (!color || !HEX_COLOR.test(color)) return;
  const style = document.documentElement.style;
  style.setProperty("--sc-accent", color);
  style.setProperty("--sc-on-accent", inkFor(color));
}

function useView(ctl: PanelController): PanelView {
  const [, setTick] = useState(0);
  useEffect(() => ctl.subscribe(() => setTick((t) => t + 1)), [ctl]);
  return ctl.view;
}

export function Panel({ ctl }: { ctl: PanelController }) {
  const view = useView(ctl);
  // Set by the composer so the list jumps to the bottom after the visitor sends.
  const stickToBottom = useRef(true);

  useEffect(() => applyTheme(view.website), [view.website]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") ctl.close();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [ctl]);

  return (
    <div class="sc-panel">
      <Header view={view} onClose={() => ctl.close()} />
      <StatusBanner phase={view.phase} />
      <MessageList view={view} ctl={ctl} stickToBottom={stickToBottom} />
      {view.agentTyping && (
        <p class="sc-typing" data-testid="typing-indicator">
          {view.agentTyping} is typing…
        </p>
      )}
      {view.resolved && (
        <p class="sc-note">This conversation has ended. Send a message to start a new one.</p>
      )}
      {/* Screen readers hear each new incoming message once, politely. */}
      <div class="sc-sr-only" aria-live="polite" aria-atomic="true" data-testid="live-region">
        {view.announcement}
      </div>
      <Composer view={view} ctl={ctl} onSent={() => (stickToBottom.current = true)} />
    </div>
  );
}

function Header({ view, onClose }: { view: PanelView; onClose: () => void }) {
  const online = view.agentsOnline;
  return (
    <header class="sc-header">
      <div class="sc-heading">
        <h1 class="sc-title">{view.website?.name ?? "Chat"}</h1>
        <p class="sc-agents" data-testid="agents-status" data-online={String(online)}>
          <span class={online ? "sc-dot sc-dot-on" : "sc-dot"} aria-hidden="true" />
          {online ? "We're online" : "We're away. Leave a message."}
        </p>
      </div>
      <button type="button" class="sc-icon-button" aria-label="Close chat" onClick={onClose}>
        <svg viewBox="0 0 24 24" aria-hidden="true" class="sc-icon-stroke">
          <path d="M6 6l12 12M18 6 6 18" />
        </svg>
      </button>
    </header>
  );
}

function StatusBanner({ phase }: { phase: PanelView["phase"] }) {
  const text =
    phase === "blocked" || phase === "unavailable"
      ? "Chat is not available on this site."
      : phase === "offline"
        ? "Connection lost. Reconnecting…"
        : phase === "starting" || phase === "connecting"
          ? "Connecting…"
          : "";
  if (!text) return null;
  return (
    <p class={phase === "blocked" || phase === "unavailable" ? "sc-banner sc-banner-error" : "sc-banner"} role="status">
      {text}
    </p>
  );
}

interface ListProps {
  view: PanelView;
  ctl: PanelController;
  stickToBottom: { current: boolean };
}

function MessageList({ view, ctl, stickToBottom }: ListProps) {
  const listRef = useRef<HTMLOListElement>(null);
  // For keeping the visible messages in place when earlier ones are prepended.
  const before = useRef({ firstSeq: 0, height: 0 });
  const welcome = view.website?.appearance?.welcome;

  // The visitor's last message the agent has read gets a "Read" mark.
  let readSeq = 0;
  for (const m of view.messages) {
    if (m.sender.kind === "visitor" && m.seq <= view.agentReadSeq) readSeq = m.seq;
  }

  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const firstSeq = view.messages[0]?.seq ?? 0;
    if (before.current.firstSeq && firstSeq < before.current.firstSeq) {
      el.scrollTop += el.scrollHeight - before.current.height;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    before.current = { firstSeq, height: el.scrollHeight };
  }, [view.messages, view.pending, view.agentTyping]);

  const onScroll = () => {
    const el = listRef.current;
    if (el) stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  return (
    <ol class="sc-messages" data-testid="message-list" aria-label="Messages" ref={listRef} onScroll={onScroll}>
      {view.hasEarlier && (
        <li class="sc-earlier">
          <button type="button" class="sc-link" disabled={view.loadingEarlier} onClick={() => ctl.loadEarlier()}>
            {view.loadingEarlier ? "Loading…" : "Load earlier messages"}
          </button>
        </li>
      )}
      {welcome && !view.hasEarlier && (
        <li class="sc-msg sc-theirs" data-testid="welcome">
          <p class="sc-body">{welcome}</p>
        </li>
      )}
      {view.messages.map((m) => (
        <MessageItem key={`m${m.seq}`} message={m} read={m.seq === readSeq} />
      ))}
      {view.pending.map((p) => (
        <PendingItem key={p.client_msg_id} item={p} onDismiss={() => ctl.dismissFailed(p.client_msg_id)} />
      ))}
    </ol>
  );
}

function MessageItem({ message: m, read }: { message: ChatMessage; read: boolean }) {
  const kind = m.sender.kind;
  const cls = kind === "visitor" ? "sc-mine" : kind === "system" ? "sc-system" : "sc-theirs";
  return (
    <li class={`sc-msg ${cls}`} data-testid="message" data-seq={m.seq} data-sender={kind}>
      {kind === "agent" && <span class="sc-sender">{m.sender.name || "Agent"}</span>}
      {kind === "visitor" && <span class="sc-sr-only">You: </span>}
      <p class="sc-body">{m.body}</p>
      <span class="sc-meta">
        <time dateTime={m.created_at}>{formatTime(m.created_at)}</time>
        {read && " · Read"}
      </span>
    </li>
  );
}

function PendingItem({ item, onDismiss }: { item: PendingMessage; onDismiss: () => void }) {
  if (item.error) {
    return (
      <li class="sc-msg sc-mine sc-failed" data-testid="message" data-failed="true">
        <p class="sc-body">{item.body}</p>
        <span class="sc-meta">
          Not sent: {item.error}.{" "}
          <button type="button" class="sc-link" onClick={onDismiss}>
            Dismiss
          </button>
        </span>
      </li>
    );
  }
  return (
    <li class="sc-msg sc-mine sc-pending" data-testid="message" data-pending="true">
      <p class="sc-body">{item.body}</p>
      <span class="sc-meta">Sending…</span>
    </li>
  );
}

interface ComposerProps {
  view: PanelView;
  ctl: PanelController;
  onSent: () => void;
}

const MAX_COMPOSER_HEIGHT = 120;

function Composer({ view, ctl, onSent }: ComposerProps) {
  const [text, setText] = useState("");
  const inputRef = useRef<HTMLTextAreaElement>(null);

  // Grow with the text up to a limit (CSSOM style writes are CSP-safe).
  useLayoutEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, MAX_COMPOSER_HEIGHT)}px`;
  }, [text]);

  // Focus the composer when the panel opens, except on touch screens where
  // that would throw up the keyboard unasked.
  useEffect(() => {
    if (view.open && view.canSend && matchMedia("(pointer: fine)").matches) inputRef.current?.focus();
  }, [view.open, view.canSend]);

  const submit = () => {
    if (ctl.send(text)) {
      setText("");
      onSent();
    }
  };

  return (
    <form
      class="sc-composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label for="sc-input" class="sc-sr-only">
        Message
      </label>
      <textarea
        id="sc-input"
        ref={inputRef}
        data-testid="composer"
        rows={1}
        placeholder="Write a message…"
        value={text}
        disabled={!view.canSend}
        onInput={(e) => {
          const value = e.currentTarget.value;
          setText(value);
          ctl.composerChanged(value);
        }}
        onKeyDown={(e) => {
          // Enter sends, Shift+Enter is a newline; never while an IME is composing.
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <button type="submit" class="sc-send" data-testid="send" aria-label="Send message" disabled={!view.canSend}>
        <svg viewBox="0 0 24 24" aria-hidden="true" class="sc-icon-fill">
          <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" />
        </svg>
      </button>
    </form>
  );
}
