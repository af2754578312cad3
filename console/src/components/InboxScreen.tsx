import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { formatTime } from "../../../widget/src/shared/util";
import { Inbox, type InboxView, type PendingReply } from "../inbox";
import { InstallWidget } from "./InstallDialog";
import type { AssigneeFilter, ChatMessage, ConversationItem, Session, StatusFilter } from "../types";

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
        <InstallWidget canManage={view.agent.role === "owner" || view.agent.role === "admin"} />
        <button type="button" class="cc-button" data-testid="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
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
          <ConversationPane key={view.selected.id} inbox={inbox} view={view} selected={view.selected} />
        ) : (
          <section class="cc-empty" aria-label="Conversation">
            <p>Select a conversation.</p>
          </section>
        )}
      </div>
    </div>
  );
}

const STATUSES: StatusFilter[] = ["open", "pending", "resolved", "snoozed", "all"];
const ASSIGNEES: Array<[AssigneeFilter, string]> = [
  ["all", "Anyone"],
  ["me", "Me"],
  ["unassigned", "Unassigned"],
];

function ConversationList({ inbox, view }: { inbox: Inbox; view: InboxView }) {
  return (
    <nav class="cc-sidebar" aria-label="Conversations">
      <div class="cc-filters">
        <label>
          <span class="cc-sr-only">Status</span>
          <select
            value={view.filter.status}
            onChange={(e) => inbox.setFilter({ ...view.filter, status: e.currentTarget.value as StatusFilter })}
          >
            {STATUSES.map((s) => (
              <option value={s}>{s[0]!.toUpperCase() + s.slice(1)}</option>
            ))}
          </select>
        </label>
        <label>
          <span class="cc-sr-only">Assignee</span>
          <select
            value={view.filter.assignee}
            onChange={(e) => inbox.setFilter({ ...view.filter, assignee: e.currentTarget.value as AssigneeFilter })}
          >
            {ASSIGNEES.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
      </div>
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
          {last ? `${last.sender_kind === "agent" ? "Agent: " : ""}${last.body}` : "No messages yet"}
        </span>
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
}

function ConversationPane({ inbox, view, selected }: PaneProps) {
  const mine = selected.assignee_id === view.agent.id;
  return (
    <section class="cc-conversation" aria-label={`Conversation with ${visitorLabel(selected)}`}>
      <header class="cc-conversation-header">
        <div class="cc-conversation-title">
          <h2>{visitorLabel(selected)}</h2>
          <p class="cc-muted">
            {[selected.visitor.email, selected.website_id, selected.status].filter(Boolean).join(" · ")}
          </p>
        </div>
        <div class="cc-actions">
          <button
            type="button"
            class="cc-button"
            data-testid="assign"
            onClick={() => void inbox.act("assign", mine ? null : view.agent.id)}
          >
            {mine ? "Unassign" : "Assign to me"}
          </button>
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
      <Composer inbox={inbox} />
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

  // The agent's last message the visitor has read gets a "Seen" mark.
  let seenSeq = 0;
  for (const m of view.messages) if (m.sender.kind === "agent" && m.seq <= view.visitorReadSeq) seenSeq = m.seq;

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
        <MessageItem key={`m${m.seq}`} m={m} seen={m.seq === seenSeq} />
      ))}
      {view.pending.map((p) => (
        <PendingItem key={p.client_msg_id} p={p} onDismiss={() => inbox.dismissFailed(p.client_msg_id)} />
      ))}
    </ol>
  );
}

function MessageItem({ m, seen }: { m: ChatMessage; seen: boolean }) {
  const kind = m.sender.kind;
  const name = m.sender.name || (kind === "visitor" ? "Visitor" : kind === "agent" ? "Agent" : "");
  return (
    <li class={`cc-msg cc-msg-${kind}`} data-testid="message" data-seq={m.seq} data-sender={kind}>
      {kind !== "system" && <span class="cc-msg-sender">{name}</span>}
      <p class="cc-msg-body">{m.body}</p>
      <span class="cc-msg-meta">
        <time dateTime={m.created_at}>{formatTime(m.created_at)}</time>
        {seen && " · Seen"}
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

function Composer({ inbox }: { inbox: Inbox }) {
  const [text, setText] = useState("");
  const submit = () => {
    if (inbox.send(text)) setText("");
  };
  return (
    <form
      class="cc-composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label for="cc-reply" class="cc-sr-only">
        Reply
      </label>
      <textarea
        id="cc-reply"
        data-testid="composer"
        rows={3}
        placeholder="Reply… (Enter to send, Shift+Enter for a new line)"
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          inbox.composerChanged(e.currentTarget.value);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <button type="submit" class="cc-button cc-button-primary" data-testid="send" aria-label="Send message">
        Send
      </button>
    </form>
  );
}
