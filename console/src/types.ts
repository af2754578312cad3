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
  last_message: { body: string; created_at: string; sender_kind: SenderKind } | null;
  created_at: string;
  updated_at: string;
  unread_count: number;
  /** How far the visitor / the agents have read (the server may omit them). */
  visitor_read_seq?: number;
  agent_read_seq?: number;
}

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
