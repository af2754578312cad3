// A live preview of the widget with the unsaved settings: the launcher in the
// website's colour and corner, the greeting bubble, and the open panel with its
// title, logo, welcome text, pre-chat questions and (outside business hours) the
// offline message. Drawn by the console rather than by the real widget, which
// would need the website's allowed origin and would show only saved settings.

import { useState } from "preact/hooks";
import { type BusinessHours, WEEKDAYS, type WebsiteSettings } from "./api";

const DEFAULT_COLOR = "#4F46E5";
const ICON_CHAT = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z";
const ICON_CLOSE = "M6 6l12 12M18 6 6 18";

/** Black or white text, whichever reads better on the colour (the launcher's own rule). */
export function textOn(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const y = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  return y > 0.62 ? "#111827" : "#fff";
}

/** The colour the widget would use: the draft's if it is a valid hex colour. */
export function previewColor(color: string): string {
  return /^#[0-9a-f]{6}$/i.test(color.trim()) ? color.trim() : DEFAULT_COLOR;
}

/** Is the website open now by these hours? null when the time zone is unknown. */
export function openNow(bh: BusinessHours, now = new Date()): boolean | null {
  if (!bh.enabled) return true;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: bh.timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      weekday: "long",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(now);
  } catch {
    return null;
  }
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const isoDate = `${get("year")}-${get("month")}-${get("day")}`;
  if (bh.holidays.includes(isoDate)) return false;
  const day = WEEKDAYS.find((d) => d === get("weekday").toLowerCase());
  const hours = day ? bh.schedule[day] : null;
  const hhmm = `${get("hour")}:${get("minute")}`;
  return !!hours && hours.open <= hhmm && hhmm < hours.close;
}

function Icon({ path, cls }: { path: string; cls: string }) {
  return (
    <svg viewBox="0 0 24 24" class={cls} aria-hidden="true" focusable="false">
      <path d={path} />
    </svg>
  );
}

export function WidgetPreview({ settings, websiteName }: { settings: WebsiteSettings; websiteName: string }) {
  const [open, setOpen] = useState(false);
  const a = settings.appearance;
  const color = previewColor(a.color);
  const logo = a.logo_url && /^https:\/\//.test(a.logo_url) ? a.logo_url : null;
  const title = a.title.trim() || websiteName;
  const isOpen = openNow(settings.business_hours);
  const offline = isOpen === false;
  const prechat = settings.prechat;
  const questions = prechat.enabled
    ? [
        ...(["name", "email", "phone"] as const)
          .filter((k) => prechat.fields[k] !== "off")
          .map((k) => ({ label: k[0]!.toUpperCase() + k.slice(1), required: prechat.fields[k] === "required" })),
        ...prechat.custom_fields.map((f) => ({ label: f.label || f.key, required: f.required })),
      ]
    : [];
  const greeting = settings.behavior.auto_greet && a.welcome.trim() && !open;

  return (
    <section class="cc-pv" aria-labelledby="cc-pv-title" data-testid="widget-preview">
      <div class="cc-pv-head">
        <h3 id="cc-pv-title">Preview</h3>
        <fieldset class="cc-pv-toggle">
          <legend class="cc-sr-only">Show the widget</legend>
          <label>
            <input type="radio" name="cc-pv-state" checked={!open} onChange={() => setOpen(false)} /> Closed
          </label>
          <label>
            <input type="radio" name="cc-pv-state" checked={open} onChange={() => setOpen(true)} /> Open
          </label>
        </fieldset>
      </div>
      <p class="cc-muted cc-pv-note" id="cc-pv-desc">
        Unsaved changes show here at once; visitors see them after you save.
      </p>
      <div
        class={`cc-pv-page${a.position === "left" ? " cc-pv-left" : ""}${open ? " cc-pv-open" : ""}`}
        style={{ "--pv-c": color, "--pv-t": textOn(color) }}
        data-testid="preview-page"
        data-position={a.position}
        role="group"
        aria-label={`Widget in ${color}, bottom ${a.position}, ${open ? "open" : "closed"}`}
        aria-describedby="cc-pv-desc"
      >
        <div class="cc-pv-site" aria-hidden="true">
          <span />
          <span />
          <span />
        </div>
        {open && (
          <div class="cc-pv-panel" data-testid="preview-panel">
            <div class="cc-pv-panel-head">
              {logo && <img src={logo} alt="" class="cc-pv-logo" data-testid="preview-logo" />}
              <span data-testid="preview-title">{title}</span>
            </div>
            <div class="cc-pv-panel-body">
              {offline ? (
                <p class="cc-pv-offline" data-testid="preview-offline">
                  {settings.offline.message}
                </p>
              ) : (
                a.welcome.trim() && (
                  <p class="cc-pv-bubble" data-testid="preview-welcome">
                    {a.welcome}
                  </p>
                )
              )}
              {!offline && questions.length > 0 && (
                <ul class="cc-pv-form" data-testid="preview-prechat">
                  {questions.map((q) => (
                    <li key={q.label}>
                      {q.label}
                      {q.required ? " *" : ""}
                    </li>
                  ))}
                </ul>
              )}
              {offline && settings.offline.form_enabled && (
                <ul class="cc-pv-form">
                  <li>Email *</li>
                  <li>Message *</li>
                </ul>
              )}
            </div>
            <div class="cc-pv-composer">{offline ? "Send message" : "Write a message…"}</div>
          </div>
        )}
        {greeting && (
          <p class="cc-pv-greeting" data-testid="preview-greeting">
            {logo && <img src={logo} alt="" class="cc-pv-logo" />}
            <span>{a.welcome}</span>
          </p>
        )}
        <span class="cc-pv-launcher" data-testid="preview-launcher">
          <Icon path={open ? ICON_CLOSE : ICON_CHAT} cls={open ? "cc-pv-x" : ""} />
        </span>
      </div>
      {greeting && (
        <p class="cc-muted cc-pv-note">
          The greeting appears {Math.round(settings.behavior.greet_delay_ms / 100) / 10 || 0} s after a visitor
          arrives.
        </p>
      )}
      {isOpen === null && <p class="cc-muted cc-pv-note">Unknown time zone: opening hours cannot be previewed.</p>}
      {offline && <p class="cc-muted cc-pv-note">Outside business hours now: visitors see the offline message.</p>}
    </section>
  );
}
