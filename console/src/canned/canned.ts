// Canned responses (saved replies): loading them per website, matching what the agent
// typed after "/", and filling in {{variables}} when one is inserted.

import { api, query } from "../api";

export interface Canned {
  id: string;
  scope: "personal" | "shared";
  website_id: string | null;
  shortcut: string;
  title: string;
  body: string;
  editable: boolean;
  created_at: string;
  updated_at: string;
}

export interface CannedList {
  items: Canned[];
  variables: string[];
}

/** What a reply's {{variables}} are filled from. */
export interface CannedContext {
  visitor: { name: string | null; email: string | null };
  agent: { name: string };
  website: { name: string };
}

const cache = new Map<string, Promise<Canned[]>>();

/** The replies usable on a website (cached; `forget` after a change). */
export function cannedFor(websiteId: string): Promise<Canned[]> {
  let p = cache.get(websiteId);
  if (!p) {
    p = api<CannedList>("GET", `/api/v1/canned-responses${query({ website_id: websiteId })}`).then(
      (r) => r.items,
    );
    p.catch(() => cache.delete(websiteId));
    cache.set(websiteId, p);
  }
  return p;
}

export function forgetCanned(): void {
  cache.clear();
}

/** Best first: shortcut prefix, then shortcut or title containing the words. */
export function matchCanned(items: readonly Canned[], typed: string, limit = 8): Canned[] {
  const q = typed.trim().toLowerCase();
  if (!q) return items.slice(0, limit);
  const scored: Array<[number, Canned]> = [];
  for (const c of items) {
    const title = c.title.toLowerCase();
    let score = -1;
    if (c.shortcut.startsWith(q)) score = 0;
    else if (c.shortcut.includes(q)) score = 1;
    else if (q.split(/\s+/).every((w) => title.includes(w) || c.body.toLowerCase().includes(w))) score = 2;
    if (score >= 0) scored.push([score, c]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].shortcut.localeCompare(b[1].shortcut));
  return scored.slice(0, limit).map(([, c]) => c);
}

function firstName(name: string | null): string | null {
  const first = (name ?? "").trim().split(/\s+/)[0] ?? "";
  return first || null;
}

/** The body with its variables filled in. A visitor without a name is "there" ("Hi
 * there"), without an email nothing. The result is plain text: it goes into the
 * composer, never into HTML. */
export function renderCanned(body: string, ctx: CannedContext): string {
  const values: Record<string, string> = {
    "visitor.name": ctx.visitor.name?.trim() || "there",
    "visitor.first_name": firstName(ctx.visitor.name) ?? "there",
    "visitor.email": ctx.visitor.email ?? "",
    "agent.name": ctx.agent.name,
    "agent.first_name": firstName(ctx.agent.name) ?? ctx.agent.name,
    "website.name": ctx.website.name,
  };
  return body.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (all, name: string) => values[name] ?? all);
}

/** "/ref" typed at the start of an otherwise empty composer: the search text, else null. */
export function slashQuery(text: string): string | null {
  const m = /^\/([^\s/]*)$/.exec(text);
  return m ? (m[1] ?? "") : null;
}

let websites: Promise<Map<string, string>> | null = null;

/** Website names by id, for {{website.name}}. */
export function websiteNames(): Promise<Map<string, string>> {
  if (!websites) {
    websites = api<Array<{ id: string; name: string }>>("GET", "/api/v1/websites").then(
      (ws) => new Map(ws.map((w) => [w.id, w.name])),
    );
    websites.catch(() => (websites = null));
  }
  return websites;
}
