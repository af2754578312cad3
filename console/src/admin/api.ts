// REST shapes and calls of the admin section, all in one place: when the server's
// shapes change (docs/api.md), this is the file to adjust.
//
// Its own fetch wrapper rather than ../api.ts: a 422 here carries `fields`
// (one entry per bad input) and forms show each next to its control.

import type { Website as InstallWebsite } from "../types";

export interface FieldError {
  field: string;
  message: string;
}

export class AdminError extends Error {
  constructor(
    readonly status: number,
    /** The server's stable error code, e.g. "validation_error". */
    readonly code: string,
    readonly detail: string,
    readonly fields: FieldError[],
  ) {
    super(detail || code);
  }
}

/** The text to show for any failure. */
export function errorText(e: unknown): string {
  if (e instanceof AdminError) return e.detail || e.code;
  return e instanceof Error ? e.message : String(e);
}

/** The `fields` of a 422, or [] for any other failure. */
export function fieldErrors(e: unknown): FieldError[] {
  return e instanceof AdminError ? e.fields : [];
}

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

let csrfToken = "";
let onUnauthorized: (() => void) | null = null;

/** The session's CSRF token and what to do when the session is gone (set by AdminScreen). */
export function configureAdminApi(token: string, unauthorized: (() => void) | null): void {
  csrfToken = token;
  onUnauthorized = unauthorized;
}

export async function call<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new AdminError(0, "network_error", "Cannot reach the server.", []);
  }
  const data: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data ?? {}) as { error?: string; detail?: unknown; fields?: unknown };
    if (res.status === 401) onUnauthorized?.();
    const fields = Array.isArray(err.fields)
      ? (err.fields as unknown[]).filter(
          (f): f is FieldError =>
            !!f && typeof (f as FieldError).field === "string" && typeof (f as FieldError).message === "string",
        )
      : [];
    throw new AdminError(
      res.status,
      err.error ?? `http_${res.status}`,
      typeof err.detail === "string" ? err.detail : "",
      fields,
    );
  }
  return data as T;
}

function qs(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const enc = encodeURIComponent;

// ---- roles ------------------------------------------------------------------------

export type Role = "owner" | "admin" | "agent";
export const ROLES: Role[] = ["owner", "admin", "agent"];

export const isManager = (role: string): boolean => role === "owner" || role === "admin";

// ---- website settings (src/sitechat/websites/settings.py) -----------------------

export interface Appearance {
  color: string;
  position: "left" | "right";
  logo_url: string | null;
  title: string;
  welcome: string;
}

export interface Behavior {
  show_agent_photos: boolean;
  auto_greet: boolean;
  greet_delay_ms: number;
  ask_email_in_chat: boolean;
  require_consent: boolean;
  honor_gpc: boolean;
  require_verification: boolean;
}

export type FieldMode = "off" | "optional" | "required";
export const FIELD_MODES: FieldMode[] = ["off", "optional", "required"];

export type CustomFieldType = "text" | "number" | "select" | "checkbox";
export const CUSTOM_FIELD_TYPES: CustomFieldType[] = ["text", "number", "select", "checkbox"];

export interface CustomField {
  key: string;
  label: string;
  type: CustomFieldType;
  required: boolean;
  options: string[];
}

export interface Prechat {
  enabled: boolean;
  fields: { name: FieldMode; email: FieldMode; phone: FieldMode };
  custom_fields: CustomField[];
}

export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface DayHours {
  open: string;
  close: string;
}

export interface BusinessHours {
  enabled: boolean;
  timezone: string;
  /** A day missing or null is closed all day. */
  schedule: Partial<Record<Weekday, DayHours | null>>;
  /** ISO dates (YYYY-MM-DD). */
  holidays: string[];
}

export interface Offline {
  message: string;
  form_enabled: boolean;
  /** Where offline messages are emailed; null: nowhere. */
  email_to?: string | null;
}

export type NotificationSound = "chime" | "bell" | "pop" | "none";
export const NOTIFICATION_SOUNDS: NotificationSound[] = ["chime", "bell", "pop", "none"];

/** Per-website defaults of the agents' notifications (PRD Appendix C). */
export interface Notifications {
  sound: NotificationSound;
  desktop: boolean;
  /** Email the team: offline messages go to offline.email_to while this is on. */
  email: boolean;
}

export type RoutingMode = "manual" | "round_robin" | "skills";
export const ROUTING_MODES: RoutingMode[] = ["manual", "round_robin", "skills"];

export type RuleMatch = "language" | "page" | "prechat" | "tag";

export interface RoutingRule {
  match: RuleMatch;
  value: string;
  /** For a prechat rule: the pre-chat field's key; null otherwise. */
  key: string | null;
  skill: string;
}

export interface Routing {
  mode: RoutingMode;
  capacity: number;
  rules: RoutingRule[];
  /** Skill mode, when no rule matches or nobody with the skill can take it. */
  fallback: "round_robin" | "queue";
  when_nobody: "queue" | "offline_form";
  offline_grace_seconds: number;
}

export interface WebsiteSettings {
  appearance: Appearance;
  behavior: Behavior;
  prechat: Prechat;
  business_hours: BusinessHours;
  offline: Offline;
  /** Sections a server may not have yet: the form shows them only when present. */
  notifications?: Notifications;
  routing?: Routing;
}

export type SettingsSection = keyof WebsiteSettings;

// ---- websites -----------------------------------------------------------------------

export interface Website extends InstallWebsite {
  appearance: Appearance;
  settings: WebsiteSettings;
}

export interface WebsiteCreate {
  name: string;
  domains: string[];
}

export type WebsitePatch = Partial<WebsiteCreate>;

export const websites = {
  list: () => call<Website[]>("GET", "/api/v1/websites"),
  get: (id: string) => call<Website>("GET", `/api/v1/websites/${enc(id)}`),
  create: (data: WebsiteCreate) => call<Website>("POST", "/api/v1/websites", data),
  update: (id: string, data: WebsitePatch) => call<Website>("PATCH", `/api/v1/websites/${enc(id)}`, data),
  remove: (id: string) => call<null>("DELETE", `/api/v1/websites/${enc(id)}`),
  settings: (id: string) => call<WebsiteSettings>("GET", `/api/v1/websites/${enc(id)}/settings`),
  saveSettings: (id: string, patch: Partial<WebsiteSettings>) =>
    call<WebsiteSettings>("POST", `/api/v1/websites/${enc(id)}/settings`, patch),
  addAgent: (id: string, agentId: string) =>
    call<null>("POST", `/api/v1/websites/${enc(id)}/agents`, { agent_id: agentId }),
  removeAgent: (id: string, agentId: string) =>
    call<null>("DELETE", `/api/v1/websites/${enc(id)}/agents/${enc(agentId)}`),
};

export interface IdentitySecret {
  secret: string | null;
}

export const identitySecret = {
  get: (id: string) => call<IdentitySecret>("GET", `/api/v1/websites/${enc(id)}/identity-secret`),
  rotate: (id: string) =>
    call<{ secret: string; created: boolean }>("POST", `/api/v1/websites/${enc(id)}/identity-secret`),
  remove: (id: string) => call<null>("DELETE", `/api/v1/websites/${enc(id)}/identity-secret`),
};

// ---- agents ---------------------------------------------------------------------------

export interface Agent {
  id: string;
  email: string;
  name: string;
  role: Role;
  avatar_url: string | null;
  /** null for owners and admins: every website. */
  website_ids: string[] | null;
  created_at: string | null;
  disabled: boolean;
  /** Invited and has not set a password yet. */
  invite_pending: boolean;
}

export interface AgentInvite {
  email: string;
  name: string;
  role: Role;
  website_ids: string[];
}

/** An invited agent, and the one-time link when it was not emailed. */
export interface AgentInvited extends Agent {
  /** True when the link went out by email; otherwise invite_url is here, this once. */
  emailed: boolean;
  invite_url: string | null;
  invite_expires_at: string;
}

export interface AgentPatch {
  name?: string;
  role?: Role;
  disabled?: boolean;
}

export const agents = {
  list: () => call<Agent[]>("GET", "/api/v1/agents"),
  invite: (data: AgentInvite) => call<AgentInvited>("POST", "/api/v1/agents/invite", data),
  /** A new link for an agent who has not accepted yet; the earlier one stops working. */
  reinvite: (id: string) => call<AgentInvited>("POST", `/api/v1/agents/${enc(id)}/invite`),
  update: (id: string, data: AgentPatch) => call<Agent>("PATCH", `/api/v1/agents/${enc(id)}`, data),
};

/** How routing sees an agent (GET/PATCH /agents/{id}/routing). */
export interface AgentRouting {
  agent_id: string;
  status: "online" | "away" | "offline";
  /** A console of the agent is connected (on any node). */
  connected: boolean;
  /** Connected and online: routing may give them conversations, up to capacity. */
  available: boolean;
  /** The agent's own capacity; null: each website's default (routing.capacity). */
  capacity: number | null;
  open_conversations: number;
}

export const agentRouting = {
  get: (id: string) => call<AgentRouting>("GET", `/api/v1/agents/${enc(id)}/routing`),
  setCapacity: (id: string, capacity: number | null) =>
    call<AgentRouting>("PATCH", `/api/v1/agents/${enc(id)}/routing`, { capacity }),
};

/** The invited agent's own page (#/accept-invite?token=…): sets the password and signs in. */
export const acceptInvite = (data: { token: string; password: string; name?: string }) =>
  call<{ agent: { id: string; email: string; name: string; role: string }; csrf_token: string }>(
    "POST",
    "/api/v1/auth/accept-invite",
    data,
  );

// ---- teams ----------------------------------------------------------------------------

export interface Team {
  id: string;
  name: string;
  skills: string[];
  agent_ids: string[];
  created_at: string;
  updated_at: string;
}

export interface TeamCreate {
  name: string;
  skills: string[];
  agent_ids: string[];
}

export interface TeamPatch {
  name?: string;
  skills?: string[];
}

export const teams = {
  list: () => call<Team[]>("GET", "/api/v1/teams"),
  create: (data: TeamCreate) => call<Team>("POST", "/api/v1/teams", data),
  update: (id: string, data: TeamPatch) => call<Team>("PATCH", `/api/v1/teams/${enc(id)}`, data),
  remove: (id: string) => call<null>("DELETE", `/api/v1/teams/${enc(id)}`),
  setMembers: (id: string, agentIds: string[]) =>
    call<Team>("PUT", `/api/v1/teams/${enc(id)}/members`, { agent_ids: agentIds }),
};

// ---- API keys (src/sitechat/agents/scopes.py) ----------------------------------------

export const SCOPES: Array<[string, string]> = [
  ["conversations:read", "Read conversations"],
  ["conversations:write", "Reply to and manage conversations"],
  ["visitors:read", "Read visitors"],
  ["visitors:write", "Identify and update visitors"],
  ["websites:read", "Read websites"],
  ["websites:admin", "Manage websites"],
  ["agents:read", "Read agents and teams"],
  ["agents:admin", "Manage agents and teams"],
  ["keys:admin", "Manage API keys"],
  ["audit:read", "Read the audit log"],
];

/** Scopes only owners and admins may put on a key. */
export const MANAGER_SCOPES = new Set(["websites:admin", "agents:admin", "visitors:write", "audit:read"]);

export interface ApiKey {
  id: string;
  name: string;
  agent_id: string;
  scopes: string[];
  /** null: every website of its creator, as that changes. */
  website_ids: string[] | null;
  /** The key's last characters, to tell keys apart. */
  hint: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  /** The secret: shown once. */
  token: string;
}

export interface ApiKeyCreate {
  name: string;
  scopes: string[];
  website_ids: string[] | null;
}

export const apiKeys = {
  /** everyone: owners and admins see every key of the installation. */
  list: (everyone: boolean) => call<ApiKey[]>("GET", `/api/v1/tokens${everyone ? "?all=true" : ""}`),
  create: (data: ApiKeyCreate) => call<ApiKeyCreated>("POST", "/api/v1/tokens", data),
  revoke: (id: string) => call<ApiKey>("DELETE", `/api/v1/tokens/${enc(id)}`),
};

// ---- audit log --------------------------------------------------------------------------

export interface AuditEntry {
  id: string;
  at: string;
  actor: { agent_id: string | null; name: string | null; api_key_id: string | null };
  action: string;
  target_type: string;
  target_id: string | null;
  website_id: string | null;
  changes: Record<string, unknown>;
  ip: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next_before: string | null;
}

export interface AuditFilter {
  website_id?: string;
  /** An action code, or a prefix like "website.*". */
  action?: string;
  before?: string | null;
  limit?: number;
}

export const audit = {
  list: (f: AuditFilter) => call<AuditPage>("GET", `/api/v1/audit${qs({ ...f })}`),
};
