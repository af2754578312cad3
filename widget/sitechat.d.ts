// Type declarations for the sitechat widget's public API: the global
// `WebsiteChat` installed by /widget/loader.js (docs/widget.md).
//
// Use it in a TypeScript site with `/// <reference path="sitechat.d.ts" />`
// (or list the file in tsconfig.json "files"). Calls made before the loader has
// arrived go through the queue instead: `websiteChat.push(["open"])`, or the
// callable stub shown in docs/widget.md.

declare namespace WebsiteChat {
  /** Visitor details (camelCase here; sent to the server as snake_case). */
  interface Identity {
    email?: string;
    name?: string;
    phone?: string;
    company?: string;
    /** Merged key by key into what is already stored; `null` deletes a key. */
    customData?: Record<string, string | number | boolean | null>;
    /** Your own id for the logged-in user; counts only with a valid `userHash`. */
    userId?: string;
    /**
     * Hex HMAC-SHA256 of `userId`, keyed with the website's identity secret and computed
     * on your server (docs/identification.md). With it the visitor is verified and sees
     * their conversations on any device.
     */
    userHash?: string;
  }

  interface ReadyInfo {
    /** The visitor's id on the sitechat server. */
    visitorId: string;
  }

  /** A new agent (or system) message, as the `message` event reports it. */
  interface Message {
    conversationId: string;
    body: string;
    sender: { kind: "agent" | "system" | "visitor"; name: string | null };
    /** ISO 8601 */
    createdAt: string;
  }

  interface EventMap {
    /** The config arrived and the launcher is on the page (fires at once if that already happened). */
    ready: ReadyInfo;
    /** The panel was opened. */
    open: undefined;
    /** The panel was closed. */
    close: undefined;
    /** A new message from an agent arrived (not history). */
    message: Message;
    /** The number of agent messages the visitor has not read changed. */
    "unread-count": number;
    /**
     * Desktop only: the cursor left the page through the top of the window (towards the
     * tabs or the address bar). At most once per page view; fires whether or not the page
     * is tracked.
     */
    "exit-intent": undefined;
  }

  type EventName = keyof EventMap;
  type Handler<E extends EventName> = (payload: EventMap[E]) => void;

  /** Event properties for `track`: at most 30 keys; strings of at most 500 characters. */
  type TrackData = Record<string, string | number | boolean | null>;

  interface Api {
    /** Callable form: `WebsiteChat("open")`, `WebsiteChat("identify", {...})`. */
    (command: "identify", identity: Identity): void;
    (command: "open" | "close" | "toggle" | "show" | "hide" | "reset"): void;
    <E extends EventName>(command: "on" | "off", event: E, handler: Handler<E>): void;
    (command: "track", event: string, data?: TrackData): void;
    (command: "setLocale", code: string): void;
    (command: "consent", granted: boolean): void;

    /** Tell sitechat who the visitor is (e.g. after login). */
    identify(identity: Identity): void;
    /** Open the chat panel. */
    open(): void;
    /** Close the chat panel. */
    close(): void;
    /** Open the panel if closed, close it if open. */
    toggle(): void;
    /** Show the launcher button (shown by default). */
    show(): void;
    /** Hide the launcher button (and the greeting); `open()` still opens the panel. */
    hide(): void;
    /** Listen to a widget event. */
    on<E extends EventName>(event: E, handler: Handler<E>): void;
    /** Stop listening (the same function that was given to `on`). */
    off<E extends EventName>(event: E, handler: Handler<E>): void;
    /** Record a custom event for this visitor (name: 1-80 of letters, digits, space, _.:/-). */
    track(event: string, data?: TrackData): void;
    /** Switch the widget's language, e.g. "fr" or "de-AT". */
    setLocale(code: string): void;
    /** Forget this visitor (e.g. on logout): a new, anonymous visitor starts. */
    reset(): void;
    /** Grant or withdraw consent to store the visitor key on this device and to track page views. */
    consent(granted: boolean): void;
  }
}

declare var WebsiteChat: WebsiteChat.Api;

interface Window {
  WebsiteChat: WebsiteChat.Api;
  /** The install snippet's command queue (its name is the snippet's `l` argument). */
  websiteChat?: unknown[];
}
