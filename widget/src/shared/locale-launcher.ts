// The launcher's few strings (host page side). The panel has its own, larger
// table in widget/src/locales/. Picked from `WebsiteChat.setLocale(code)`, else
// from navigator.language; English when the language is not in the table.

export interface LauncherStrings {
  /** launcher button, panel closed */
  open: string;
  /** launcher button, panel open */
  close: string;
  /** appended to the button's label: [one, other] with {n} */
  unread: [string, string];
  /** the greeting bubble's dismiss button */
  dismiss: string;
  /** the panel iframe's title */
  chat: string;
}

const TABLE: Record<string, LauncherStrings> = {
  en: {
    open: "Open chat",
    close: "Close chat",
    unread: ["{n} unread message", "{n} unread messages"],
    dismiss: "Dismiss",
    chat: "Chat",
  },
  fr: {
    open: "Ouvrir le chat",
    close: "Fermer le chat",
    unread: ["{n} message non lu", "{n} messages non lus"],
    dismiss: "Fermer",
    chat: "Chat",
  },
  de: {
    open: "Chat öffnen",
    close: "Chat schließen",
    unread: ["{n} ungelesene Nachricht", "{n} ungelesene Nachrichten"],
    dismiss: "Schließen",
    chat: "Chat",
  },
  es: {
    open: "Abrir el chat",
    close: "Cerrar el chat",
    unread: ["{n} mensaje sin leer", "{n} mensajes sin leer"],
    dismiss: "Cerrar",
    chat: "Chat",
  },
};

/** Strings for a BCP 47 code ("fr-CA" -> fr), English when unknown. */
export function launcherStrings(code: string | null | undefined): LauncherStrings {
  const lang = (code || "").toLowerCase().split("-")[0] || "";
  return TABLE[lang] || TABLE.en!;
}

/** "Open chat, 2 unread messages" */
export function unreadLabel(s: LauncherStrings, n: number): string {
  return (s.unread[n == 1 ? 0 : 1] || "").replace("{n}", "" + n);
}
