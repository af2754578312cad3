// Wire types for the visitor (/ws/visitor) and agent (/ws/agent) WebSockets.
// Both sockets speak the same frames; the agent flavour adds a few fields
// (website_id, agent, websites), typed here as optional.

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

/** The visitor socket's view of a conversation (welcome/conversation frames). */
export interface ConversationRef {
  id: string;
  status: string;
  last_seq?: number;
  created_at?: string;
}

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
  | { type: "presence"; agents_online: boolean | number; website_id?: string }
  // The visitor socket sends a ConversationRef, the agent socket a full list item;
  // consumers narrow it themselves.
  | { type: "conversation"; conversation: ConversationRef & Record<string, unknown> }
  | { type: "history"; conversation_id: string; messages: ChatMessage[] }
  | { type: "error"; id?: string | null; code: string; detail?: string }
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
    }
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

/** WebSocket close codes the server uses (see the protocol doc). */
export const CloseCode = {
  TokenInvalid: 4001,
  OriginNotAllowed: 4003,
  RateLimited: 4008,
  TooSlow: 4009,
  NoHello: 4010,
} as const;
