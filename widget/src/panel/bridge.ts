// postMessage link between the panel (this iframe, on the sitechat server's
// origin) and the loader/launcher on the host page. Every message goes to one
// exact origin, and only messages from that origin and from our parent window
// are accepted.

import type { VisitorProfile } from "../shared/protocol";

export type FieldMode = "off" | "optional" | "required";

export interface CustomFieldSpec {
  key: string;
  label: string;
  type: "text" | "number" | "select" | "checkbox";
  required: boolean;
  options?: string[];
}

export interface WebsiteInfo {
  id: string;
  name: string;
  appearance?: {
    color?: string;
    position?: string;
    logo_url?: string | null;
    title?: string;
    welcome?: string;
  };
  behavior?: {
    show_agent_photos?: boolean;
    ask_email_in_chat?: boolean;
    require_consent?: boolean;
  };
  prechat?: {
    enabled?: boolean;
    fields?: Partial<Record<"name" | "email" | "phone", FieldMode>>;
    custom_fields?: CustomFieldSpec[];
  };
  offline?: { message?: string; form_enabled?: boolean };
}

export interface AgentCard {
  id: string;
  name: string;
  avatar_url?: string | null;
}

/**
 * `sitechat:init`: the config response minus `visitor_key`, sent after
 * `sitechat:ready` and `sitechat:token`, and again whenever the host page has
 * something new (fresh token, identify, setLocale).
 */
export interface InitData {
  token: string;
  /** Seconds left on the token when the loader posted it. */
  token_expires_in?: number;
  visitor_id: string;
  ws_url: string;
  website: WebsiteInfo;
  agents_online: boolean;
  /** Inside business hours (true when the website has none). */
  open_now?: boolean;
  agents?: AgentCard[];
  visitor?: VisitorProfile;
  has_open_conversation?: boolean;
  /** Whether the panel is currently shown. */
  open?: boolean;
  /** `setLocale(code)` on the host page; null: the browser's languages. */
  locale?: string | null;
  /** `consent(granted)` on the host page, when the website requires consent. */
  consent?: boolean;
  /** False: the host page may not persist anything for this visitor (no consent yet). */
  storage?: boolean;
  /** What the panel last sent in `sitechat:store`, kept by the host page (see hoststore.ts). */
  panel_state?: Record<string, string> | null;
}

export interface BridgeHandlers {
  onInit(data: InitData): void;
  onVisibility(open: boolean): void;
  onLocale(locale: string): void;
  onReset(): void;
}

/** Re-ask the parent this often while no init arrives (e.g. its config fetch failed). */
const ASK_AGAIN_MS = 10_000;

/**
 * The host page's origin: the loader passes it as `parent_origin` (a referrer
 * can be stripped by the page's Referrer-Policy); document.referrer is the
 * fallback. Returns null when neither yields a real origin.
 */
export function findParentOrigin(): string | null {
  const candidates = [new URLSearchParams(location.search).get("parent_origin"), document.referrer];
  for (const c of candidates) {
    if (!c) continue;
    try {
      const origin = new URL(c).origin;
      if (origin !== "null") return origin;
    } catch {
      // Not a URL: try the next one.
    }
  }
  return null;
}

export class ParentBridge {
  private askTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly origin: string,
    private readonly handlers: BridgeHandlers,
  ) {
    window.addEventListener("message", this.onMessage);
  }

  post(msg: { type: string } & Record<string, unknown>): void {
    window.parent.postMessage(msg, this.origin);
  }

  /**
   * Ask for an init (`sitechat:ready` at start, `sitechat:token` for a fresh
   * token) and keep asking until one arrives.
   */
  requestInit(type: "sitechat:ready" | "sitechat:token"): void {
    clearInterval(this.askTimer);
    this.post({ type });
    this.askTimer = setInterval(() => this.post({ type }), ASK_AGAIN_MS);
  }

  private readonly onMessage = (e: MessageEvent): void => {
    if (e.origin !== this.origin || e.source !== window.parent) return;
    const data = e.data as { type?: unknown; open?: unknown; locale?: unknown } | null;
    if (!data || typeof data !== "object") return;
    switch (data.type) {
      case "sitechat:init": {
        const init = data as unknown as InitData;
        if (typeof init.token !== "string" || typeof init.ws_url !== "string" || !init.website) return;
        clearInterval(this.askTimer);
        this.handlers.onInit(init);
        break;
      }
      case "sitechat:visibility":
        this.handlers.onVisibility(Boolean(data.open));
        break;
      case "sitechat:locale":
        if (typeof data.locale === "string") this.handlers.onLocale(data.locale);
        break;
      case "sitechat:reset":
        this.handlers.onReset();
        break;
    }
  };
}
