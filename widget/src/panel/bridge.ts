// postMessage link between the panel (this iframe, on the sitechat server's
// origin) and the loader on the host page. Every message goes to one exact
// origin, and only messages from that origin and from our parent window are
// accepted.

export interface Appearance {
  color?: string;
  position?: string;
  welcome?: string;
}

export interface WebsiteInfo {
  id: string;
  name: string;
  appearance?: Appearance;
}

/** `sitechat:init`, sent by the loader after `sitechat:ready` and `sitechat:token`. */
export interface InitData {
  token: string;
  /** Seconds left on the token when the loader posted it. */
  token_expires_in?: number;
  visitor_id: string;
  ws_url: string;
  website: WebsiteInfo;
  agents_online: boolean;
  /** Whether the panel is currently shown. */
  open?: boolean;
}

export interface BridgeHandlers {
  onInit(data: InitData): void;
  onVisibility(open: boolean): void;
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

  private post(msg: { type: string }): void {
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

  close(): void {
    this.post({ type: "sitechat:close" });
  }

  private readonly onMessage = (e: MessageEvent): void => {
    if (e.origin !== this.origin || e.source !== window.parent) return;
    const data = e.data as { type?: unknown } | null;
    if (!data || typeof data !== "object") return;
    if (data.type === "sitechat:init") {
      const init = data as unknown as InitData;
      if (typeof init.token !== "string" || typeof init.ws_url !== "string") return;
      clearInterval(this.askTimer);
      this.handlers.onInit(init);
    } else if (data.type === "sitechat:visibility") {
      this.handlers.onVisibility(Boolean((data as { open?: unknown }).open));
    }
  };
}
