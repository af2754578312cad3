// The panel's locale tables and how one is chosen: `setLocale(code)` on the
// host page wins, then the browser's preferred languages, then English.

import { de } from "./de";
import { en, type Strings } from "./en";
import { es } from "./es";
import { fr } from "./fr";

export type { Strings };
export type StringKey = keyof Strings;

const TABLES: Record<string, Strings> = { en, fr, de, es };

export interface Locale {
  /** The table's language ("fr"). */
  lang: string;
  /** The tag to format dates with ("fr-CA" if that was asked for). */
  tag: string;
  /** The string for `key`, with `{name}` placeholders filled from `params`. */
  t(key: StringKey, params?: Record<string, string>): string;
}

function make(lang: string, tag: string): Locale {
  const table = TABLES[lang]!;
  return {
    lang,
    tag,
    t: (key, params) => table[key].replace(/\{(\w+)\}/g, (m, p: string) => params?.[p] ?? m),
  };
}

/** The first of `wanted` (language tags, best first) that we have a table for; else English. */
export function pickLocale(wanted: ReadonlyArray<string | null | undefined>): Locale {
  for (const tag of wanted) {
    if (typeof tag !== "string" || !tag) continue;
    const lang = tag.toLowerCase().split(/[-_]/)[0]!;
    if (TABLES.hasOwnProperty(lang)) return make(lang, tag.replace("_", "-"));
  }
  return make("en", "en");
}
