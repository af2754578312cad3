// sitechat loader: the only script a host page loads up front, at a stable URL
// (`/widget/loader.js`, budget 2 KB gzip).
//
// It reads the website id and the queue name from its own URL, installs the
// `WebsiteChat` stub, takes the GTM-style command queue (`websiteChat` unless
// `?l=` names another), starts the config request at once (with any
// `identify` calls already queued), and injects the content-hashed launcher,
// which draws the launcher button, runs the queued commands in order and owns
// everything else (launcher.ts). No inline scripts or styles, no eval: it
// runs on host pages with a strict Content-Security-Policy.
//
// The config request also reports the page view (tab and page-view ids, URL,
// title, referrer, a few browser facts, consent and GPC); the server decides
// what it may keep (docs/widget.md §6, docs/tracking.md).

import { rid } from "./shared/id";

/** Wire form of `identify` (snake_case), as the config request carries it. */
export interface Identify {
  name?: string;
  email?: string;
  phone?: string;
  company?: string;
  custom_data?: Record<string, string | number | boolean | null>;
  user_id?: string;
  user_hash?: string;
}

export interface Appearance {
  color?: string;
  position?: string;
  logo_url?: string | null;
  title?: string;
  welcome?: string;
}

export interface Behavior {
  auto_greet?: boolean;
  greet_delay_ms?: number;
  require_consent?: boolean;
  /** Browsers sending Global Privacy Control are not tracked. */
  honor_gpc?: boolean;
}

/** The page shown, as the config request and `page_view` events carry it. */
export interface Page {
  /** page-view id: new for each page shown (SPA navigations included) */
  pv: string;
  /** location.href, at most 2048 characters */
  url: string;
  /** document.title, at most 300 characters */
  title: string;
  /** document.referrer, or the previous URL after an SPA navigation; at most 2048 characters */
  referrer: string;
}

/** The config response (docs/protocol.md); fields this side does not use are passed on to the panel. */
export interface Config {
  website: { id: string; name: string; appearance?: Appearance; behavior?: Behavior } & Record<string, unknown>;
  visitor_id: string;
  visitor_key: string;
  token: string;
  token_expires_in: number;
  ws_url: string;
  has_open_conversation?: boolean;
  settings_version?: string;
  /** The server recorded this page view (consent and GPC honoured): report page tracking events. */
  tracking?: boolean;
  /** When the loader received it (Date.now()); not from the server. */
  _at: number;
  [field: string]: unknown;
}

/**
 * What the loader hands the launcher, on `WebsiteChat._` (not a public API).
 * Short names: every byte of the loader counts.
 */
export interface Boot {
  /** sitechat server origin */
  s: string;
  /** website id */
  i: string;
  /** commands called before the launcher took over, in call order: [name, ...args] */
  q: unknown[][];
  /** runs one command; the launcher replaces it */
  r: (args: unknown[]) => void;
  /** the first config request, started by the loader */
  c: Promise<Config>;
  /** a config request (visitor key from `k`); with `identify` when given */
  f: (identify: Identify | null) => Promise<Config>;
  /** the visitor key: from localStorage, then from each config response */
  k: string | null;
  /** locale sent with config requests */
  l: string | undefined;
  /** validates an `identify` argument: the wire object, or what is wrong with it */
  v: (x: unknown) => Identify | string;
  /** merges two wire `identify` objects (custom_data key by key) */
  m: (a: Identify | null, b: Identify) => Identify;
  /** the tab id: random, one per loaded document */
  t: string;
  /** the page shown (the launcher replaces it on SPA navigations); sent with each config request */
  p: Page;
  /** consent(...) as last called (the loader: queued calls only), sent with each config request */
  o?: boolean;
  /** set by the launcher once it started (a second copy then stays idle) */
  L?: 1;
}

declare const __LAUNCHER_JS__: string;

type Obj = Record<string, unknown>;

const w = window as unknown as Obj;
const d = document;
const warn = (msg: string): void => console.warn("[sitechat] " + msg);
const isObj = (x: unknown): x is Obj => !!x && typeof x == "object" && !Array.isArray(x);
/** A BCP 47 tag as the server accepts it (anything else would fail the config request). */
const tag = (x: unknown): string | undefined =>
  typeof x == "string" && /^[a-z]{2,3}(-[a-z\d]{1,8})*$/i.test(x) ? x : undefined;
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** camelCase API field -> wire field */
const FIELDS: Record<string, string> = {
  email: "email",
  name: "name",
  phone: "phone",
  company: "company",
  customData: "custom_data",
  userId: "user_id",
  userHash: "user_hash",
};

const toWire = (x: unknown): Identify | string => {
  if (!isObj(x)) return "expects an object such as {email, name}";
  const out: Obj = {};
  for (const k of Object.keys(x)) {
    const v = x[k];
    if (!has(FIELDS, k)) return `unknown field "${k}" (use ${Object.keys(FIELDS).join(", ")})`;
    if (k == "customData") {
      if (!isObj(v)) return "customData must be an object";
      for (const c of Object.keys(v)) {
        const t = typeof v[c];
        if (v[c] !== null && t != "string" && t != "number" && t != "boolean")
          return `customData.${c} must be a string, number, boolean or null`;
      }
      out.custom_data = { ...v };
    } else if (typeof v != "string") return k + " must be a string";
    else out[FIELDS[k]!] = v;
  }
  return out as Identify;
};

const merge = (a: Identify | null, b: Identify): Identify => {
  const c = a && a.custom_data;
  return { ...a, ...b, custom_data: c || b.custom_data ? { ...c, ...b.custom_data } : undefined };
};

/** A queue entry as [name, ...args]: arrays and `arguments` objects; anything else (GTM events) is not a command. */
const entry = (e: unknown): unknown[] | null =>
  Array.isArray(e) || Object.prototype.toString.call(e) == "[object Arguments]"
    ? Array.prototype.slice.call(e)
    : null;

function main(): void {
  // Our own <script> tells us the server origin and the website id.
  const script = (d.currentScript || d.querySelector('script[src*="/widget/loader.js"]')) as HTMLScriptElement | null;
  if (!script) return;
  const src = new URL(script.src);
  const id = src.searchParams.get("id");
  if (!id) return warn("loader.js needs ?id=<website id>");
  const existing = w.WebsiteChat as { _?: Boot } | undefined;
  if (existing && existing._) return warn("the snippet is on this page twice; the second copy does nothing");

  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const b = {
    s: src.origin,
    i: id,
    q: [],
    k: null,
    l: tag(nav.language),
    v: toWire,
    m: merge,
    t: rid(),
    p: { pv: rid(), url: location.href.slice(0, 2048), title: d.title.slice(0, 300), referrer: d.referrer.slice(0, 2048) },
  } as unknown as Boot;
  b.r = (args) => b.q.push(args);
  try {
    b.k = localStorage.getItem("sitechat:" + id + ":vk");
  } catch {
    // Storage blocked: the visitor key then lives in memory for this page only.
  }

  // The config request: the server checks the page's Origin (no cookies sent). The body
  // goes as text/plain (the server reads JSON whatever the type): no CORS preflight, one
  // round trip less before the launcher shows.
  b.f = (identify) =>
    fetch(b.s + "/api/v1/widget/" + encodeURIComponent(id) + "/config", {
      method: "POST",
      body: JSON.stringify({
        visitor_key: b.k,
        identify,
        locale: b.l,
        tab: b.t,
        page: b.p,
        client: {
          tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
          screen: screen.width + "x" + screen.height,
          viewport: innerWidth + "x" + innerHeight,
          languages: (nav.languages || []).filter((x) => x.length < 36).slice(0, 10),
        },
        // undefined (left out) unless consent(...) was called / GPC is on
        consent: b.o,
        gpc: nav.globalPrivacyControl === true || undefined,
      }),
    })
      .then((res) => {
        // A bad identify (422), or one the website refuses to verify (403
        // identity_invalid / verification_required: a refused origin's 403 has no
        // CORS headers and never gets here) changes nothing: say why, go on without it.
        if ((res.status == 422 || res.status == 403) && identify)
          // {"error": "validation_error", "detail": ...}, or the detail nested in "error".
          return res.json().then((e: { error?: { detail?: string }; detail?: string }) => {
            warn("identify: " + (e.detail || (e.error && e.error.detail)) + " (nothing was changed)");
            return null;
          });
        // 403 origin_not_allowed comes without CORS headers: it surfaces as a network error.
        if (!res.ok) throw "HTTP " + res.status;
        return res.json() as Promise<Config>;
      })
      .then(
        (c) => {
          if (c) {
            c._at = Date.now();
            b.k = c.visitor_key;
          }
          return c;
        },
        (e) => {
          warn("config request failed (is this page's domain allowed for the website?): " + e);
          throw e;
        },
      )
      .then((c) => c || b.f(null));

  // `WebsiteChat("open")` or `WebsiteChat.open()`; both reach b.r, queued until the launcher runs.
  const api = (...args: unknown[]): void => b.r(args);
  for (const n of "identify open close toggle show hide on off track setLocale reset consent".split(" "))
    (api as unknown as Obj)[n] = (...args: unknown[]) => b.r([n as unknown].concat(args));
  (api as unknown as Obj)._ = b;
  w.WebsiteChat = api;

  // The GTM-style queue: entries pushed before we arrived, then later pushes at once.
  const name = src.searchParams.get("l") || "websiteChat";
  let queue = w[name];
  if (!Array.isArray(queue)) queue = w[name] = [];
  const q = queue as unknown[];
  let identify: Identify | null = null;
  for (const e of q) {
    const args = entry(e);
    if (!args) continue;
    // Identify calls already queued go into the first config request.
    if (args[0] == "identify") {
      const v = toWire(args[1]);
      if (typeof v == "string") warn("identify: " + v);
      else identify = merge(identify, v);
    } else {
      if (args[0] == "setLocale") b.l = tag(args[1]) || b.l;
      // The first config request tells the server about consent already given (or refused).
      if (args[0] == "consent" && typeof args[1] == "boolean") b.o = args[1];
      b.r(args);
    }
  }
  // Chain to the previous push so a tag manager sharing the array still sees every entry.
  const push = q.push;
  q.push = (...items: unknown[]): number => {
    for (const e of items) {
      const args = entry(e);
      if (args) b.r(args);
    }
    return push.apply(q, items);
  };

  b.c = b.f(identify);
  // The launcher handles it; until it is here, a failure (already warned about) must
  // not also surface as an unhandled rejection.
  b.c.catch(() => {});

  const js = d.createElement("script") as HTMLScriptElement & { _sc?: Boot };
  js._sc = b;
  js.src = b.s + "/static/" + __LAUNCHER_JS__;
  js.async = true;
  (d.head || d.documentElement).appendChild(js);
}

main();
