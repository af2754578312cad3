// Working the queue: the inbox filters (assignee tabs with counts, status, website,
// search), the snooze menu, the urgent toggle and the shortcuts that drive them.

import { useEffect, useRef, useState } from "preact/hooks";
import type { Inbox, InboxView } from "../inbox";
import type { AssigneeFilter, ConversationItem, StatusFilter } from "../types";

const STATUSES: StatusFilter[] = ["open", "pending", "snoozed", "resolved", "all"];
const ASSIGNEES: Array<[AssigneeFilter, string]> = [
  ["me", "Mine"],
  ["unassigned", "Unassigned"],
  ["all", "All"],
];
const SEARCH_DEBOUNCE_MS = 300;
export const SEARCH_INPUT_ID = "cc-search";
export const REPLY_INPUT_ID = "cc-reply";

function label(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

export function InboxFilters({ inbox, view }: { inbox: Inbox; view: InboxView }) {
  const [text, setText] = useState(view.filter.q ?? "");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const search = (q: string) => {
    setText(q);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => inbox.setFilter({ ...inbox.view.filter, q: q.trim() || undefined }), SEARCH_DEBOUNCE_MS);
  };
  const multiSite = view.websites.length > 1;
  return (
    <div class="cc-queue-filters">
      <div class="cc-tabs" role="group" aria-label="Assignee">
        {ASSIGNEES.map(([value, name]) => {
          const n = view.counts?.[value === "me" ? "mine" : value];
          return (
            <button
              type="button"
              class="cc-tab"
              data-testid={`filter-${value}`}
              aria-pressed={view.filter.assignee === value ? "true" : "false"}
              onClick={() => inbox.setFilter({ ...view.filter, assignee: value })}
            >
              {name}
              {n && (
                <span class="cc-tab-count" data-testid={`count-${value}`}>
                  {" "}
                  {n.conversations}
                  {n.unread > 0 && (
                    <span class="cc-badge" title={`${n.unread} unread`}>
                      {n.unread}
                      <span class="cc-sr-only"> unread</span>
                    </span>
                  )}
                </span>
              )}
            </button>
          );
        })}
      </div>
      <div class="cc-filters">
        <label>
          <span class="cc-sr-only">Status</span>
          <select
            data-testid="filter-status"
            value={view.filter.status}
            onChange={(e) => inbox.setFilter({ ...view.filter, status: e.currentTarget.value as StatusFilter })}
          >
            {STATUSES.map((s) => (
              <option value={s}>{label(s)}</option>
            ))}
          </select>
        </label>
        {multiSite && (
          <label>
            <span class="cc-sr-only">Website</span>
            <select
              data-testid="filter-website"
              value={view.filter.websiteId ?? ""}
              onChange={(e) => inbox.setFilter({ ...view.filter, websiteId: e.currentTarget.value || undefined })}
            >
              <option value="">All websites</option>
              {view.websites.map((w) => (
                <option value={w.id}>{w.name}</option>
              ))}
            </select>
          </label>
        )}
      </div>
      <label class="cc-search">
        <span class="cc-sr-only">Search conversations</span>
        <input
          id={SEARCH_INPUT_ID}
          type="search"
          data-testid="search"
          placeholder="Search name, email, messages  ( / )"
          maxLength={100}
          value={text}
          onInput={(e) => search(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              if (text) search("");
              else e.currentTarget.blur();
            }
          }}
        />
      </label>
    </div>
  );
}

/** Snooze presets, and any time within a year. */
export function SnoozeMenu({
  inbox,
  open,
  onOpen,
}: {
  inbox: Inbox;
  open: boolean;
  onOpen: (open: boolean) => void;
}) {
  const first = useRef<HTMLButtonElement>(null);
  const [custom, setCustom] = useState("");
  useEffect(() => {
    if (open) first.current?.focus();
  }, [open]);
  const snooze = (until: Date) => {
    onOpen(false);
    void inbox.snooze(until);
  };
  const hours = (h: number) => new Date(Date.now() + h * 3600_000);
  const tomorrow = () => {
    const d = new Date();
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return d;
  };
  return (
    <div class="cc-snooze">
      <button
        type="button"
        class="cc-button"
        data-testid="snooze"
        aria-expanded={open ? "true" : "false"}
        aria-haspopup="true"
        onClick={() => onOpen(!open)}
      >
        Snooze
      </button>
      {open && (
        <div
          class="cc-snooze-menu"
          role="group"
          aria-label="Snooze until"
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              e.stopPropagation();
              onOpen(false);
            }
          }}
        >
          <button type="button" class="cc-link" ref={first} data-testid="snooze-1h" onClick={() => snooze(hours(1))}>
            1 hour
          </button>
          <button type="button" class="cc-link" onClick={() => snooze(hours(4))}>
            4 hours
          </button>
          <button type="button" class="cc-link" onClick={() => snooze(tomorrow())}>
            Tomorrow 9:00
          </button>
          <button type="button" class="cc-link" onClick={() => snooze(hours(24 * 7))}>
            Next week
          </button>
          <form
            class="cc-snooze-custom"
            onSubmit={(e) => {
              e.preventDefault();
              const d = new Date(custom);
              if (!isNaN(d.getTime())) snooze(d);
            }}
          >
            <label>
              Until{" "}
              <input
                type="datetime-local"
                data-testid="snooze-until"
                value={custom}
                onInput={(e) => setCustom(e.currentTarget.value)}
                required
              />
            </label>
            <button type="submit" class="cc-button">
              Snooze
            </button>
          </form>
        </div>
      )}
    </div>
  );
}

export function PriorityToggle({ inbox, selected }: { inbox: Inbox; selected: ConversationItem }) {
  const urgent = selected.priority === "urgent";
  return (
    <button
      type="button"
      class={urgent ? "cc-button cc-urgent-on" : "cc-button"}
      data-testid="priority"
      aria-pressed={urgent ? "true" : "false"}
      onClick={() => void inbox.setPriority(urgent ? "normal" : "urgent")}
    >
      Urgent
    </button>
  );
}

export function StatusLine({ c }: { c: ConversationItem }) {
  if (c.status === "snoozed" && c.snoozed_until) {
    const until = new Date(c.snoozed_until);
    return (
      <span data-testid="conversation-status">
        snoozed until{" "}
        <time dateTime={c.snoozed_until}>
          {until.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" })}
        </time>
      </span>
    );
  }
  return <span data-testid="conversation-status">{c.status}</span>;
}

export interface QueueUi {
  note: boolean;
  snoozeOpen: boolean;
  help: boolean;
  setNote: (on: boolean) => void;
  setSnoozeOpen: (on: boolean) => void;
  setHelp: (on: boolean) => void;
}

export function useQueueUi(): QueueUi {
  const [note, setNote] = useState(false);
  const [snoozeOpen, setSnoozeOpen] = useState(false);
  const [help, setHelp] = useState(false);
  return { note, snoozeOpen, help, setNote, setSnoozeOpen, setHelp };
}

/** The keys, as the `?` overlay lists them. */
export const SHORTCUTS: Array<[string, string]> = [
  ["j", "Next conversation"],
  ["k", "Previous conversation"],
  ["r", "Focus the reply box"],
  ["n", "Toggle internal note mode"],
  ["e", "Resolve (or reopen)"],
  ["a", "Assign to me"],
  ["s", "Snooze…"],
  ["u", "Toggle urgent"],
  ["/", "Search"],
  ["?", "Show these shortcuts"],
  ["Esc", "Leave a text box, close a menu or this list"],
];

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

/** Single keys (no modifier) while focus is not in a text field. */
export function useQueueShortcuts(inbox: Inbox, ui: QueueUi): void {
  const ref = useRef({ inbox, ui });
  ref.current = { inbox, ui };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { inbox, ui } = ref.current;
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      if (typingInto(e.target)) {
        if (e.key === "Escape" && (e.target as HTMLElement).id === REPLY_INPUT_ID) (e.target as HTMLElement).blur();
        return;
      }
      if (ui.help) {
        if (e.key === "Escape") ui.setHelp(false);
        return; // the dialog is modal
      }
      // Another dialog (install, saved replies…) is open: its keys are its own, and
      // Escape must reach it untouched to close it.
      if ((e.target as Element | null)?.closest?.("dialog, [role=dialog]") || document.querySelector("dialog[open]")) {
        return;
      }
      const selected = inbox.view.selected;
      const agentId = inbox.view.agent.id;
      let done = true;
      switch (e.key) {
        case "j":
          inbox.selectRelative(1);
          break;
        case "k":
          inbox.selectRelative(-1);
          break;
        case "r":
          document.getElementById(REPLY_INPUT_ID)?.focus();
          break;
        case "n":
          ui.setNote(!ui.note);
          document.getElementById(REPLY_INPUT_ID)?.focus();
          break;
        case "e":
          if (selected) void inbox.act(selected.status === "resolved" ? "reopen" : "resolve");
          break;
        case "a":
          if (selected && selected.assignee_id !== agentId) void inbox.act("assign", agentId);
          break;
        case "s":
          if (selected && selected.status !== "resolved") ui.setSnoozeOpen(true);
          break;
        case "u":
          if (selected) void inbox.setPriority(selected.priority === "urgent" ? "normal" : "urgent");
          break;
        case "/":
          document.getElementById(SEARCH_INPUT_ID)?.focus();
          break;
        case "?":
          ui.setHelp(true);
          break;
        case "Escape":
          ui.setSnoozeOpen(false);
          return; // never swallowed: other handlers may close things on it too
        default:
          done = false;
      }
      if (done) e.preventDefault();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}

/** The `?` overlay: a modal dialog; Escape or the button closes it and focus goes back. */
export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div class="cc-overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        class="cc-qdialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="cc-shortcuts-title"
        data-testid="shortcuts-help"
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onClose();
          } else if (e.key === "Tab") {
            // One control inside: keep the focus in the dialog.
            e.preventDefault();
            close.current?.focus();
          }
        }}
      >
        <h2 id="cc-shortcuts-title">Keyboard shortcuts</h2>
        <dl>
          {SHORTCUTS.map(([keys, what]) => (
            <div class="cc-shortcut">
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
        <button type="button" class="cc-button" ref={close} onClick={onClose} data-testid="shortcuts-close">
          Close
        </button>
      </div>
    </div>
  );
}
