// The chat panel's Preact components. All state lives in PanelController;
// these only render its `view` and forward user actions. Message bodies are
// rendered as text nodes, never as HTML. Every string comes from the locale
// table (view.locale.t).

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { ChatMessage } from "../shared/protocol";
import { formatTime } from "../shared/util";
import type { WebsiteInfo } from "./bridge";
import type { PanelController, PanelView, PendingMessage } from "./controller";
import { EmailCard, ProfileForm } from "./forms";
import { useStore } from "../shared/useStore";

const HEX_COLOR = /^#([\da-f]{3}|[\da-f]{6})$/i;

/** Dark or light text for a background colour, by perceived brightness. */
function inkFor(hex: string): string {
  const full = hex.length === 4 ? "#" + [...hex.slice(1)].map((c) => c + c).join("") : hex;
  const n = parseInt(full.slice(1), 16);
  const y = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return y > 150 ? "#111827" : "#ffffff";
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
  return useStore(ctl);
}

export interface Props {
  view: PanelView;
  ctl: PanelController;
}

export function Panel({ ctl }: { ctl: PanelController }) {
  const view = useView(ctl);
  const t = view.locale.t;
  const root = useRef<HTMLDivElement>(null);
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

  // When the panel is shown or its body changes, focus goes to the composer or
  // the first form field; not on touch screens, where that would throw up
  // the keyboard unasked.
  useEffect(() => {
    if (!view.open || !matchMedia("(pointer: fine)").matches) return;
    root.current?.querySelector<HTMLElement>("[data-autofocus]:not([disabled])")?.focus();
  }, [view.open, view.screen, view.canSend]);

  const screen = view.screen;
  return (
    <div class="sc-panel" ref={root} data-screen={screen} data-lang={view.locale.lang}>
      <Header view={view} ctl={ctl} />
      <StatusBanner view={view} />
      {view.offlineNotice && (
        <p class="sc-banner sc-away" data-testid="offline-banner">
          {view.offlineNotice}
        </p>
      )}
      {view.queued && !view.offlineNotice && (
        <p class="sc-banner" role="status" data-testid="queue-notice">
          {t("busy")}
        </p>
      )}
      <main class="sc-main">
        {screen === "list" ? (
          <ConversationList view={view} ctl={ctl} />
        ) : screen === "chat" ? (
          <>
            <MessageList view={view} ctl={ctl} stickToBottom={stickToBottom} />
            {view.agentTyping && (
              <p class="sc-typing" data-testid="typing-indicator">
                {t("typing", { name: view.agentTyping })}
              </p>
            )}
            {view.resolved && <p class="sc-note">{t("resolved")}</p>}
            <Composer view={view} ctl={ctl} onSent={() => (stickToBottom.current = true)} />
          </>
        ) : (
          <div class="sc-scroll">
            {screen === "prechat" && view.website?.appearance?.welcome && (
              <p class="sc-msg sc-theirs sc-body" data-testid="welcome">
                {view.website.appearance.welcome}
              </p>
            )}
            <ProfileForm key={screen + view.locale.lang} view={view} ctl={ctl} kind={screen} />
          </div>
        )}
      </main>
      {/* Screen readers hear each new incoming message once, politely. */}
      <div class="sc-sr-only" aria-live="polite" aria-atomic="true" data-testid="live-region">
        {view.announcement}
      </div>
    </div>
  );
}

const ICONS = {
  close: "M6 6l12 12M18 6 6 18",
  list: "M4 6h16M4 12h16M4 18h10",
  back: "M15 18l-6-6 6-6",
  bell: "M18 16v-5a6 6 0 0 0-12 0v5l-2 2h16zM10 21h4",
  slash: "M3 3l18 18",
};

function Icon({ d, extra }: { d: string; extra?: string }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" class="sc-icon-stroke">
      <path d={d} />
      {extra && <path d={extra} />}
    </svg>
  );
}

function Header({ view, ctl }: Props) {
  const t = view.locale.t;
  const a = view.website?.appearance;
  const list = view.screen === "list";
  return (
    <header class="sc-header">
      {a?.logo_url && <img class="sc-logo" src={a.logo_url} alt="" />}
      <div class="sc-heading">
        <h1 class="sc-title" data-testid="panel-title">
          {a?.title || view.website?.name || t("chat")}
        </h1>
        <p class="sc-agents" data-testid="agents-status" data-online={String(view.available)}>
          <span class={view.available ? "sc-dot sc-dot-on" : "sc-dot"} aria-hidden="true" />
          {view.available ? t("online") : t("away")}
        </p>
      </div>
      <button
        type="button"
        class="sc-icon-button"
        data-testid="past-toggle"
        aria-label={list ? t("back") : t("past")}
        title={list ? t("back") : t("past")}
        onClick={() => ctl.toggleList()}
      >
        <Icon d={list ? ICONS.back : ICONS.list} />
      </button>
      <button
        type="button"
        class="sc-icon-button"
        data-testid="mute"
        aria-label={t("mute")}
        title={t("mute")}
        aria-pressed={view.muted}
        onClick={() => ctl.toggleMute()}
      >
        <Icon d={ICONS.bell} extra={view.muted ? ICONS.slash : undefined} />
      </button>
      <button
        type="button"
        class="sc-icon-button"
        data-testid="close"
        aria-label={t("close")}
        title={t("close")}
        onClick={() => ctl.close()}
      >
        <Icon d={ICONS.close} />
      </button>
    </header>
  );
}

function StatusBanner({ view }: { view: PanelView }) {
  const phase = view.phase;
  const t = view.locale.t;
  const error = phase === "blocked" || phase === "unavailable";
  const text = error
    ? t("unavailable")
    : phase === "offline"
      ? t("reconnecting")
      : phase === "starting" || phase === "connecting"
        ? t("connecting")
        : "";
  if (!text) return null;
  return (
    <p class={error ? "sc-banner sc-banner-error" : "sc-banner"} role="status" data-testid="connection-status">
      {text}
    </p>
  );
}

function ConversationList({ view, ctl }: Props) {
  const t = view.locale.t;
  return (
    <div class="sc-scroll" data-testid="conversation-list">
      <button type="button" class="sc-button" data-autofocus data-testid="new-conversation" onClick={() => ctl.newConversation()}>
        {t("newChat")}
      </button>
      {view.conversations.length ? (
        <ul class="sc-convs" aria-label={t("past")}>
          {view.conversations.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                class="sc-conv"
                data-testid="past-conversation"
                data-id={c.id}
                aria-current={c.id === view.conversationId ? "true" : undefined}
                onClick={() => ctl.openConversation(c.id)}
              >
                <span class="sc-preview">{c.preview || "…"}</span>
                <span class="sc-meta">
                  {c.at && formatTime(c.at, view.locale.tag)} · {c.status === "resolved" ? t("ended") : t("open")}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="sc-note">{t("noPast")}</p>
      )}
    </div>
  );
}

interface ListProps extends Props {
  stickToBottom: { current: boolean };
}

function MessageList({ view, ctl, stickToBottom }: ListProps) {
  const t = view.locale.t;
  const listRef = useRef<HTMLOListElement>(null);
  // For keeping the visible messages in place when earlier ones are prepended.
  const before = useRef({ firstSeq: 0, height: 0 });
  const welcome = view.website?.appearance?.welcome;

  // The visitor's last stored message carries the delivery mark.
  let lastMine = 0;
  for (const m of view.messages) if (m.sender.kind === "visitor") lastMine = m.seq;

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
  }, [view.messages, view.pending, view.agentTyping, view.emailAsk]);

  const onScroll = () => {
    const el = listRef.current;
    if (el) stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  const mark = (seq: number) =>
    seq !== lastMine
      ? ""
      : view.agentReadSeq >= seq
        ? t("read")
        : view.agentDeliveredSeq >= seq
          ? t("delivered")
          : t("sent");

  return (
    // Focusable so that keyboard users can scroll it.
    <ol
      class="sc-messages"
      data-testid="message-list"
      aria-label={t("messages")}
      tabIndex={0}
      ref={listRef}
      onScroll={onScroll}
    >
      {view.hasEarlier && (
        <li class="sc-earlier" key="earlier">
          <button type="button" class="sc-link" disabled={view.loadingEarlier} onClick={() => ctl.loadEarlier()}>
            {view.loadingEarlier ? t("loading") : t("earlier")}
          </button>
        </li>
      )}
      {welcome && !view.hasEarlier && (
        <li class="sc-msg sc-theirs" data-testid="welcome" key="welcome">
          <p class="sc-body">{welcome}</p>
        </li>
      )}
      {view.messages.map((m) => (
        <MessageItem key={`m${m.seq}`} view={view} message={m} mark={mark(m.seq)} />
      ))}
      {view.pending.map((p) => (
        <PendingItem key={p.client_msg_id} view={view} item={p} onDismiss={() => ctl.dismissFailed(p.client_msg_id)} />
      ))}
      {view.offlineSent && (
        <li class="sc-note" data-testid="offline-thanks" key="offline-thanks">
          {t("offlineThanks")}
        </li>
      )}
      {/* Keyed, so that the typed address survives the list changing around it. */}
      {view.emailAsk === "ask" && <EmailCard key="email-ask" view={view} ctl={ctl} />}
      {view.emailAsk === "saved" && (
        <li class="sc-note" data-testid="email-saved" key="email-saved">
          {t("emailSaved", { email: view.profile.email ?? "" })}
        </li>
      )}
    </ol>
  );
}

function MessageItem({ view, message: m, mark }: { view: PanelView; message: ChatMessage; mark: string }) {
  const t = view.locale.t;
  const kind = m.sender.kind;
  const cls = kind === "visitor" ? "sc-mine" : kind === "system" ? "sc-system" : "sc-theirs";
  const agent = m.sender.id ? view.agents.get(m.sender.id) : undefined;
  const name = agent?.name || m.sender.name || t("agent");
  return (
    <li class={`sc-msg ${cls}`} data-testid="message" data-seq={m.seq} data-sender={kind}>
      {kind === "agent" && (
        <span class="sc-sender" data-testid="sender">
          {agent?.avatar_url && <img class="sc-avatar" src={agent.avatar_url} alt="" data-testid="avatar" />}
          {name}
        </span>
      )}
      {kind === "visitor" && <span class="sc-sr-only">{t("you")}: </span>}
      <p class="sc-body">{m.body}</p>
      <span class="sc-meta">
        <time dateTime={m.created_at}>{formatTime(m.created_at, view.locale.tag)}</time>
        {mark && <span data-testid="receipt"> · {mark}</span>}
      </span>
    </li>
  );
}

function PendingItem({ view, item, onDismiss }: { view: PanelView; item: PendingMessage; onDismiss: () => void }) {
  const t = view.locale.t;
  if (item.error) {
    return (
      <li class="sc-msg sc-mine sc-failed" data-testid="message" data-failed="true">
        <p class="sc-body">{item.body}</p>
        <span class="sc-meta">
          {t("notSent", { error: item.error })}{" "}
          <button type="button" class="sc-link" onClick={onDismiss}>
            {t("dismiss")}
          </button>
        </span>
      </li>
    );
  }
  return (
    <li class="sc-msg sc-mine sc-pending" data-testid="message" data-pending="true">
      <p class="sc-body">{item.body}</p>
      <span class="sc-meta">{view.phase === "online" ? t("sending") : t("waiting")}</span>
    </li>
  );
}

interface ComposerProps extends Props {
  onSent: () => void;
}

const MAX_COMPOSER_HEIGHT = 120;

function Composer({ view, ctl, onSent }: ComposerProps) {
  const t = view.locale.t;
  // Starts from the controller's draft: the composer may be unmounted and mounted again
  // while the visitor is typing.
  const [text, setText] = useState(() => view.draft);
  const inputRef = useRef<HTMLTextAreaElement>(null);

  // Grow with the text up to a limit (CSSOM style writes are CSP-safe).
  useLayoutEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, MAX_COMPOSER_HEIGHT)}px`;
  }, [text]);

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
        {t("message")}
      </label>
      <textarea
        id="sc-input"
        ref={inputRef}
        data-testid="composer"
        data-autofocus
        rows={1}
        placeholder={t("placeholder")}
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
      <button type="submit" class="sc-send" data-testid="send" aria-label={t("send")} title={t("send")} disabled={!view.canSend}>
        <svg viewBox="0 0 24 24" aria-hidden="true" class="sc-icon-fill">
          <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" />
        </svg>
      </button>
    </form>
  );
}
