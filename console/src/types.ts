// REST shapes of /api/v1 as the console uses them.

import type { AgentInfo, ChatMessage, SenderKind } from "../../widget/src/shared/protocol";

export type { AgentInfo, ChatMessage };

/** GET /auth/me and POST /auth/login. */
export interface Session {
  agent: AgentInfo;
  csrf_token: string;
}

export interface ConversationItem {
  id: string;
  website_id: string;
  visitor: { id: string; name: string | null; email: string | null };
  status: string;
  assignee_id: string | null;
  last_seq: number;
  last_message: { body: string; created_at: string; sender_kind: SenderKind; note?: boolean } | null;
  created_at: string;
  updated_at: string;
  unread_count: number;
  /** How far the visitor / the agents have read (the server may omit them). */
  visitor_read_seq?: number;
  agent_read_seq?: number;
  priority?: Priority;
  /** With status "snoozed": when it opens again by itself. */
  snoozed_until?: string | null;
}

export type Priority = "normal" | "urgent";

/** A message as agents see it: internal notes carry `note: true`. */
export type ConsoleMessage = ChatMessage & { note?: boolean };

export interface ConversationPage {
  items: ConversationItem[];
  next_cursor: string | null;
}

export interface MessagePage {
  items: ChatMessage[];
  has_more: boolean;
}

export type StatusFilter = "open" | "pending" | "resolved" | "snoozed" | "all";
/** "all" means no assignee filter; the API also takes an agent id. */
export type AssigneeFilter = "all" | "me" | "unassigned";

export interface ListFilter {
  status: StatusFilter;
  assignee: AssigneeFilter;
  /** One website, or every website the agent works on when absent. */
  websiteId?: string;
  /** Search text: visitor name, email or message text (server-side). */
  q?: string;
}

/** GET /conversations/counts: per inbox filter. */
export interface FilterCount {
  conversations: number;
  unread: number;
}
export type ConversationCounts = Record<"mine" | "unassigned" | "all", FilterCount>;

/** GET /visitors/{id}. */
export interface VisitorDetail {
  id: string;
  website_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  company: string | null;
  custom_data: Record<string, string | number | boolean | null>;
  user_id: string | null;
  verified: boolean;
  state: "anonymous" | "partial" | "identified" | "verified";
  created_at: string;
  last_seen_at: string;
  conversation_count: number;
}

export interface PageViewInfo {
  url: string;
  title: string;
  started_at: string;
  duration_ms: number | null;
}

/** GET /visitors/{id}/sessions: one visit. */
export interface VisitInfo {
  id: string;
  started_at: string;
  last_seen_at: string;
  location: { country_code?: string | null; country?: string | null; region?: string | null; city?: string | null };
  timezone: string | null;
  device: {
    type?: string | null;
    browser?: string | null;
    browser_version?: string | null;
    os?: string | null;
    os_version?: string | null;
  };
  referrer: string | null;
  landing_page: string | null;
  source_class: string;
  source: string | null;
  utm: Record<string, string>;
  page_views: PageViewInfo[];
}

/** GET /websites: a website the agent may see, with its install snippet. */
export interface Website {
  id: string;
  name: string;
  domains: string[];
  /** The install code to paste on every page, exactly as the server renders it. */
  snippet: string;
  created_at: string;
}

// ---- notifications (docs/notifications.md) ----------------------------------------

export type NotifyEventName = "new_conversation" | "new_message" | "visitor_returned" | "urgent" | "assigned";
export type NotifyChannel = "sound" | "desktop" | "push" | "email";

/** The `notify` frame: what the server decided this agent should be alerted of. */
export interface NotifyFrame {
  type: "notify";
  event: NotifyEventName | "test";
  website_id: string | null;
  conversation_id: string | null;
  visitor: { id: string | null; name: string | null; email: string | null };
  /** Plain text: never inserted as HTML. */
  preview: string;
  sound: { name: string; volume: number } | null;
  desktop: boolean;
  suppressed: "quiet_hours" | "muted" | "conversation_muted" | null;
  at: string;
}

export interface NotifyPrefs {
  events: Record<NotifyEventName, Record<NotifyChannel, boolean>>;
  sounds: Record<NotifyEventName, string>;
  volume: number;
  timezone: string;
  quiet_hours: { enabled: boolean; start: string; end: string; days: number[] };
  email_after_minutes: number | null;
  customized?: boolean;
  muted_until?: string | null;
  muted_conversations?: string[];
}

/** POST /conversations/{id}/messages. */
export interface SendOut {
  conversation_id: string;
  created: boolean;
  message: ConsoleMessage;
}
