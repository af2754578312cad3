// sitechat loader: the only script a host page loads up front (budget: 2 KB gzip).
//
// It reads the website id and queue name from its own URL, asks the sitechat
// server for the widget config (the server checks the page's Origin against the
// website's allowlist), draws the launcher button in a shadow root, and creates
// the chat panel iframe on first open. No Preact here, no inline scripts or
// styles: it must run on host pages with a strict Content-Security-Policy.

interface Appearance {
  color?: string;
  position?: string;
  welcome?: string;
}

interface WidgetConfig {
  website: { id: string; name: string; appearance?: Appearance };
  visitor_id: string;
  visitor_key: string;
  token: string;
  token_expires_in: number;
  ws_url: string;
  agents_online: boolean;
}

/** `window.WebsiteChat`: callable (`WebsiteChat("open")`) and with methods. */
interface WebsiteChatApi {
  (command: string, ...args: unknown[]): void;
  open(): void;
  close(): void;
  toggle(): void;
}

type Command = (...args: unknown[]) => void;

const w = window as unknown as Record<string, unknown>;
const d = document;
const SVG_NS = "http://www.w3.org/2000/svg";
const DEFAULT_COLOR = "#4F46E5";
// 24x24 icons: a filled chat bubble and a stroked "X".
const ICON_CHAT = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z";
const ICON_CLOSE = "M6 6l12 12M18 6 6 18";

const warn = (msg: string): void => console.warn("[sitechat] " + msg);
const failed = (e: unknown): void => warn("config request failed: " + e);

function main(): void {
  // Our own <script> tells us the server origin and the website id. (It is
  // null only in module scripts or callbacks, which the snippet never uses.)
  const script = d.currentScript as HTMLScriptElement | null;
  if (!script) return;
  const src = new URL(script.src);
  const server = src.origin;
  const websiteId = src.searchParams.get("id");
  if (!websiteId) return warn("loader.js needs ?id=<website id>");
  const queueName = src.searchParams.get("l") || "websiteChat";
  const vkKey = "sitechat:" + websiteId + ":vk";

  let config: WidgetConfig | undefined;
  let fetchedAt = 0;
  let wantOpen = false;
  let root: ShadowRoot | undefined;
  let button: HTMLButtonElement | undefined;
  let frame: HTMLIFrameElement | undefined;
  /** Set once the panel said `sitechat:ready`: posting earlier would hit about:blank. */
  let panelReady = false;

  // ---- public API and command queue -------------------------------------

  const setOpen = (open: boolean): void => {
    wantOpen = open;
    // Before the launcher exists (config still loading) only remember the wish.
    if (!root || !button) return;
    if (open && !frame) {
      frame = d.createElement("iframe");
      frame.className = "f";
      frame.title = "Chat";
      frame.src =
        server +
        "/widget/panel?website_id=" +
        encodeURIComponent(websiteId) +
        "&parent_origin=" +
        encodeURIComponent(location.origin);
      root.appendChild(frame);
    }
    if (frame) {
      frame.hidden = !open;
      if (panelReady) post({ type: "sitechat:visibility", open });
    }
    button.setAttribute("aria-expanded", "" + open);
    button.setAttribute("aria-label", open ? "Close chat" : "Open chat");
  };

  const commands: Record<string, Command> = {
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!wantOpen),
  };

  /**
   * Run one queue entry: `["open"]` or an Arguments object. Anything else
   * (GTM-style `{event: ...}` objects, strings) yields no command name.
   */
  const run = (entry: unknown): void => {
    // No `[name, ...args] =` here: array rest destructuring is broken in Safari < 14.1.
    const args = entry && typeof entry == "object" ? Array.from(entry as ArrayLike<unknown>) : [];
    const name = args.shift();
    if (typeof name === "string" && commands.hasOwnProperty(name)) {
      commands[name]!(...args);
    }
  };

  const api: WebsiteChatApi = Object.assign(
    (...args: unknown[]) => run(args),
    commands as Record<"open" | "close" | "toggle", Command>,
  );
  w.WebsiteChat = api;

  let queue = w[queueName];
  if (!Array.isArray(queue)) queue = w[queueName] = [];
  const q = queue as unknown[];
  q.forEach(run);
  // Later pushes run at once. Chain to the previous push so a tag manager that
  // shares the array still sees every entry.
  const push = q.push;
  q.push = (...items: unknown[]): number => {
    items.forEach(run);
    return push.apply(q, items);
  };

  // ---- server config -----------------------------------------------------

  const loadConfig = async (): Promise<WidgetConfig> => {
    let visitorKey: string | null = null;
    try {
      visitorKey = localStorage.getItem(vkKey);
    } catch {
      // Storage blocked: every page view is then a new visitor.
    }
    const res = await fetch(server + "/api/v1/widget/" + encodeURIComponent(websiteId) + "/config", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // No cookies (the default for cross-origin): the visitor is the visitor_key.
      body: JSON.stringify({ visitor_key: visitorKey }),
    });
    // 403 origin_not_allowed (sent without CORS headers, so it surfaces as a
    // network error), 404 website_not_found, 429...: warn once and stay away.
    if (!res.ok) throw "HTTP " + res.status;
    config = (await res.json()) as WidgetConfig;
    fetchedAt = Date.now();
    try {
      localStorage.setItem(vkKey, config.visitor_key);
    } catch {
      // As above.
    }
    return config;
  };

  // ---- panel handshake ---------------------------------------------------

  // (No optional chaining in this file: esbuild lowers it verbosely for Chrome 90.)
  function post(msg: object): void {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(msg, server);
  }

  /**
   * Send the panel its init, refetching the config (for a fresh token) when the
   * panel asks. The panel judges staleness itself from token_expires_in, which
   * we count down from when the token was fetched.
   */
  const sendInit = (fresh: boolean): void => {
    (fresh || !config ? loadConfig() : Promise.resolve(config)).then(
      (c) => {
        // The panel needs no visitor_key: it stays in the host page's storage.
        const { visitor_key: _, ...init } = c;
        post({
          ...init,
          type: "sitechat:init",
          token_expires_in: c.token_expires_in - Math.round((Date.now() - fetchedAt) / 1000),
          open: wantOpen,
        });
      },
      // The panel asks again if no init arrives.
      failed,
    );
  };

  addEventListener("message", (e: MessageEvent) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== server) return;
    const type = e.data && (e.data as { type?: unknown }).type;
    if (type === "sitechat:ready") {
      panelReady = true;
      sendInit(false);
    } else if (type === "sitechat:token") sendInit(true);
    else if (type === "sitechat:close") {
      setOpen(false);
      if (button) button.focus();
    }
  });

  // ---- launcher ----------------------------------------------------------

  const icon = (path: string, cls: string): SVGSVGElement => {
    const svg = d.createElementNS(SVG_NS, "svg");
    const p = d.createElementNS(SVG_NS, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", cls);
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  };

  const draw = (c: WidgetConfig): void => {
    const a = c.website.appearance || {};
    // Only a hex colour goes into the stylesheet: no CSS injection from config.
    const color = /^#([\da-f]{3}|[\da-f]{6})$/i.test(a.color || "") ? a.color! : DEFAULT_COLOR;
    const side = a.position === "left" ? "left" : "right";
    const css =
      ":host{all:initial}" +
      `.b,.f{position:fixed;${side}:20px;z-index:2147483647;border:0;box-shadow:0 4px 16px #0004}` +
      `.b{bottom:20px;width:56px;height:56px;padding:14px;border-radius:50%;cursor:pointer;` +
      `background:${color};color:#fff}` +
      ".b:focus-visible{outline:3px solid #93c5fd}" +
      "svg{display:block;fill:currentColor}.x{stroke:currentColor;stroke-width:2.5}" +
      '.x,[aria-expanded="true"] .c{display:none}[aria-expanded="true"] .x{display:block}' +
      ".f{bottom:88px;width:370px;height:min(600px,calc(100% - 108px));border-radius:12px;background:#fff}" +
      ".f[hidden]{display:none}" +
      "@media (max-width:480px){.f{top:0;bottom:0;left:0;right:0;width:100%;height:100%;border-radius:0}}";

    const host = d.createElement("sitechat-widget");
    root = host.attachShadow({ mode: "open" });
    // Constructable stylesheets are not blocked by a strict CSP (no
    // 'unsafe-inline' needed). Safari < 16.4 lacks them and gets a <style>,
    // which works wherever inline styles are allowed.
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet.prototype.replaceSync === "function") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = d.createElement("style");
      style.textContent = css;
      root.appendChild(style);
    }

    button = d.createElement("button");
    button.type = "button";
    button.className = "b";
    button.setAttribute("data-testid", "sitechat-launcher");
    button.append(icon(ICON_CHAT, "c"), icon(ICON_CLOSE, "x"));
    button.onclick = commands.toggle!;
    root.appendChild(button);
    d.body.appendChild(host);
    setOpen(wantOpen);
  };

  loadConfig().then((c) => {
    if (d.body) draw(c);
    else d.addEventListener("DOMContentLoaded", () => draw(c));
  }, failed);
}

main();
