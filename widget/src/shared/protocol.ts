// Wire types for the visitor (/ws/visitor) and agent (/ws/agent) WebSockets.
// Both sockets speak the same frames; the agent flavour adds a few fields
// (website_id, agent, websites), typed here as optional.

import type { WebsiteInfo } from "../panel/bridge";

export type SenderKind = "visitor" | "agent" | "system";

export interface Sender {
  kind: SenderKind;
  id?: string | null;
  name?: string | null;
}

export interface ChatMessage {
  id: string;
  seq: number;
  sender: Sender;
  body: string;
  client_msg_id: string | null;
  created_at: string;
}

export interface LastMessage {
  body: string;
  sender_kind: string;
  created_at: string;
}

/** The visitor socket's view of a conversation (welcome/conversation frames). */
export interface ConversationRef {
  id: string;
  status: string;
  last_seq?: number;
  created_at?: string;
  last_message?: LastMessage | null;
  /** "offline" when it began as an offline-form message. */
  origin?: string;
  /** The agents' marks, when the server includes them (receipts are not replayed). */
  agent_delivered_seq?: number;
  agent_read_seq?: number;
  /** The visitor's own read mark, if the server sends it (it does not yet). */
  visitor_read_seq?: number;
  /** Waiting for an agent (routing): "queue" or "offline_form"; null once taken. */
  waiting?: "queue" | "offline_form" | null;
}

export type CustomValue = string | number | boolean | null;

/** What the visitor told us about themselves (pre-chat form, chat, identify). */
export interface VisitorProfile {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  custom_data?: Record<string, CustomValue>;
}

/**
 * Which inputs a refused frame got wrong: `{field: message}` (the server may also
 * send `[{field, message}]`; see `fieldErrors()`). Custom fields are named
 * `custom_data.<key>`.
 */
export type FieldErrors = Record<string, string>;

export interface AgentInfo {
  id: string;
  email: string;
  name: string;
  role: string;
}

export type ServerFrame =
  | {
      type: "welcome";
      visitor_id?: string;
      conversations?: ConversationRef[];
      agents_online?: boolean;
      /** Visitors: inside the website's business hours (when the server sends it). */
      open_now?: boolean;
      profile?: VisitorProfile;
      agent?: AgentInfo;
      websites?: string[];
    }
  | { type: "message"; conversation_id: string; website_id?: string; message: ChatMessage }
  | {
      type: "ack";
      id?: string | null;
      client_msg_id: string;
      conversation_id: string;
      seq: number;
      message_id: string;
    }
  | { type: "typing"; conversation_id: string; sender: Sender; typing: boolean }
  | {
      type: "receipt";
      conversation_id: string;
      side: "agent" | "visitor";
      delivered_seq?: number | null;
      read_seq?: number | null;
    }
  | { type: "presence"; agents_online: boolean | number; open_now?: boolean; website_id?: string }
  // The visitor socket sends a ConversationRef, the agent socket a full list item;
  // consumers narrow it themselves.
  | { type: "conversation"; conversation: ConversationRef & Record<string, unknown> }
  | { type: "history"; conversation_id: string; messages: ChatMessage[] }
  | { type: "profile"; id?: string | null; visitor: VisitorProfile }
  // The website's settings changed: apply them at once (visitor sockets only).
  | {
      type: "settings";
      website_id: string;
      appearance: NonNullable<WebsiteInfo["appearance"]>;
      behavior: NonNullable<WebsiteInfo["behavior"]>;
      prechat: NonNullable<WebsiteInfo["prechat"]>;
      offline: NonNullable<WebsiteInfo["offline"]>;
      open_now: boolean;
    }
  | {
      type: "error";
      id?: string | null;
      code: string;
      detail?: string;
      fields?: FieldErrors | Array<{ field: string; message: string }>;
    }
  | { type: "ping" }
  | { type: "pong" };

export type ClientFrame =
  | { type: "hello"; resume: Record<string, number> }
  | {
      type: "message.send";
      id?: string;
      client_msg_id: string;
      body: string;
      conversation_id?: string;
      /** Visitors: start a new conversation even if one is open. */
      new_conversation?: boolean;
    }
  | ({ type: "profile.update"; id?: string } & VisitorProfile)
  | ({
      type: "offline.submit";
      id?: string;
      client_msg_id: string;
      email: string;
      body: string;
    } & Omit<VisitorProfile, "email">)
  | { type: "typing"; id?: string; conversation_id: string; typing: boolean }
  | { type: "seen"; id?: string; conversation_id: string; seq: number; state: "delivered" | "read" }
  | {
      type: "history";
      id?: string;
      conversation_id: string;
      before_seq: number | null;
      limit: number;
    }
  | { type: "ping" }
  | { type: "pong" };

/** An error frame's `fields`, whichever shape the server used, as `{field: message}`. */
export function fieldErrors(fields: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (Array.isArray(fields)) {
    for (const f of fields) if (f && typeof f.field === "string") out[f.field] = String(f.message ?? "");
  } else if (fields && typeof fields === "object") {
    for (const [k, v] of Object.entries(fields)) out[k] = String(v);
  }
  return out;
}

/** WebSocket close codes the server uses (see the protocol doc). */
export const CloseCode = {
  TokenInvalid: 4001,
  OriginNotAllowed: 4003,
  RateLimited: 4008,
  TooSlow: 4009,
  NoHello: 4010,
} as const;
