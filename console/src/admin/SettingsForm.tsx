// A website's widget settings (GET/POST /api/v1/websites/{id}/settings): one form
// for every section, a live preview of the draft, and the server's verdict.
//
// Saving sends each changed section whole. The server validates everything and
// applies nothing when any field is wrong; its 422 names each bad field
// ("appearance.color", "prechat.custom_fields.0.key") and the message goes
// next to that field, plus a summary at the top that links to each.

import type { ComponentChildren } from "preact";
import { useMemo, useRef, useState } from "preact/hooks";
import {
  type BusinessHours,
  CUSTOM_FIELD_TYPES,
  type CustomField,
  type CustomFieldType,
  FIELD_MODES,
  type FieldMode,
  NOTIFICATION_SOUNDS,
  type NotificationSound,
  type Notifications,
  ROUTING_MODES,
  type Routing,
  type RoutingMode,
  type RoutingRule,
  type RuleMatch,
  type SettingsSection,
  WEEKDAYS,
  type WebsiteSettings,
  errorText,
  fieldErrors,
  websites,
} from "./api";
import { WidgetPreview, previewColor } from "./Preview";
import { Check, type Errors, Field, FieldMessage, FormError, LoadState, Status, describe, fieldId, toErrors, useLoad } from "./ui";

const PREFIX = "set";
const id = (path: string): string => fieldId(PREFIX, path);

const SECTION_LABELS: Record<string, string> = {
  appearance: "Appearance",
  behavior: "Behaviour",
  prechat: "Pre-chat form",
  business_hours: "Business hours",
  offline: "Offline message",
  notifications: "Notification defaults",
  routing: "Routing",
};

const cap = (s: string): string => s[0]!.toUpperCase() + s.slice(1);
const humanize = (key: string): string => cap(key.replace(/_/g, " "));

export function SettingsEditor({ websiteId, websiteName }: { websiteId: string; websiteName: string }) {
  const [loaded, reload] = useLoad(() => websites.settings(websiteId), [websiteId]);
  if (loaded.state !== "ready") return <LoadState loaded={loaded} what="the settings" onRetry={reload} />;
  return <SettingsForm initial={loaded.data} websiteId={websiteId} websiteName={websiteName} />;
}

type Draft = WebsiteSettings & Record<string, unknown>;

function SettingsForm({
  initial,
  websiteId,
  websiteName,
}: {
  initial: WebsiteSettings;
  websiteId: string;
  websiteName: string;
}) {
  const [saved, setSaved] = useState<Draft>(initial as Draft);
  const [draft, setDraft] = useState<Draft>(initial as Draft);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);

  const sections = Object.keys(draft);
  const changed = sections.filter((s) => JSON.stringify(draft[s]) !== JSON.stringify(saved[s]));

  function update<K extends SettingsSection>(section: K, patch: Partial<NonNullable<WebsiteSettings[K]>>): void {
    setStatus("");
    setDraft((d) => ({ ...d, [section]: { ...(d[section] as object), ...patch } }));
  }
  const setSection = (section: string, value: unknown) => {
    setStatus("");
    setDraft((d) => ({ ...d, [section]: value }));
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!changed.length) {
      setStatus("No changes to save.");
      return;
    }
    const patch: Record<string, unknown> = {};
    for (const s of changed) patch[s] = draft[s];
    setBusy(true);
    setFormError("");
    setStatus("");
    try {
      const result = (await websites.saveSettings(websiteId, patch as Partial<WebsiteSettings>)) as Draft;
      setSaved(result);
      setDraft(result);
      setErrors({});
      setStatus("Settings saved.");
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(toErrors(fields));
      setFormError(fields.length ? "" : errorText(err));
      // The summary names every bad field; move there so it is read first.
      window.setTimeout(() => summaryRef.current?.focus(), 0);
    } finally {
      setBusy(false);
    }
  };

  const discard = () => {
    setDraft(saved);
    setErrors({});
    setFormError("");
    setStatus("Changes discarded.");
  };

  const err = (path: string): string | undefined => errors[path];
  const errorList = Object.entries(errors);

  return (
    <div class="cc-settings">
      <form class="cc-settings-form" onSubmit={(e) => void save(e)} noValidate aria-label="Widget settings">
        {errorList.length > 0 && (
          <div
            class="cc-error-summary"
            role="alert"
            tabIndex={-1}
            ref={summaryRef}
            data-testid="settings-errors"
            aria-labelledby="cc-settings-errors-title"
          >
            <p id="cc-settings-errors-title">
              Nothing was saved: {errorList.length === 1 ? "1 field needs" : `${errorList.length} fields need`}{" "}
              attention.
            </p>
            <ul>
              {errorList.map(([path, message]) => (
                <li key={path}>
                  <button type="button" class="cc-link" onClick={() => focusField(path)}>
                    {labelOf(path)}
                  </button>
                  : {message}
                </li>
              ))}
            </ul>
          </div>
        )}
        <FormError error={formError} />

        <Section name="appearance" error={err("appearance")}>
          <AppearanceFields draft={draft} err={err} update={(p) => update("appearance", p)} />
        </Section>
        <Section name="behavior" error={err("behavior")}>
          <BehaviorFields draft={draft} err={err} update={(p) => update("behavior", p)} />
        </Section>
        <Section name="prechat" error={err("prechat")}>
          <PrechatFields draft={draft} err={err} update={(p) => update("prechat", p)} />
        </Section>
        <Section name="business_hours" error={err("business_hours")}>
          <HoursFields draft={draft} err={err} update={(p) => update("business_hours", p)} />
        </Section>
        <Section name="offline" error={err("offline")}>
          <OfflineFields draft={draft} err={err} update={(p) => update("offline", p)} />
        </Section>
        {draft.notifications && (
          <Section name="notifications" error={err("notifications")}>
            <NotificationFields
              notifications={draft.notifications}
              err={err}
              update={(p) => update("notifications", p)}
            />
          </Section>
        )}
        {draft.routing && (
          <Section name="routing" error={err("routing")}>
            <RoutingFields routing={draft.routing} err={err} update={(p) => update("routing", p)} />
          </Section>
        )}
        {sections
          .filter((s) => !KNOWN.has(s) && isObject(draft[s]))
          .map((s) => (
            <Section key={s} name={s} error={err(s)}>
              <GenericFields
                path={s}
                value={draft[s] as Record<string, unknown>}
                err={err}
                onChange={(v) => setSection(s, v)}
              />
            </Section>
          ))}

        <div class="cc-settings-bar">
          <button type="submit" class="cc-button cc-button-primary" data-testid="settings-save" disabled={busy}>
            {busy ? "Saving…" : "Save settings"}
          </button>
          <button type="button" class="cc-button" onClick={discard} disabled={busy || !changed.length}>
            Discard changes
          </button>
          {changed.length > 0 && !status && (
            <span class="cc-muted" data-testid="settings-dirty">
              Unsaved changes: {changed.map((s) => SECTION_LABELS[s] ?? humanize(s)).join(", ")}
            </span>
          )}
          <Status text={status} />
        </div>
      </form>
      <aside class="cc-settings-preview" aria-label="Preview">
        <WidgetPreview settings={draft} websiteName={websiteName} />
      </aside>
    </div>
  );
}

/** Sections this form draws with its own fields; any other goes to GenericFields. */
const KNOWN = new Set(["appearance", "behavior", "prechat", "business_hours", "offline", "notifications", "routing"]);

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** "prechat.custom_fields.0.key" -> "Pre-chat form › custom fields › 1 › key". */
function labelOf(path: string): string {
  const parts = path.split(".");
  const head = SECTION_LABELS[parts[0]!] ?? parts[0]!;
  return [head, ...parts.slice(1).map((p) => (/^\d+$/.test(p) ? `#${Number(p) + 1}` : p.replace(/_/g, " ")))].join(
    " › ",
  );
}

/** Focus the control of a path, or of the nearest enclosing path that has one. */
function focusField(path: string): void {
  const parts = path.split(".");
  while (parts.length) {
    const el = document.getElementById(id(parts.join(".")));
    if (el) {
      el.focus();
      el.scrollIntoView({ block: "center" });
      return;
    }
    parts.pop();
  }
}

function Section({ name, error, children }: { name: string; error?: string | undefined; children: ComponentChildren }) {
  const sid = id(name);
  return (
    <fieldset class="cc-settings-section" data-testid={`section-${name}`}>
      <legend id={sid} tabIndex={-1}>
        {SECTION_LABELS[name] ?? humanize(name)}
      </legend>
      <FieldMessage id={sid} error={error} alert={false} />
      {children}
    </fieldset>
  );
}

type Err = (path: string) => string | undefined;

interface SectionProps<K extends SettingsSection> {
  draft: WebsiteSettings;
  err: Err;
  update: (patch: Partial<NonNullable<WebsiteSettings[K]>>) => void;
}

// ---- appearance -----------------------------------------------------------------

function AppearanceFields({ draft, err, update }: SectionProps<"appearance">) {
  const a = draft.appearance;
  const p = (k: string) => `appearance.${k}`;
  return (
    <>
      <Field id={id(p("color"))} label="Colour" error={err(p("color"))} hint="A hex colour, e.g. #0F766E." alert={false}>
        <div class="cc-color-row">
          <input
            type="text"
            {...describe(id(p("color")), err(p("color")), true)}
            data-testid="settings-color"
            value={a.color}
            spellcheck={false}
            autocomplete="off"
            onInput={(e) => update({ color: e.currentTarget.value })}
          />
          <input
            type="color"
            aria-label="Pick the colour"
            value={previewColor(a.color).toLowerCase()}
            onInput={(e) => update({ color: e.currentTarget.value.toUpperCase() })}
          />
        </div>
      </Field>
      <Field id={id(p("position"))} label="Launcher position" error={err(p("position"))} alert={false}>
        <select
          {...describe(id(p("position")), err(p("position")))}
          value={a.position}
          onChange={(e) => update({ position: e.currentTarget.value as "left" | "right" })}
        >
          <option value="right">Bottom right</option>
          <option value="left">Bottom left</option>
        </select>
      </Field>
      <Field
        id={id(p("logo_url"))}
        label="Logo URL"
        error={err(p("logo_url"))}
        hint="An https:// image, shown in the panel header and the greeting. Empty: no logo."
        alert={false}
      >
        <input
          type="url"
          {...describe(id(p("logo_url")), err(p("logo_url")), true)}
          value={a.logo_url ?? ""}
          placeholder="https://example.com/logo.png"
          onInput={(e) => update({ logo_url: e.currentTarget.value.trim() || null })}
        />
      </Field>
      <Field
        id={id(p("title"))}
        label="Panel title"
        error={err(p("title"))}
        hint="Empty: the website's name."
        alert={false}
      >
        <input
          type="text"
          {...describe(id(p("title")), err(p("title")), true)}
          value={a.title}
          maxLength={200}
          onInput={(e) => update({ title: e.currentTarget.value })}
        />
      </Field>
      <Field
        id={id(p("welcome"))}
        label="Welcome text"
        error={err(p("welcome"))}
        hint="The first message in the panel, and the greeting bubble's text."
        alert={false}
      >
        <textarea
          {...describe(id(p("welcome")), err(p("welcome")), true)}
          data-testid="settings-welcome"
          rows={2}
          value={a.welcome}
          onInput={(e) => update({ welcome: e.currentTarget.value })}
        />
      </Field>
    </>
  );
}

// ---- behaviour ------------------------------------------------------------------

const BEHAVIOR_CHECKS: Array<[keyof WebsiteSettings["behavior"], string, string?]> = [
  ["show_agent_photos", "Show agents' photos to visitors"],
  ["ask_email_in_chat", "Ask for the visitor's email in the chat when it is not known"],
  ["require_verification", "Accept only verified identities", "identify calls must carry user_id and user_hash."],
  ["require_consent", "Wait for the visitor's consent", "Nothing is stored or tracked until the page calls consent(true)."],
  ["honor_gpc", "Honour Global Privacy Control", "Visitors whose browser sends GPC are not tracked."],
];

function BehaviorFields({ draft, err, update }: SectionProps<"behavior">) {
  const b = draft.behavior;
  const p = (k: string) => `behavior.${k}`;
  return (
    <>
      {BEHAVIOR_CHECKS.slice(0, 2).map(([k, label, hint]) => (
        <Check
          key={k}
          id={id(p(k))}
          label={label}
          hint={hint}
          error={err(p(k))}
          checked={!!b[k]}
          onChange={(v) => update({ [k]: v })}
        />
      ))}
      <Check
        id={id(p("auto_greet"))}
        label="Greet visitors automatically with the welcome text"
        error={err(p("auto_greet"))}
        checked={b.auto_greet}
        onChange={(v) => update({ auto_greet: v })}
      />
      <Field
        id={id(p("greet_delay_ms"))}
        label="Greeting delay (milliseconds)"
        error={err(p("greet_delay_ms"))}
        hint="0 to 600000 (10 minutes)."
        alert={false}
      >
        <input
          type="number"
          {...describe(id(p("greet_delay_ms")), err(p("greet_delay_ms")), true)}
          data-testid="settings-greet-delay"
          value={Number.isFinite(b.greet_delay_ms) ? b.greet_delay_ms : ""}
          step={500}
          onInput={(e) => update({ greet_delay_ms: e.currentTarget.valueAsNumber })}
        />
      </Field>
      {BEHAVIOR_CHECKS.slice(2).map(([k, label, hint]) => (
        <Check
          key={k}
          id={id(p(k))}
          label={label}
          hint={hint}
          error={err(p(k))}
          checked={!!b[k]}
          onChange={(v) => update({ [k]: v })}
        />
      ))}
    </>
  );
}

// ---- pre-chat ---------------------------------------------------------------------

function PrechatFields({ draft, err, update }: SectionProps<"prechat">) {
  const pc = draft.prechat;
  const p = (k: string) => `prechat.${k}`;
  const setCustom = (i: number, patch: Partial<CustomField>) =>
    update({ custom_fields: pc.custom_fields.map((f, j) => (j === i ? { ...f, ...patch } : f)) });
  return (
    <>
      <Check
        id={id(p("enabled"))}
        label="Ask these questions before a conversation starts"
        error={err(p("enabled"))}
        checked={pc.enabled}
        onChange={(v) => update({ enabled: v })}
      />
      <div class="cc-field-grid">
        {(["name", "email", "phone"] as const).map((k) => (
          <Field key={k} id={id(p(`fields.${k}`))} label={cap(k)} error={err(p(`fields.${k}`))} alert={false}>
            <select
              {...describe(id(p(`fields.${k}`)), err(p(`fields.${k}`)))}
              value={pc.fields[k]}
              onChange={(e) => update({ fields: { ...pc.fields, [k]: e.currentTarget.value as FieldMode } })}
            >
              {FIELD_MODES.map((m) => (
                <option value={m}>{cap(m)}</option>
              ))}
            </select>
          </Field>
        ))}
      </div>
      <h3 class="cc-subhead" id={id(p("custom_fields"))} tabIndex={-1}>
        Custom fields
      </h3>
      <FieldMessage id={id(p("custom_fields"))} error={err(p("custom_fields"))} alert={false} />
      {pc.custom_fields.length === 0 && <p class="cc-muted">None.</p>}
      <ol class="cc-custom-fields">
        {pc.custom_fields.map((f, i) => {
          const fp = (k?: string) => p(`custom_fields.${i}${k ? `.${k}` : ""}`);
          return (
            <li key={i} class="cc-custom-field" data-testid="custom-field">
              <fieldset>
                <legend id={id(fp())} tabIndex={-1}>
                  Custom field {i + 1}
                  {f.label ? `: ${f.label}` : ""}
                </legend>
                <FieldMessage id={id(fp())} error={err(fp())} alert={false} />
                <div class="cc-field-grid">
                  <Field
                    id={id(fp("key"))}
                    label="Key"
                    error={err(fp("key"))}
                    hint="a-z, 0-9 and _, starting with a letter."
                    alert={false}
                  >
                    <input
                      type="text"
                      {...describe(id(fp("key")), err(fp("key")), true)}
                      value={f.key}
                      spellcheck={false}
                      onInput={(e) => setCustom(i, { key: e.currentTarget.value })}
                    />
                  </Field>
                  <Field id={id(fp("label"))} label="Label" error={err(fp("label"))} alert={false}>
                    <input
                      type="text"
                      {...describe(id(fp("label")), err(fp("label")))}
                      value={f.label}
                      onInput={(e) => setCustom(i, { label: e.currentTarget.value })}
                    />
                  </Field>
                  <Field id={id(fp("type"))} label="Type" error={err(fp("type"))} alert={false}>
                    <select
                      {...describe(id(fp("type")), err(fp("type")))}
                      value={f.type}
                      onChange={(e) => {
                        const type = e.currentTarget.value as CustomFieldType;
                        // Only a select has options: the server refuses them on any other type.
                        setCustom(i, { type, options: type === "select" ? f.options : [] });
                      }}
                    >
                      {CUSTOM_FIELD_TYPES.map((t) => (
                        <option value={t}>{cap(t)}</option>
                      ))}
                    </select>
                  </Field>
                  <Field id={id(fp("required"))} label="Answer" error={err(fp("required"))} alert={false}>
                    <select
                      {...describe(id(fp("required")), err(fp("required")))}
                      value={f.required ? "required" : "optional"}
                      onChange={(e) => setCustom(i, { required: e.currentTarget.value === "required" })}
                    >
                      <option value="optional">Optional</option>
                      <option value="required">Required</option>
                    </select>
                  </Field>
                </div>
                {f.type === "select" && (
                  <Field
                    id={id(fp("options"))}
                    label="Options"
                    error={err(fp("options")) ?? firstUnder(err, fp("options"), f.options.length)}
                    hint="One per line."
                    alert={false}
                  >
                    <textarea
                      {...describe(id(fp("options")), err(fp("options")), true)}
                      rows={3}
                      value={f.options.join("\n")}
                      onInput={(e) =>
                        setCustom(i, {
                          options: e.currentTarget.value
                            .split("\n")
                            .map((o) => o.trim())
                            .filter(Boolean),
                        })
                      }
                    />
                  </Field>
                )}
                <button
                  type="button"
                  class="cc-button"
                  onClick={() => update({ custom_fields: pc.custom_fields.filter((_, j) => j !== i) })}
                >
                  Remove custom field {i + 1}
                </button>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        class="cc-button"
        disabled={pc.custom_fields.length >= 10}
        onClick={() =>
          update({
            custom_fields: [...pc.custom_fields, { key: "", label: "", type: "text", required: false, options: [] }],
          })
        }
      >
        Add a custom field
      </button>
    </>
  );
}

/** The first error on a list's items ("x.options.2"), for a control editing the whole list. */
function firstUnder(err: Err, path: string, n: number): string | undefined {
  for (let i = 0; i < n; i++) {
    const e = err(`${path}.${i}`);
    if (e) return `Option ${i + 1}: ${e}`;
  }
  return undefined;
}

// ---- business hours -------------------------------------------------------------------

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

function HoursFields({ draft, err, update }: SectionProps<"business_hours">) {
  const bh = draft.business_hours;
  const p = (k: string) => `business_hours.${k}`;
  const zones = useMemo(timeZones, []);
  const setDay = (day: (typeof WEEKDAYS)[number], value: BusinessHours["schedule"][typeof day]) =>
    update({ schedule: { ...bh.schedule, [day]: value } });
  return (
    <>
      <Check
        id={id(p("enabled"))}
        label="Use business hours (outside them visitors see the offline message)"
        error={err(p("enabled"))}
        checked={bh.enabled}
        onChange={(v) => update({ enabled: v })}
      />
      <Field
        id={id(p("timezone"))}
        label="Time zone"
        error={err(p("timezone"))}
        hint="An IANA time zone, e.g. Europe/Paris."
        alert={false}
      >
        <input
          type="text"
          {...describe(id(p("timezone")), err(p("timezone")), true)}
          data-testid="settings-timezone"
          list="cc-timezones"
          spellcheck={false}
          autocomplete="off"
          value={bh.timezone}
          onInput={(e) => update({ timezone: e.currentTarget.value.trim() })}
        />
        <datalist id="cc-timezones">
          {zones.map((z) => (
            <option value={z} />
          ))}
        </datalist>
      </Field>
      <table class="cc-hours" aria-labelledby={id(p("schedule"))}>
        <caption id={id(p("schedule"))} tabIndex={-1}>
          Weekly schedule (HH:MM, 24-hour clock; closing time 24:00 means midnight)
        </caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Open</th>
            <th scope="col">From</th>
            <th scope="col">Until</th>
          </tr>
        </thead>
        <tbody>
          {WEEKDAYS.map((day) => {
            const hours = bh.schedule[day] ?? null;
            const dp = p(`schedule.${day}`);
            const dayError = err(dp);
            return (
              <tr key={day} class={dayError ? "cc-field-invalid" : undefined}>
                <th scope="row">{cap(day)}</th>
                <td>
                  <input
                    type="checkbox"
                    {...describe(id(dp), dayError)}
                    aria-label={`Open on ${cap(day)}`}
                    checked={!!hours}
                    onChange={(e) => setDay(day, e.currentTarget.checked ? { open: "09:00", close: "17:00" } : null)}
                  />
                </td>
                <td>
                  {hours && (
                    <input
                      type="text"
                      class="cc-time"
                      {...describe(id(`${dp}.open`), err(`${dp}.open`))}
                      aria-label={`${cap(day)} opens at`}
                      inputMode="numeric"
                      placeholder="09:00"
                      value={hours.open}
                      onInput={(e) => setDay(day, { ...hours, open: e.currentTarget.value.trim() })}
                    />
                  )}
                  <FieldMessage id={id(`${dp}.open`)} error={err(`${dp}.open`)} alert={false} />
                </td>
                <td>
                  {hours && (
                    <input
                      type="text"
                      class="cc-time"
                      {...describe(id(`${dp}.close`), err(`${dp}.close`))}
                      aria-label={`${cap(day)} closes at`}
                      inputMode="numeric"
                      placeholder="17:00"
                      value={hours.close}
                      onInput={(e) => setDay(day, { ...hours, close: e.currentTarget.value.trim() })}
                    />
                  )}
                  <FieldMessage id={id(`${dp}.close`)} error={err(`${dp}.close`)} alert={false} />
                  <FieldMessage id={id(dp)} error={dayError} alert={false} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3 class="cc-subhead" id={id(p("holidays"))} tabIndex={-1}>
        Holidays (closed all day)
      </h3>
      <FieldMessage id={id(p("holidays"))} error={err(p("holidays"))} alert={false} />
      <ul class="cc-holidays">
        {bh.holidays.map((h, i) => {
          const hp = p(`holidays.${i}`);
          return (
            <li key={i}>
              <input
                type="date"
                {...describe(id(hp), err(hp))}
                aria-label={`Holiday ${i + 1}`}
                value={h}
                onInput={(e) => update({ holidays: bh.holidays.map((x, j) => (j === i ? e.currentTarget.value : x)) })}
              />
              <button
                type="button"
                class="cc-button"
                onClick={() => update({ holidays: bh.holidays.filter((_, j) => j !== i) })}
              >
                Remove<span class="cc-sr-only"> holiday {i + 1}</span>
              </button>
              <FieldMessage id={id(hp)} error={err(hp)} alert={false} />
            </li>
          );
        })}
      </ul>
      <button
        type="button"
        class="cc-button"
        onClick={() => update({ holidays: [...bh.holidays, new Date().toISOString().slice(0, 10)] })}
      >
        Add a holiday
      </button>
    </>
  );
}

// ---- offline ----------------------------------------------------------------------

function OfflineFields({ draft, err, update }: SectionProps<"offline">) {
  const o = draft.offline;
  const p = (k: string) => `offline.${k}`;
  return (
    <>
      <Field
        id={id(p("message"))}
        label="Offline message"
        error={err(p("message"))}
        hint="Shown outside business hours (and when nobody can answer, if routing says so)."
        alert={false}
      >
        <textarea
          {...describe(id(p("message")), err(p("message")), true)}
          rows={2}
          value={o.message}
          onInput={(e) => update({ message: e.currentTarget.value })}
        />
      </Field>
      <Check
        id={id(p("form_enabled"))}
        label="Let visitors leave a message when offline"
        error={err(p("form_enabled"))}
        checked={o.form_enabled}
        onChange={(v) => update({ form_enabled: v })}
      />
      {"email_to" in o && (
        <Field
          id={id(p("email_to"))}
          label="Email offline messages to"
          error={err(p("email_to"))}
          hint="Empty: offline messages are only kept in the console."
          alert={false}
        >
          <input
            type="email"
            {...describe(id(p("email_to")), err(p("email_to")), true)}
            data-testid="settings-email-to"
            value={o.email_to ?? ""}
            onInput={(e) => update({ email_to: e.currentTarget.value.trim() || null })}
          />
        </Field>
      )}
    </>
  );
}

// ---- notification defaults ----------------------------------------------------------

function NotificationFields({
  notifications: n,
  err,
  update,
}: {
  notifications: Notifications;
  err: Err;
  update: (patch: Partial<Notifications>) => void;
}) {
  const p = (k: string) => `notifications.${k}`;
  return (
    <>
      <p class="cc-muted">Defaults for the team; each agent can change their own.</p>
      <Field id={id(p("sound"))} label="Sound for new messages" error={err(p("sound"))} alert={false}>
        <select
          {...describe(id(p("sound")), err(p("sound")))}
          value={n.sound}
          onChange={(e) => update({ sound: e.currentTarget.value as NotificationSound })}
        >
          {NOTIFICATION_SOUNDS.map((s) => (
            <option value={s}>{s === "none" ? "No sound" : cap(s)}</option>
          ))}
        </select>
      </Field>
      <Check
        id={id(p("desktop"))}
        label="Desktop notifications"
        error={err(p("desktop"))}
        checked={n.desktop}
        onChange={(v) => update({ desktop: v })}
      />
      <Check
        id={id(p("email"))}
        label="Email the team (offline messages go to the address above)"
        error={err(p("email"))}
        checked={n.email}
        onChange={(v) => update({ email: v })}
      />
    </>
  );
}

// ---- routing ------------------------------------------------------------------------

const MODE_LABELS: Record<RoutingMode, string> = {
  manual: "Manual: agents pick conversations",
  round_robin: "Round robin among available agents",
  skills: "By skill (rules below), then round robin",
};

function RoutingFields({
  routing,
  err,
  update,
}: {
  routing: Routing;
  err: Err;
  update: (patch: Partial<Routing>) => void;
}) {
  const p = (k: string) => `routing.${k}`;
  return (
    <>
      <Field id={id(p("mode"))} label="Assignment" error={err(p("mode"))} alert={false}>
        <select
          {...describe(id(p("mode")), err(p("mode")))}
          value={routing.mode}
          onChange={(e) => update({ mode: e.currentTarget.value as RoutingMode })}
        >
          {ROUTING_MODES.map((m) => (
            <option value={m}>{MODE_LABELS[m]}</option>
          ))}
        </select>
      </Field>
      <Field
        id={id(p("capacity"))}
        label="Capacity per agent"
        error={err(p("capacity"))}
        hint="The most open conversations routing gives one agent."
        alert={false}
      >
        <input
          type="number"
          {...describe(id(p("capacity")), err(p("capacity")), true)}
          min={1}
          value={Number.isFinite(routing.capacity) ? routing.capacity : ""}
          onInput={(e) => update({ capacity: e.currentTarget.valueAsNumber })}
        />
      </Field>
      <Field
        id={id(p("when_nobody"))}
        label="When nobody can answer"
        error={err(p("when_nobody"))}
        hint="Either way the conversation waits in the queue for the next free agent."
        alert={false}
      >
        <select
          {...describe(id(p("when_nobody")), err(p("when_nobody")), true)}
          value={routing.when_nobody}
          onChange={(e) => update({ when_nobody: e.currentTarget.value as Routing["when_nobody"] })}
        >
          <option value="queue">Tell the visitor someone will answer soon</option>
          <option value="offline_form">Show the offline form</option>
        </select>
      </Field>
      <Field
        id={id(p("offline_grace_seconds"))}
        label="Reassign an offline agent's conversations after (seconds)"
        error={err(p("offline_grace_seconds"))}
        alert={false}
      >
        <input
          type="number"
          {...describe(id(p("offline_grace_seconds")), err(p("offline_grace_seconds")))}
          min={0}
          value={Number.isFinite(routing.offline_grace_seconds) ? routing.offline_grace_seconds : ""}
          onInput={(e) => update({ offline_grace_seconds: e.currentTarget.valueAsNumber })}
        />
      </Field>
      <RulesEditor rules={routing.rules ?? []} err={err} onChange={(rules) => update({ rules })} />
      <Field
        id={id(p("fallback"))}
        label="When no rule matches, or nobody with the skill is free"
        error={err(p("fallback"))}
        alert={false}
      >
        <select
          {...describe(id(p("fallback")), err(p("fallback")))}
          value={routing.fallback}
          onChange={(e) => update({ fallback: e.currentTarget.value as Routing["fallback"] })}
        >
          <option value="round_robin">Round robin among the website's agents</option>
          <option value="queue">Queue it</option>
        </select>
      </Field>
    </>
  );
}

const RULE_MATCHES: Array<[RuleMatch, string]> = [
  ["language", "Visitor's language"],
  ["page", "Page URL"],
  ["prechat", "Pre-chat answer"],
  ["tag", "Conversation tag"],
];

function RulesEditor({ rules, err, onChange }: { rules: RoutingRule[]; err: Err; onChange: (r: RoutingRule[]) => void }) {
  const set = (i: number, patch: Partial<RoutingRule>) => onChange(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const base = "routing.rules";
  return (
    <>
      <h3 class="cc-subhead" id={id(base)} tabIndex={-1}>
        Skill rules (first match wins)
      </h3>
      <FieldMessage id={id(base)} error={err(base)} alert={false} />
      {rules.length === 0 && <p class="cc-muted">None.</p>}
      <ol class="cc-custom-fields">
        {rules.map((r, i) => {
          const rp = (k?: string) => `${base}.${i}${k ? `.${k}` : ""}`;
          return (
            <li key={i} class="cc-custom-field" data-testid="routing-rule">
              <fieldset>
                <legend id={id(rp())} tabIndex={-1}>
                  Rule {i + 1}
                </legend>
                <FieldMessage id={id(rp())} error={err(rp())} alert={false} />
                <div class="cc-field-grid">
                  <Field id={id(rp("match"))} label="When" error={err(rp("match"))} alert={false}>
                    <select
                      {...describe(id(rp("match")), err(rp("match")))}
                      value={r.match}
                      onChange={(e) => {
                        const match = e.currentTarget.value as RuleMatch;
                        // Only prechat rules name a field: the server refuses a key on the others.
                        set(i, { match, key: match === "prechat" ? (r.key ?? "") : null });
                      }}
                    >
                      {RULE_MATCHES.map(([v, l]) => (
                        <option value={v}>{l}</option>
                      ))}
                    </select>
                  </Field>
                  {r.match === "prechat" && (
                    <Field id={id(rp("key"))} label="Pre-chat field key" error={err(rp("key"))} alert={false}>
                      <input
                        type="text"
                        {...describe(id(rp("key")), err(rp("key")))}
                        value={r.key ?? ""}
                        spellcheck={false}
                        onInput={(e) => set(i, { key: e.currentTarget.value.trim() || null })}
                      />
                    </Field>
                  )}
                  <Field
                    id={id(rp("value"))}
                    label={r.match === "page" ? "URL contains (or glob)" : "Is"}
                    error={err(rp("value"))}
                    alert={false}
                  >
                    <input
                      type="text"
                      {...describe(id(rp("value")), err(rp("value")))}
                      value={r.value}
                      onInput={(e) => set(i, { value: e.currentTarget.value })}
                    />
                  </Field>
                  <Field id={id(rp("skill"))} label="Route to skill" error={err(rp("skill"))} alert={false}>
                    <input
                      type="text"
                      {...describe(id(rp("skill")), err(rp("skill")))}
                      value={r.skill}
                      onInput={(e) => set(i, { skill: e.currentTarget.value.trim() })}
                    />
                  </Field>
                </div>
                <button type="button" class="cc-button" onClick={() => onChange(rules.filter((_, j) => j !== i))}>
                  Remove rule {i + 1}
                </button>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        class="cc-button"
        onClick={() => onChange([...rules, { match: "language", value: "", key: null, skill: "" }])}
      >
        Add a rule
      </button>
    </>
  );
}

// ---- any other section ------------------------------------------------------------

const GENERIC_LABELS: Record<string, string> = {
  sound: "Play a sound for new messages",
  desktop: "Desktop notifications",
  email: "Email notifications",
  when_nobody: "When nobody can answer",
  fallback: "When no rule matches",
};

/** Fields of a section this console does not know in detail: booleans, numbers, texts, and JSON for the rest. */
function GenericFields({
  path,
  value,
  err,
  onChange,
}: {
  path: string;
  value: Record<string, unknown>;
  err: Err;
  onChange: (v: Record<string, unknown>) => void;
}) {
  return (
    <>
      {Object.entries(value).map(([k, v]) => {
        const fp = `${path}.${k}`;
        const label = GENERIC_LABELS[k] ?? humanize(k);
        const set = (nv: unknown) => onChange({ ...value, [k]: nv });
        if (typeof v === "boolean")
          return <Check key={k} id={id(fp)} label={label} error={err(fp)} checked={v} onChange={set} />;
        if (typeof v === "number")
          return (
            <Field key={k} id={id(fp)} label={label} error={err(fp)} alert={false}>
              <input
                type="number"
                {...describe(id(fp), err(fp))}
                value={Number.isFinite(v) ? v : ""}
                onInput={(e) => set(e.currentTarget.valueAsNumber)}
              />
            </Field>
          );
        if (typeof v === "string" || v === null)
          return (
            <Field key={k} id={id(fp)} label={label} error={err(fp)} alert={false}>
              <input
                type="text"
                {...describe(id(fp), err(fp))}
                value={v ?? ""}
                onInput={(e) => set(v === null && !e.currentTarget.value ? null : e.currentTarget.value)}
              />
            </Field>
          );
        return <JsonField key={k} path={fp} label={label} value={v} err={err} onChange={set} />;
      })}
    </>
  );
}

function JsonField({
  path,
  label,
  value,
  err,
  onChange,
}: {
  path: string;
  label: string;
  value: unknown;
  err: Err;
  onChange: (v: unknown) => void;
}) {
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [local, setLocal] = useState("");
  return (
    <Field id={id(path)} label={`${label} (JSON)`} error={local || err(path)} alert={false}>
      <textarea
        {...describe(id(path), local || err(path))}
        class="cc-snippet"
        rows={Math.min(10, text.split("\n").length + 1)}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          try {
            onChange(JSON.parse(e.currentTarget.value));
            setLocal("");
          } catch {
            setLocal("Not valid JSON yet.");
          }
        }}
      />
    </Field>
  );
}
