import type { ChatMessage } from "./protocol";

/**
 * RFC 4122 version 4 UUID. crypto.randomUUID() exists only in secure contexts
 * (and Safari >= 15.4), so build it from getRandomValues, which is always there.
 */
export function uuid4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Web storage that never throws: in a third-party iframe, merely touching
 * window.localStorage can throw (blocked cookies, Safari ITP, sandboxing).
 */
export function safeStorage(kind: "localStorage" | "sessionStorage"): Storage | null {
  try {
    const s = window[kind];
    const probe = "sitechat:probe";
    s.setItem(probe, "1");
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

/** The part of the Storage interface the widget uses (so a stand-in can provide it). */
export type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem" | "key" | "length">;

export function readJSON<T>(s: KeyValueStore | null, key: string): T | null {
  if (!s) return null;
  try {
    const raw = s.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function writeJSON(s: KeyValueStore | null, key: string, value: unknown): void {
  if (!s) return;
  try {
    s.setItem(key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage revoked: persistence is best effort.
  }
}

/**
 * Server timestamps carry microseconds ("...00.000000Z"); some engines (older
 * Safari) reject more than three fractional digits, so trim before parsing.
 */
export function parseTime(iso: string): Date {
  return new Date(iso.replace(/(\.\d{3})\d+/, "$1"));
}

const formats = new Map<string, [Intl.DateTimeFormat, Intl.DateTimeFormat]>();

function formatsFor(locale?: string): [Intl.DateTimeFormat, Intl.DateTimeFormat] {
  const key = locale ?? "";
  let f = formats.get(key);
  if (!f) {
    let tag: string | undefined = locale;
    try {
      new Intl.DateTimeFormat(tag);
    } catch {
      tag = undefined; // Not a locale Intl knows: the browser's own.
    }
    f = [
      new Intl.DateTimeFormat(tag, { hour: "2-digit", minute: "2-digit" }),
      new Intl.DateTimeFormat(tag, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }),
    ];
    formats.set(key, f);
  }
  return f;
}

/**
 * "14:05" for today, "Nov 24, 14:05" otherwise (in `locale`, default the
 * browser's); "" for an unparseable stamp.
 */
export function formatTime(iso: string, locale?: string): string {
  const d = parseTime(iso);
  if (isNaN(d.getTime())) return "";
  const [time, dateTime] = formatsFor(locale);
  return (d.toDateString() === new Date().toDateString() ? time : dateTime).format(d);
}

/**
 * Merge messages into a list kept sorted by seq, one entry per seq (the newer
 * copy wins: a server frame replaces the optimistic copy made from an ack).
 * Always returns a new array (or `list` itself when `incoming` is empty).
 */
export function mergeMessages(list: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return list;
  const last = list[list.length - 1];
  // Fast path: live traffic nearly always appends one message past the end.
  if (incoming.length === 1 && (!last || incoming[0]!.seq > last.seq)) {
    return [...list, incoming[0]!];
  }
  const bySeq = new Map<number, ChatMessage>();
  for (const m of list) bySeq.set(m.seq, m);
  for (const m of incoming) bySeq.set(m.seq, m);
  return Array.from(bySeq.values()).sort((a, b) => a.seq - b.seq);
}

export function maxSeq(list: ChatMessage[]): number {
  return list.length ? list[list.length - 1]!.seq : 0;
}
