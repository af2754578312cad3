import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { formatTime } from "../../../widget/src/shared/util";
import { Inbox, type InboxView, type PendingReply } from "../inbox";
import { CANNED_LIST_ID, useCannedPicker } from "../canned/CannedPicker";
import { CannedManager } from "../canned/CannedManager";
import { StatusControl } from "../status/StatusControl";
import { TransferButton } from "../transfer/TransferButton";
import { InstallWidget } from "./InstallDialog";
import {
  InboxFilters,
  PriorityToggle,
  type QueueUi,
  REPLY_INPUT_ID,
  ShortcutsHelp,
  SnoozeMenu,
  StatusLine,
  useQueueShortcuts,
  useQueueUi,
} from "./QueueControls";
import { VisitorSidebar } from "./VisitorSidebar";
import { ConversationMuteButton, NotifyBell, Toasts, useAlerts } from "../notify/NotifyControls";
import type { ConsoleMessage, ConversationItem, Session } from "../types";

interface Props {
  session: Session;
  onLogout: () => void;
  onSignedOut: () => void;
}

function visitorLabel(c: ConversationItem): string {
  return c.visitor.name || `Visitor ${c.visitor.id.replace(/^v_/, "").slice(0, 6)}`;
}

function useInbox(session: Session, onSignedOut: () => void): [Inbox, InboxView] {
  const [inbox] = useState(() => new Inbox(session.agent, onSignedOut));
  const [, setTick] = useState(0);
  useEffect(() => {
    const unsubscribe = inbox.subscribe(() => setTick((t) => t + 1));
    inbox.start();
    return () => {
      unsubscribe();
      inbox.stop();
    };
  }, [inbox]);
  return [inbox, inbox.view];
}

export function InboxScreen({ session, onLogout, onSignedOut }: Props) {
  const [inbox, view] = useInbox(session, onSignedOut);
  const ui = useQueueUi();
  useQueueShortcuts(inbox, ui);
  useAlerts((id) => inbox.select(id), view.selected?.id ?? null, inbox.channel());
  const connectionText =
    view.connection === "online" ? "Live" : view.connection === "stopped" ? "Disconnected" : "Reconnecting…";

  return (
    <div class="cc-shell">
      <header class="cc-topbar">
        <span class="cc-brand">sitechat</span>
        <span class={`cc-connection cc-connection-${view.connection}`} role="status" data-testid="connection-status">
          {connectionText}
        </span>
        <span class="cc-agent">{view.agent.name}</span>
        <StatusControl />
        <NotifyBell />
        <InstallWidget canManage={view.agent.role === "owner" || view.agent.role === "admin"} />
        <CannedManager canShare={view.agent.role === "owner" || view.agent.role === "admin"} />
        {(view.agent.role === "owner" || view.agent.role === "admin") && (
          <a href="#admin/websites" class="cc-button" data-testid="admin-link">
            Admin
          </a>
        )}
        <button
          type="button"
          class="cc-button"
          data-testid="shortcuts"
          aria-label="Keyboard shortcuts"
          onClick={() => ui.setHelp(true)}
        >
          ?
        </button>
        <button type="button" class="cc-button" data-testid="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      {ui.help && <ShortcutsHelp onClose={() => ui.setHelp(false)} />}
      <Toasts />
      {view.error && (
        <p class="cc-error-banner" role="alert">
          {view.error}{" "}
          <button type="button" class="cc-link" onClick={() => inbox.clearError()}>
            Dismiss
          </button>
        </p>
      )}
      <div class="cc-columns">
        <ConversationList inbox={inbox} view={view} />
        {view.selected ? (
          <ConversationPane key={view.selected.id} inbox={inbox} view={view} selected={view.selected} ui={ui} />
        ) : (
          <section class="cc-empty" aria-label="Conversation">
            <p>Select a conversation. Press ? for keyboard shortcuts.</p>
          </section>
        )}
        {view.selected && <VisitorSidebar key={view.selected.visitor.id} inbox={inbox} view={view} />}
      </div>
    </div>
  );
}

function ConversationList({ inbox, view }: { inbox: Inbox; view: InboxView }) {
  return (
    <nav class="cc-sidebar" aria-label="Conversations">
      <InboxFilters inbox={inbox} view={view} />
      <ul class="cc-conversations" data-testid="conversation-list">
        {view.conversations.map((c) => (
          <li key={c.id}>
            <ConversationRow c={c} selected={c.id === view.selected?.id} onSelect={() => inbox.select(c.id)} />
          </li>
        ))}
      </ul>
      {!view.conversations.length && !view.loadingConversations && <p class="cc-muted cc-pad">No conversations.</p>}
      {view.loadingConversations && <p class="cc-muted cc-pad">Loading…</p>}
      {view.hasMoreConversations && !view.loadingConversations && (
        <button type="button" class="cc-link cc-pad" onClick={() => void inbox.loadMoreConversations()}>
          Load more
        </button>
      )}
    </nav>
  );
}

function ConversationRow({ c, selected, onSelect }: { c: ConversationItem; selected: boolean; onSelect: () => void }) {
  const last = c.last_message;
  const when = last?.created_at ?? c.updated_at;
  return (
    <button
      type="button"
      class={selected ? "cc-row cc-row-selected" : "cc-row"}
      data-testid="conversation-item"
      data-conversation-id={c.id}
      aria-current={selected ? "true" : undefined}
      onClick={onSelect}
    >
      <span class="cc-row-top">
        <span class="cc-row-name">{visitorLabel(c)}</span>
        <time class="cc-muted" dateTime={when}>
          {formatTime(when)}
        </time>
      </span>
      <span class="cc-row-bottom">
        <span class="cc-row-preview">
          {last
            ? `${last.note ? "Note: " : last.sender_kind === "agent" ? "Agent: " : ""}${last.body}`
            : "No messages yet"}
        </span>
        {c.priority === "urgent" && (
          <span class="cc-tag cc-tag-urgent" data-testid="urgent-tag">
            urgent
          </span>
        )}
        {c.status !== "open" && <span class="cc-tag">{c.status}</span>}
        {c.unread_count > 0 && (
          <span class="cc-badge" data-testid="unread-badge">
            {c.unread_count}
            <span class="cc-sr-only"> unread</span>
          </span>
        )}
      </span>
    </button>
  );
}

interface PaneProps {
  inbox: Inbox;
  view: InboxView;
  selected: ConversationItem;
  ui: QueueUi;
}

function ConversationPane({ inbox, view, selected, ui }: PaneProps) {
  const mine = selected.assignee_id === view.agent.id;
  return (
    <section class="cc-conversation" aria-label={`Conversation with ${visitorLabel(selected)}`}>
      <header class="cc-conversation-header">
        <div class="cc-conversation-title">
          <h2>{visitorLabel(selected)}</h2>
          <p class="cc-muted">
            {[selected.visitor.email, view.websites.find((w) => w.id === selected.website_id)?.name ?? selected.website_id]
              .filter(Boolean)
              .join(" · ")}
            {" · "}
            <StatusLine c={selected} />
          </p>
        </div>
        <div class="cc-actions">
          <ConversationMuteButton conversationId={selected.id} />
          <button
            type="button"
            class="cc-button"
            data-testid="assign"
            onClick={() => void inbox.act("assign", mine ? null : view.agent.id)}
          >
            {mine ? "Unassign" : "Assign to me"}
          </button>
          {selected.status !== "resolved" && (
            <TransferButton conversationId={selected.id} websiteId={selected.website_id} me={view.agent.id} />
          )}
          <PriorityToggle inbox={inbox} selected={selected} />
          {selected.status !== "resolved" && (
            <SnoozeMenu inbox={inbox} open={ui.snoozeOpen} onOpen={ui.setSnoozeOpen} />
          )}
          {selected.status === "resolved" ? (
            <button type="button" class="cc-button" data-testid="reopen" onClick={() => void inbox.act("reopen")}>
              Reopen
            </button>
          ) : (
            <button
              type="button"
              class="cc-button cc-button-primary"
              data-testid="resolve"
              onClick={() => void inbox.act("resolve")}
            >
              Resolve
            </button>
          )}
        </div>
      </header>
      <MessageList inbox={inbox} view={view} />
      {view.visitorTyping && (
        <p class="cc-typing" data-testid="typing-indicator">
          Visitor is typing…
        </p>
      )}
      <div class="cc-sr-only" aria-live="polite" aria-atomic="true">
        {view.announcement}
      </div>
      <Composer inbox={inbox} conversation={selected} agentName={view.agent.name} ui={ui} />
    </section>
  );
}

function MessageList({ inbox, view }: { inbox: Inbox; view: InboxView }) {
  const ref = useRef<HTMLOListElement>(null);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [view.messages, view.pending]);

  // The agent's last message the visitor has read gets a "Seen" mark, and the last one
  // their widget has received (not yet read) a "Delivered" mark. Notes get neither.
  let seenSeq = 0;
  let deliveredSeq = 0;
  for (const m of view.messages) {
    if (m.sender.kind !== "agent" || m.note) continue;
    if (m.seq <= view.visitorReadSeq) seenSeq = m.seq;
    else if (m.seq <= view.visitorDeliveredSeq) deliveredSeq = m.seq;
  }

  return (
    <ol
      class="cc-messages"
      ref={ref}
      data-testid="message-list"
      aria-label="Messages"
      aria-busy={view.loadingMessages ? "true" : "false"}
      onScroll={() => {
        const el = ref.current;
        if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
      }}
    >
      {view.messages.map((m) => (
        <MessageItem
          key={`m${m.seq}`}
          m={m}
          seen={m.seq === seenSeq}
          delivered={m.seq === deliveredSeq}
        />
      ))}
      {view.pending.map((p) => (
        <PendingItem key={p.client_msg_id} p={p} onDismiss={() => inbox.dismissFailed(p.client_msg_id)} />
      ))}
    </ol>
  );
}

function MessageItem({ m, seen, delivered }: { m: ConsoleMessage; seen: boolean; delivered: boolean }) {
  const kind = m.sender.kind;
  const name = m.sender.name || (kind === "visitor" ? "Visitor" : kind === "agent" ? "Agent" : "");
  return (
    <li
      class={m.note ? `cc-msg cc-msg-${kind} cc-msg-note` : `cc-msg cc-msg-${kind}`}
      data-testid="message"
      data-seq={m.seq}
      data-sender={kind}
      data-note={m.note ? "true" : undefined}
    >
      {kind !== "system" && (
        <span class="cc-msg-sender">
          {name}
          {m.note && " · Internal note (the visitor does not see it)"}
        </span>
      )}
      <p class="cc-msg-body">{m.body}</p>
      <span class="cc-msg-meta">
        <time dateTime={m.created_at}>{formatTime(m.created_at)}</time>
        {seen && " · Seen"}
        {delivered && " · Delivered"}
      </span>
    </li>
  );
}

function PendingItem({ p, onDismiss }: { p: PendingReply; onDismiss: () => void }) {
  return (
    <li
      class={p.error ? "cc-msg cc-msg-agent cc-msg-failed" : "cc-msg cc-msg-agent cc-msg-pending"}
      data-testid="message"
      data-pending={p.error ? undefined : "true"}
      data-failed={p.error ? "true" : undefined}
    >
      <p class="cc-msg-body">{p.body}</p>
      <span class="cc-msg-meta">
        {p.error ? (
          <>
            Not sent: {p.error}.{" "}
            <button type="button" class="cc-link" onClick={onDismiss}>
              Dismiss
            </button>
          </>
        ) : (
          "Sending…"
        )}
      </span>
    </li>
  );
}

function Composer({
  inbox,
  conversation,
  agentName,
  ui,
}: {
  inbox: Inbox;
  conversation: ConversationItem;
  agentName: string;
  ui: QueueUi;
}) {
  // The draft of each conversation survives switching and reloading (localStorage). It is
  // saved with each change, not in an effect: switching at once (j/k right after typing)
  // unmounts this composer before a passive effect would have run.
  const [text, setTextState] = useState(() => inbox.draft(conversation.id));
  const setText = (next: string | ((now: string) => string)) =>
    setTextState((now) => {
      const value = typeof next === "function" ? next(now) : next;
      inbox.saveDraft(conversation.id, value);
      return value;
    });
  const submit = () => {
    if (ui.note) {
      const body = text;
      void inbox.sendNote(body).then((ok) => ok && setText((now) => (now === body ? "" : now)));
    } else if (inbox.send(text)) setText("");
  };
  // "/" and a shortcut: the saved replies menu (canned/CannedPicker.tsx).
  const canned = useCannedPicker(
    conversation.website_id,
    text,
    { visitor: conversation.visitor, agent: { name: agentName } },
    (filled) => {
      setText(filled);
      inbox.composerChanged(filled);
    },
  );
  return (
    <form
      class={ui.note ? "cc-composer cc-composer-note" : "cc-composer"}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {canned.popup}
      <label class="cc-note-toggle">
        <input
          type="checkbox"
          data-testid="note-mode"
          checked={ui.note}
          onChange={(e) => ui.setNote(e.currentTarget.checked)}
        />{" "}
        Internal note
      </label>
      <label for={REPLY_INPUT_ID} class="cc-sr-only">
        {ui.note ? "Internal note" : "Reply"}
      </label>
      <textarea
        id="cc-reply"
        data-testid="composer"
        rows={3}
        placeholder={
          ui.note
            ? "Internal note… only agents see it (Enter to add)"
            : "Reply… (Enter to send, Shift+Enter for a new line, / for saved replies)"
        }
        value={text}
        aria-controls={canned.open ? CANNED_LIST_ID : undefined}
        aria-activedescendant={canned.activeId}
        aria-autocomplete="list"
        onInput={(e) => {
          setText(e.currentTarget.value);
          // A note being written is nothing the visitor should see as "typing".
          if (!ui.note) inbox.composerChanged(e.currentTarget.value);
        }}
        onKeyDown={(e) => {
          if (canned.onKeyDown(e)) return;
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <button
        type="submit"
        class="cc-button cc-button-primary"
        data-testid="send"
        aria-label={ui.note ? "Add internal note" : "Send message"}
      >
        {ui.note ? "Add note" : "Send"}
      </button>
    </form>
  );
}
