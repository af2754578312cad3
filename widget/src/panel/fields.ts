// The pre-chat and offline forms' fields, and their client-side validation
// (the same rules the server applies, so a typo is caught while the visitor
// can still fix it).

import type { Locale, StringKey } from "../locales";
import type { CustomValue, VisitorProfile } from "../shared/protocol";
import type { WebsiteInfo } from "./bridge";

export interface FieldSpec {
  /** "name", "email", "phone" or "custom_data.<key>" (the server's field names). */
  key: string;
  /** A built-in field's label is a string key; a custom field brings its own label. */
  label: string;
  type: "text" | "email" | "tel" | "number" | "select" | "checkbox";
  required: boolean;
  options?: string[];
}

export type FormValues = Record<string, string | boolean>;

const BUILT_IN = [
  ["name", "text"],
  ["email", "email"],
  ["phone", "tel"],
] as const;

const CUSTOM = "custom_data.";

/** The pre-chat form's fields, per the website's settings (none when it is off). */
export function prechatFields(website: WebsiteInfo | null, locale: Locale): FieldSpec[] {
  const p = website?.prechat;
  if (!p?.enabled) return [];
  const out: FieldSpec[] = [];
  for (const [key, type] of BUILT_IN) {
    const mode = p.fields?.[key] ?? "off";
    if (mode !== "off") out.push({ key, label: locale.t(key), type, required: mode === "required" });
  }
  for (const f of p.custom_fields ?? []) {
    out.push({ key: CUSTOM + f.key, label: f.label, type: f.type, required: f.required, options: f.options });
  }
  return out;
}

/** The offline form: an email to reply to, and a name if they like. */
export function offlineFields(locale: Locale): FieldSpec[] {
  return [
    { key: "email", label: locale.t("email"), type: "email", required: true },
    { key: "name", label: locale.t("name"), type: "text", required: false },
  ];
}

type FieldElement = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** The form's field named `key` (a field's name is its key). */
export function fieldOf(form: HTMLFormElement, key: string): FieldElement | null {
  const el = form.elements.namedItem(key);
  return el && "value" in el && !(el instanceof RadioNodeList) ? (el as FieldElement) : null;
}

/** What the form's fields show now, however it got there (typed, autofilled, pre-filled). */
export function readForm(form: HTMLFormElement, specs: FieldSpec[]): FormValues {
  const out: FormValues = {};
  for (const spec of specs) {
    const el = fieldOf(form, spec.key);
    if (el) out[spec.key] = spec.type === "checkbox" ? (el as HTMLInputElement).checked : el.value;
  }
  return out;
}

/** What the profile already says for a field, as a form value. */
export function knownValue(profile: VisitorProfile, key: string): string | boolean {
  const v: CustomValue | undefined = key.startsWith(CUSTOM)
    ? profile.custom_data?.[key.slice(CUSTOM.length)]
    : profile[key as "name" | "email" | "phone"];
  return typeof v === "boolean" ? v : v == null ? "" : String(v);
}

export function isKnown(profile: VisitorProfile, key: string): boolean {
  const v = knownValue(profile, key);
  return v !== "" && v !== false;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;
const PHONE = /^\+?[0-9 ()./-]{3,50}$/;

export function validEmail(v: string): boolean {
  return EMAIL.test(v.trim()) && v.trim().length <= 320;
}

/** The error message key for a field's value, or null when it is fine. */
export function check(spec: FieldSpec, value: string | boolean | undefined): StringKey | null {
  if (spec.type === "checkbox") return spec.required && value !== true ? "required" : null;
  const v = typeof value === "string" ? value.trim() : "";
  if (!v) return spec.required ? "required" : null;
  if (spec.type === "email" && !validEmail(v)) return "badEmail";
  if (spec.type === "tel" && (!PHONE.test(v) || v.replace(/\D/g, "").length < 3)) return "badPhone";
  if (spec.type === "number" && !isFinite(Number(v))) return "badNumber";
  return null;
}

/** The `profile.update` fields for what the visitor filled in (blank fields are left out). */
export function profileFrom(specs: FieldSpec[], values: FormValues): VisitorProfile {
  const out: VisitorProfile = {};
  const custom: Record<string, CustomValue> = {};
  for (const spec of specs) {
    const raw = values[spec.key];
    if (spec.key.startsWith(CUSTOM)) {
      const key = spec.key.slice(CUSTOM.length);
      if (spec.type === "checkbox") custom[key] = raw === true;
      else if (typeof raw === "string" && raw.trim()) {
        custom[key] = spec.type === "number" ? Number(raw.trim()) : raw.trim();
      }
    } else if (typeof raw === "string" && raw.trim()) {
      out[spec.key as "name" | "email" | "phone"] = raw.trim();
    }
  }
  if (Object.keys(custom).length) out.custom_data = custom;
  return out;
}

/** `update` applied to `profile` (custom_data merges key by key). */
export function mergeProfile(profile: VisitorProfile, update: VisitorProfile): VisitorProfile {
  const merged: VisitorProfile = { ...profile, ...update };
  if (update.custom_data) merged.custom_data = { ...profile.custom_data, ...update.custom_data };
  return merged;
}
