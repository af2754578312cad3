// sitechat launcher: injected by the loader (content-hashed, cached for a year).
//
// Everything on the host page before the first open: it takes over the
// loader's command queue (running queued calls in order), implements the
// public `WebsiteChat` API (widget/sitechat.d.ts, docs/widget.md), draws the
// launcher button, unread badge and greeting bubble in a shadow root, and
// creates the panel iframe (inside the same shadow root) on first open, or at
// once, hidden, for a visitor with an open conversation so that replies raise
// the badge. Host page <-> panel messages: widget/README.md.
//
// Page tracking (docs/widget.md §6): when the config says `tracking` (or consent
// comes later), it reports SPA page views, visible time on page, exit intent and
// presence pings through the events endpoint, batched with track() events.
//
// Strict-CSP safe: no inline <style> or style attributes in markup. Styles come
// from a constructed stylesheet (not subject to style-src), or else from
// launcher-HASH.css by <link> (allowed by `style-src <sitechat origin>`);
// dynamic values (colour) go through CSSOM, which CSP allows.
//
// (No optional chaining or array rest patterns here: esbuild lowers the first
// verbosely for Chrome 90, and Safari < 14.1 mishandles the second.)

/// <reference path="../sitechat.d.ts" />
import type { Boot, Config, Identify } from "./loader";
import { rid } from "./shared/id";
import { type LauncherStrings, launcherStrings, unreadLabel } from "./shared/locale-launcher";

/** The minified launcher.css, and its hashed file under /static/ (for the <link> fallback). */
declare const __LAUNCHER_CSS__: string;
declare const __LAUNCHER_CSS_FILE__: string;

type Obj = Record<string, unknown>;
type AnyHandler = (payload?: unknown) => void;

const d = document;
const SVG_NS = "http://www.w3.org/2000/svg";
const DEFAULT_COLOR = "#4F46E5";
// 24x24 icons: a filled chat bubble and a stroked "X".
const ICON_CHAT = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z";
const ICON_CLOSE = "M6 6l12 12M18 6 6 18";
const EVENTS = ["ready", "open", "close", "message", "unread-count", "exit-intent"];

const warn = (msg: string): void => console.warn("[sitechat] " + msg);
const isObj = (x: unknown): x is Obj => !!x && typeof x == "object" && !Array.isArray(x);
const noop = (): void => {};

/** Black or white text, whichever reads better on the hex colour. */
function textOn(hex: string): string {
  const h = hex.length == 4 ? hex.replace(/\w/g, "$&$&") : hex;
  const n = parseInt(h.slice(1), 16);
  // Relative luminance, roughly (sRGB weights, no gamma): good enough to pick black or white.
  const y = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  return y > 0.62 ? "#111827" : "#fff";
}

function start(b: Boot): void {
  const vkKey = "sitechat:" + b.i + ":vk";
  const greetKey = "sitechat:" + b.i + ":greeted";
  /** The panel's own entries, when its third-party storage is blocked (`sitechat:store`). */
  const panelKey = "sitechat:" + b.i + ":panel";

  let cfg: Config | undefined;
  let isOpen = false;
  let shown = true;
  let ready = false;
  let unread = 0;
  let locale: string | null = null;
  let strings: LauncherStrings = launcherStrings(navigator.language);
  /** undefined until consent(...) is called */
  let consent: boolean | undefined;
  let greeted = false;
  let greetTimer: ReturnType<typeof setTimeout> | undefined;
  const handlers: Record<string, AnyHandler[]> = {};

  let host: HTMLElement | undefined;
  let wrap: HTMLDivElement | undefined;
  let button: HTMLButtonElement | undefined;
  let badge: HTMLSpanElement | undefined;
  let bubble: HTMLDivElement | undefined;
  let frame: HTMLIFrameElement | undefined;
  /** Set once the panel said `sitechat:ready`: posting earlier would hit about:blank. */
  let panelReady = false;
  let audio: AudioContext | undefined;

  // ---- storage (consent) ---------------------------------------------------

  const behavior = (): NonNullable<Config["website"]["behavior"]> => (cfg && cfg.website.behavior) || {};
  /** May we write to this device's storage? Not before consent(true) when the website requires consent. */
  const storageAllowed = (): boolean => consent === true || (consent === undefined && !behavior().require_consent);
  const store = (key: string, value: string | null): void => {
    try {
      if (value == null) localStorage.removeItem(key);
      else if (storageAllowed()) localStorage.setItem(key, value);
    } catch {
      // Storage blocked: the visitor key lives in memory for this page only.
    }
  };
  let panelState: Record<string, string> | null = null;
  /** Re-read before each init: another tab may have saved since this page started. */
  const readPanelState = (): void => {
    try {
      const saved = localStorage.getItem(panelKey);
      if (saved) panelState = JSON.parse(saved);
    } catch {
      // As above; keep what this page has.
    }
  };
  try {
    greeted = !!sessionStorage.getItem(greetKey);
  } catch {
    // As above.
  }
  readPanelState();

  // ---- events ---------------------------------------------------------------

  /** A handler of the page's must not break us (nor the other handlers). */
  const call = (fn: AnyHandler, event: string, payload?: unknown): void => {
    try {
      fn(payload);
    } catch (e) {
      console.error("[sitechat] a '" + event + "' handler failed:", e);
    }
  };
  const emit = (event: string, payload?: unknown): void => {
    for (const fn of (handlers[event] || []).slice()) call(fn, event, payload);
  };
  const readyInfo = (): WebsiteChat.ReadyInfo => ({ visitorId: cfg ? cfg.visitor_id : "" });

  // ---- panel ----------------------------------------------------------------

  function post(msg: Obj): void {
    if (frame && panelReady && frame.contentWindow) frame.contentWindow.postMessage(msg, b.s);
  }

  /** The panel's init: the config minus visitor_key, with a token lifetime counted from when it was fetched. */
  const sendInit = (): void => {
    if (!cfg) return;
    readPanelState();
    const { visitor_key: _k, _at, ...init } = cfg;
    post({
      ...init,
      type: "sitechat:init",
      token_expires_in: cfg.token_expires_in - Math.round((Date.now() - _at) / 1000),
      open: isOpen,
      locale,
      // Beyond the contract (widget/README.md): may the panel persist anything, and what
      // it asked us to keep for it.
      storage: storageAllowed(),
      consent: consent,
      panel_state: panelState,
    });
  };

  const createFrame = (): void => {
    if (frame || !wrap) return;
    frame = d.createElement("iframe");
    frame.className = "f";
    frame.title = strings.chat;
    frame.setAttribute("data-testid", "sitechat-panel");
    frame.src =
      b.s +
      "/widget/panel?website_id=" +
      encodeURIComponent(b.i) +
      "&parent_origin=" +
      encodeURIComponent(location.origin);
    wrap.insertBefore(frame, button || null);
  };

  // ---- config requests (serialized) -----------------------------------------

  /** identify() calls waiting for the next config request, merged. */
  let pendingIdentify: Identify | null = null;
  let fresh = false;
  let queued = false;
  let chain: Promise<unknown> = b.c.then((c) => apply(c)).catch(noop);

  /** Another config request after the current one: for a fresh token, identify, or reset. */
  const reconfig = (): void => {
    if (queued) return;
    queued = true;
    chain = chain
      .then(() => {
        queued = false;
        const identify = pendingIdentify;
        pendingIdentify = null;
        if (fresh) b.k = null;
        fresh = false;
        sentConsent = b.o;
        sentPage = b.p;
        return b.f(identify).then(apply);
      })
      .catch(noop);
  };

  function apply(c: Config): void {
    cfg = c;
    if (outbox.length && !flushTimer) flushTimer = setTimeout(flush, 1000);
    if (b.k) store(vkKey, b.k);
    // The server recorded the page the request carried; report it ourselves if it did not
    // (consent given since) or if the page changed in the meantime.
    update(!c.tracking || b.p != sentPage);
    const go = (): void => {
      draw();
      if (c.has_open_conversation || isOpen) createFrame();
      render();
      if (!ready) {
        ready = true;
        emit("ready", readyInfo());
        if (isOpen) emit("open");
        scheduleGreeting();
      }
      sendInit();
    };
    if (d.body) go();
    else d.addEventListener("DOMContentLoaded", go);
  }

  // ---- drawing ---------------------------------------------------------------

  const icon = (path: string, cls: string): SVGSVGElement => {
    const svg = d.createElementNS(SVG_NS, "svg");
    const p = d.createElementNS(SVG_NS, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", cls);
    svg.setAttribute("aria-hidden", "true");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  };

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent: Node): HTMLElementTagNameMap[K] => {
    const e = d.createElement(tag);
    e.className = cls;
    parent.appendChild(e);
    return e;
  };

  function draw(): void {
    if (!host) {
      host = d.createElement("sitechat-widget");
      // Inline and !important, set through CSSOM (allowed by a strict CSP): no page
      // rule resets the host element, even before a fallback stylesheet has loaded.
      host.style.setProperty("all", "initial", "important");
      const root = host.attachShadow({ mode: "open" });
      wrap = el("div", "w", root);
      if ("adoptedStyleSheets" in root && typeof CSSStyleSheet.prototype.replaceSync == "function") {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(__LAUNCHER_CSS__);
        root.adoptedStyleSheets = [sheet];
      } else {
        // Older Safari: the same CSS as a file from the sitechat origin (never a <style>).
        const link = d.createElement("link");
        link.rel = "stylesheet";
        link.href = b.s + "/static/" + __LAUNCHER_CSS_FILE__;
        wrap.style.display = "none";
        link.onload = link.onerror = () => wrap!.style.removeProperty("display");
        root.insertBefore(link, wrap);
      }

      bubble = el("div", "g", wrap);
      bubble.hidden = true;
      bubble.setAttribute("aria-live", "polite");
      bubble.setAttribute("data-testid", "sitechat-greeting");

      button = el("button", "b", wrap);
      button.type = "button";
      button.setAttribute("data-testid", "sitechat-launcher");
      button.append(icon(ICON_CHAT, "c"), icon(ICON_CLOSE, "x"));
      badge = el("span", "u", button);
      badge.setAttribute("aria-hidden", "true");
      badge.setAttribute("data-testid", "sitechat-unread");
      button.onclick = () => {
        unlockAudio();
        setOpen(!isOpen);
      };
      root.addEventListener("keydown", (e) => {
        if ((e as KeyboardEvent).key == "Escape" && isOpen) setOpen(false);
      });
      d.body.appendChild(host);
      // Single-page apps that swap or empty <body> would drop us: come back.
      new MutationObserver(() => {
        if (host && !host.isConnected && d.body) d.body.appendChild(host);
      }).observe(d.documentElement, { childList: true, subtree: true });
    }
    const a = (cfg && cfg.website.appearance) || {};
    // Only a hex colour reaches the stylesheet: no CSS injection from the config.
    const color = /^#([\da-f]{3}|[\da-f]{6})$/i.test(a.color || "") ? a.color! : DEFAULT_COLOR;
    wrap!.style.setProperty("--c", color);
    wrap!.style.setProperty("--t", textOn(color));
    wrap!.classList.toggle("l", a.position == "left");
  }

  /** Reflect the state in the DOM (labels, classes, badge, iframe). */
  function render(): void {
    if (!wrap || !button || !badge) return;
    wrap.classList.toggle("o", isOpen);
    wrap.classList.toggle("h", !shown);
    if (locale) wrap.lang = locale;
    button.setAttribute("aria-expanded", "" + isOpen);
    button.setAttribute(
      "aria-label",
      (isOpen ? strings.close : strings.open) + (unread ? ", " + unreadLabel(strings, unread) : ""),
    );
    badge.textContent = unread > 99 ? "99+" : "" + unread;
    badge.hidden = !unread;
    if (frame) frame.title = strings.chat;
    const x = bubble && bubble.querySelector(".gx");
    if (x) x.setAttribute("aria-label", strings.dismiss);
  }

  /** Focus is in our widget (the launcher or the panel), not elsewhere on the page. */
  const focusInside = (): boolean => !!host && d.activeElement === host;

  function setOpen(open: boolean): void {
    const changed = open != isOpen;
    const hadFocus = focusInside();
    isOpen = open;
    if (open) hideGreeting(true);
    if (open && wrap) createFrame();
    render();
    post({ type: "sitechat:visibility", open });
    if (frame && open) frame.focus();
    // Back to the launcher, but only if the visitor was in the widget: never steal the page's focus.
    else if (!open && hadFocus && button && shown) button.focus();
    // Before the launcher is drawn this is only a wish; "open" fires once it is shown (after "ready").
    if (changed && wrap) emit(open ? "open" : "close");
  }

  // ---- greeting bubble ------------------------------------------------------

  function scheduleGreeting(): void {
    const bh = behavior();
    const welcome = cfg && cfg.website.appearance && cfg.website.appearance.welcome;
    if (!bh.auto_greet || !welcome || greeted || (cfg && cfg.has_open_conversation)) return;
    greetTimer = setTimeout(
      () => {
        if (isOpen || greeted || !bubble) return;
        bubble.textContent = "";
        const logo = logoUrl();
        if (logo) {
          const img = el("img", "", bubble);
          img.alt = "";
          img.src = logo;
        }
        const text = el("button", "gt", bubble);
        text.type = "button";
        text.textContent = welcome;
        text.onclick = () => setOpen(true);
        const x = el("button", "gx", bubble);
        x.type = "button";
        x.textContent = "\u00d7";
        x.onclick = () => {
          hideGreeting(true);
          if (button) button.focus();
        };
        bubble.hidden = false;
        render();
      },
      Math.max(0, Number(bh.greet_delay_ms) || 0),
    );
  }

  function hideGreeting(remember: boolean): void {
    clearTimeout(greetTimer);
    if (bubble) bubble.hidden = true;
    if (remember && !greeted) {
      greeted = true;
      try {
        if (storageAllowed()) sessionStorage.setItem(greetKey, "1");
      } catch {
        // Storage blocked.
      }
    }
  }

  /** The website's logo: http(s) or a path on the sitechat server; nothing else. */
  function logoUrl(): string | null {
    const u = (cfg && cfg.website.appearance && cfg.website.appearance.logo_url) || "";
    if (/^\/[^/]/.test(u)) return b.s + u;
    return /^https?:\/\//i.test(u) ? u : null;
  }

  // ---- sound ----------------------------------------------------------------

  /** Create (or resume) the AudioContext during a click, so later sounds may play. */
  function unlockAudio(): void {
    try {
      const AC =
        window.AudioContext || (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
      if (!audio && AC) audio = new AC();
      if (audio && audio.state == "suspended") audio.resume().catch(noop);
    } catch {
      // No WebAudio: no sound.
    }
  }

  /** A short two-note chime (about 0.3 s). */
  function chime(): void {
    // Before any interaction with the page the browser keeps audio suspended (autoplay
    // rules): do not even try, which would only log a warning.
    const ua = (navigator as { userActivation?: { hasBeenActive: boolean } }).userActivation;
    if (ua && !ua.hasBeenActive) return;
    unlockAudio();
    if (!audio) return;
    try {
      const t = audio.currentTime;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.setValueAtTime(880, t);
      osc.frequency.setValueAtTime(1320, t + 0.12);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.32);
    } catch {
      // As above.
    }
  }

  // ---- messages from the panel ------------------------------------------------

  addEventListener("message", (e: MessageEvent) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== b.s || !isObj(e.data)) return;
    const m = e.data;
    if (m.type == "sitechat:ready") {
      panelReady = true;
      sendInit();
      if (isOpen && focusInside()) frame.focus();
    } else if (m.type == "sitechat:token") {
      reconfig();
    } else if (m.type == "sitechat:settings" && isObj(m.website) && cfg) {
      // Live settings from the panel's socket: redraw colour and position; later inits carry them.
      cfg.website = { ...cfg.website, ...m.website, id: cfg.website.id };
      cfg.open_now = m.open_now;
      draw();
      render();
    } else if (m.type == "sitechat:close") {
      setOpen(false);
    } else if (m.type == "sitechat:unread") {
      const n = Math.max(0, Math.floor(Number(m.count)) || 0);
      if (n != unread) {
        unread = n;
        render();
        emit("unread-count", n);
      }
    } else if (m.type == "sitechat:store" && isObj(m.state)) {
      const state = m.state;
      const json = JSON.stringify(state);
      // Strings only, and a bound: it is the panel's resume state, not a database.
      if (json.length < 200000 && Object.keys(state).every((k) => typeof state[k] == "string")) {
        panelState = state as Record<string, string>;
        store(panelKey, json);
      }
    } else if (m.type == "sitechat:message" && isObj(m.message)) {
      const msg = m.message;
      const sender = isObj(msg.sender) ? msg.sender : {};
      emit("message", {
        conversationId: "" + m.conversation_id,
        body: "" + msg.body,
        sender: { kind: sender.kind, name: sender.name == null ? null : "" + sender.name },
        createdAt: "" + msg.created_at,
      });
      if (m.sound === true) chime();
    }
  });

  // ---- events: batched to POST /api/v1/widget/{id}/events ------------------------

  const eventsUrl = b.s + "/api/v1/widget/" + encodeURIComponent(b.i) + "/events";
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const gpc = nav.globalPrivacyControl === true;
  /** track() and page events waiting to be sent, 20 a request. */
  const outbox: Obj[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  const add = (e: Obj): void => {
    if (outbox.length < 100) outbox.push(e);
    if (!flushTimer) flushTimer = setTimeout(flush, 1000);
  };
  /** Send what waits. `beacon`: the page is being hidden or left (sendBeacon survives it). */
  function flush(beacon?: boolean): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    // Events wait for the visitor key (the first config answer).
    while (b.k && outbox.length) {
      const k = b.k;
      // A string body is sent as text/plain: no preflight.
      const body = JSON.stringify({ visitor_key: k, tab: b.t, consent, gpc: gpc || undefined, events: outbox.splice(0, 20) });
      if (beacon === true && nav.sendBeacon && nav.sendBeacon(eventsUrl, body)) continue;
      // keepalive: it survives the page closing. No cookies, as for the config request.
      fetch(eventsUrl, { method: "POST", body, keepalive: true, credentials: "omit" })
        .then((r) => (r.ok ? r.json() : null))
        .then((r: { has_open_conversation?: boolean; settings_version?: string } | null) => {
          // An agent started a conversation with this (browsing) visitor: create the
          // panel as for a returning visitor, so the badge and the sound go off.
          if (r && r.has_open_conversation && k == b.k && cfg && !frame) {
            cfg.has_open_conversation = true;
            createFrame();
          }
          // The website's settings changed: a fresh config redraws the launcher (a panel's
          // socket gets them at once; a launcher without one learns here, within a ping).
          if (r && r.settings_version && cfg && cfg.settings_version && r.settings_version != cfg.settings_version) {
            cfg.settings_version = r.settings_version;
            reconfig();
          }
        })
        .catch(noop);
    }
  }

  // ---- page tracking ------------------------------------------------------------

  /** Reporting page events: the config said so, or consent(true) came after it. */
  let tracking = false;
  /** consent and the page as the latest config request carried them */
  let sentConsent = b.o;
  let sentPage = b.p;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  /** the page shown (b.p, sent with config requests too) */
  let page = b.p;
  let lastUrl = page.url;
  /** set while a new page view waits a tick for its title */
  let viewTimer: ReturnType<typeof setTimeout> | undefined;
  let exitSeen = false;
  /** pagehide said goodbye (until the page comes back from the back/forward cache) */
  let gone = false;
  const P = { passive: true };
  /** A listener never throws into the host page. */
  const guard =
    <E>(fn: (e: E) => void) =>
    (e: E): void => {
      try {
        fn(e);
      } catch {
        // Tracking is best effort.
      }
    };
  const here = (): string => location.href.slice(0, 2048);
  const visible = (): boolean => d.visibilityState == "visible";
  const now = (): number => performance.now();
  // Visible time of the current page view: the first one counts from navigation start.
  let visMs = 0;
  let visFrom: number | null = visible() ? 0 : null;
  const shownMs = (): number => Math.round(visMs + (visFrom == null ? 0 : now() - visFrom));
  const trackAdd = (e: Obj): void => {
    if (tracking) add(e);
  };
  const pageLeave = (): void => trackAdd({ type: "page_leave", pv: page.pv, duration_ms: shownMs() });
  /** A new page view id for this tab: its clock starts, exit intent may fire again. */
  const newPv = (referrer: string): void => {
    b.p = page = { pv: rid(), url: here(), title: page.title, referrer: referrer.slice(0, 2048) };
    visMs = 0;
    visFrom = visible() ? now() : null;
    exitSeen = false;
  };
  function viewNow(): void {
    clearTimeout(viewTimer);
    viewTimer = undefined;
    page.title = d.title.slice(0, 300);
    trackAdd({ type: "page_view", ...page });
  }
  /** History API, popstate, hashchange: a new page view when the URL changed. */
  function navigated(): void {
    const url = here();
    if (url == lastUrl) return;
    // Several changes within a tick (a router's push then replace) make one page view.
    if (!viewTimer) {
      pageLeave();
      newPv(lastUrl);
      // SPAs set the title after pushState: read it a tick later.
      viewTimer = setTimeout(viewNow);
    }
    page.url = lastUrl = url;
  }
  try {
    for (const m of ["pushState", "replaceState"] as const) {
      const orig = history[m];
      history[m] = function (this: History, ...args: Parameters<History["pushState"]>) {
        const r = orig.apply(this, args);
        guard(navigated)(0);
        return r;
      };
    }
  } catch {
    // A frozen History API: popstate and hashchange still tell.
  }
  addEventListener("popstate", guard(navigated), P);
  addEventListener("hashchange", guard(navigated), P);
  // The URL may have changed between the loader and now.
  guard(navigated)(0);

  /** Start or stop reporting, as the config, consent and GPC allow; `view`: report the page shown. */
  function update(view: boolean): void {
    const bh = behavior();
    const on =
      !!cfg &&
      consent !== false &&
      !(bh.honor_gpc && gpc) &&
      // consent(true) after a config request that did not carry it
      (!!cfg.tracking || (consent === true && sentConsent !== true && !!bh.require_consent));
    if (on == tracking) return;
    tracking = on;
    clearInterval(pingTimer);
    if (on) {
      if (view) viewNow();
      // Presence: the server drops a tab about 60 s after its last ping. Each ping also
      // asks whether an agent has started a conversation. (__sitechatPingMs: a test hook.)
      pingTimer = setInterval(
        guard(() => {
          trackAdd({ type: "ping" });
          flush();
        }),
        Number((window as unknown as Obj).__sitechatPingMs) || 20000,
      );
    } else {
      // Withdrawn: page events still waiting are dropped too (track() events stay).
      for (let i = outbox.length; i--; ) if (outbox[i]!.type != "custom") outbox.splice(i, 1);
    }
  }

  d.addEventListener(
    "visibilitychange",
    guard(() => {
      if (visible()) {
        if (visFrom == null) visFrom = now();
        return;
      }
      if (visFrom != null) visMs += now() - visFrom;
      visFrom = null;
      if (!gone) {
        if (viewTimer) viewNow();
        pageLeave();
      }
      flush(true);
    }),
    P,
  );
  addEventListener(
    "pagehide",
    guard(() => {
      if (!gone) {
        if (viewTimer) viewNow();
        pageLeave();
        trackAdd({ type: "leave" });
      }
      gone = true;
      flush(true);
    }),
    P,
  );
  addEventListener(
    "pageshow",
    guard((e: PageTransitionEvent) => {
      if (!e.persisted || !gone) return;
      // Back from the back/forward cache: this tab shows a page again.
      gone = false;
      newPv("");
      viewNow();
    }),
    P,
  );
  // Exit intent (desktop): the cursor leaves the window through the top, once per page view.
  d.addEventListener(
    "mouseout",
    guard((e: MouseEvent) => {
      if (e.relatedTarget || e.clientY > 0 || exitSeen || !matchMedia("(pointer: fine)").matches) return;
      exitSeen = true;
      trackAdd({ type: "exit_intent", pv: page.pv });
      emit("exit-intent");
    }),
    P,
  );

  // ---- the public API ---------------------------------------------------------

  const isFn = (f: unknown): f is AnyHandler => typeof f == "function";
  const checkEvent = (ev: unknown, fn: unknown): void => {
    if (typeof ev != "string" || EVENTS.indexOf(ev) < 0) throw `unknown event ${JSON.stringify(ev)} (use ${EVENTS.join(", ")})`;
    if (!isFn(fn)) throw "the handler must be a function";
  };

  /** A wrong call throws what is wrong (a string). Extra arguments are ignored. */
  const commands: Record<string, (a: unknown[]) => void> = {
    identify(a) {
      const v = b.v(a[0]);
      if (typeof v == "string") throw v;
      pendingIdentify = b.m(pendingIdentify, v);
      reconfig();
    },
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!isOpen),
    show() {
      shown = true;
      render();
    },
    hide() {
      shown = false;
      hideGreeting(false);
      render();
    },
    on(a) {
      const ev = a[0];
      const fn = a[1];
      checkEvent(ev, fn);
      (handlers[ev as string] = handlers[ev as string] || []).push(fn as AnyHandler);
      // Already happened: call it anyway (soon, as the other events are).
      if (ev == "ready" && ready) setTimeout(() => call(fn as AnyHandler, "ready", readyInfo()));
    },
    off(a) {
      checkEvent(a[0], a[1]);
      const list = handlers[a[0] as string] || [];
      const i = list.indexOf(a[1] as AnyHandler);
      if (i >= 0) list.splice(i, 1);
    },
    track(a) {
      const name = a[0];
      const data = a[1] === undefined ? {} : a[1];
      if (typeof name != "string" || !/^[a-z\d][a-z\d _.:/-]{0,79}$/i.test(name))
        throw `expects an event name of 1 to 80 letters, digits, spaces or _.:/- (got ${JSON.stringify(name)})`;
      if (!isObj(data)) throw "data must be an object";
      const keys = Object.keys(data);
      if (keys.length > 30) throw "data may have at most 30 keys";
      for (const k of keys) {
        const v = data[k];
        const t = typeof v;
        if (k.length > 80) throw `data key "${k.slice(0, 20)}…" is longer than 80 characters`;
        if (!(v === null || t == "boolean" || (t == "number" && isFinite(v as number)) || (t == "string" && (v as string).length <= 500)))
          throw `data.${k} must be a string (up to 500 characters), a finite number, a boolean or null`;
      }
      add({ type: "custom", name, data: { ...data } });
    },
    setLocale(a) {
      const code = typeof a[0] == "string" ? a[0].replace(/_/g, "-") : "";
      if (!/^[a-z]{2,3}(-[a-z\d]{1,8})*$/i.test(code))
        throw `expects a language code such as "fr" or "de-AT", got ${JSON.stringify(a[0])}`;
      locale = code;
      b.l = locale;
      strings = launcherStrings(locale);
      render();
      post({ type: "sitechat:locale", locale });
    },
    reset() {
      // Events tracked so far belong to the old visitor, and so does this page view.
      if (viewTimer) viewNow();
      pageLeave();
      trackAdd({ type: "leave" });
      flush();
      // No pings until the next config. The new visitor gets new tab and page-view ids:
      // nothing of the old one's presence carries over.
      tracking = false;
      clearInterval(pingTimer);
      b.t = rid();
      newPv(page.referrer);
      // The panel forgets this visitor (storage, socket); then it goes, and a new visitor starts.
      post({ type: "sitechat:reset" });
      const old = frame;
      frame = undefined;
      panelReady = false;
      if (old) {
        old.style.setProperty("display", "none");
        // Give the reset message time to arrive before the frame is discarded.
        setTimeout(() => old.remove(), 1000);
      }
      b.k = null;
      store(vkKey, null);
      store(panelKey, null);
      panelState = null;
      pendingIdentify = null;
      fresh = true;
      if (isOpen) setOpen(false);
      if (unread) {
        unread = 0;
        emit("unread-count", 0);
      }
      if (cfg) cfg.has_open_conversation = false;
      render();
      reconfig();
    },
    consent(a) {
      if (typeof a[0] != "boolean") throw "expects true or false";
      consent = b.o = a[0];
      if (consent) {
        if (b.k && cfg) store(vkKey, b.k);
      } else {
        store(vkKey, null);
        store(panelKey, null);
        panelState = null;
        try {
          sessionStorage.removeItem(greetKey);
        } catch {
          // Storage blocked.
        }
      }
      sendInit();
      // Tracking starts (consent given after the config) or stops (withdrawn).
      update(true);
    },
  };

  b.r = (args: unknown[]): void => {
    const name = args[0];
    const run = typeof name == "string" && Object.prototype.hasOwnProperty.call(commands, name) && commands[name];
    if (!run) {
      warn(`unknown command ${JSON.stringify(name)} (use ${Object.keys(commands).join(", ")})`);
      return;
    }
    try {
      run(args.slice(1));
    } catch (e) {
      warn(name + ": " + e);
    }
  };
  // Calls made before we arrived, in order.
  const early = b.q.splice(0);
  early.forEach(b.r);
}

const script = d.currentScript as (HTMLScriptElement & { _sc?: Boot }) | null;
const wc = window.WebsiteChat as unknown as { _?: Boot } | undefined;
const boot = (script && script._sc) || (wc && wc._);
if (boot && !boot.L) {
  boot.L = 1;
  start(boot);
}
