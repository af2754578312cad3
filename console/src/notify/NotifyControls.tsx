// The alerts controls: a bell in the top bar (mute for 30 min / 1 h / 2 h, unmute, open
// the preferences), toasts, the preferences panel and the per-conversation mute button.

import { useEffect, useState } from "preact/hooks";
import { useStore } from "../../../widget/src/shared/useStore";
import type { NotifyChannel, NotifyEventName, NotifyPrefs } from "../types";
import { notifier, type NotifyView } from "./notifier";
import type { AgentChannel } from "../inbox";
import { SOUNDS, playSound, unlockAudio } from "./sounds";
import { disablePush, enablePush, pushSupported } from "./push";

export function useNotifyView(): NotifyView {
  return useStore(notifier);
}

const EVENTS: Array<[NotifyEventName, string]> = [
  ["new_conversation", "New conversation"],
  ["new_message", "New message"],
  ["visitor_returned", "Visitor returned"],
  ["urgent", "Urgent"],
  ["assigned", "Assigned to me"],
];
const CHANNELS: Array<[NotifyChannel, string]> = [
  ["sound", "Sound"],
  ["desktop", "Desktop"],
  ["push", "Push"],
  ["email", "Email"],
];
const MUTES: Array<[30 | 60 | 120, string]> = [
  [30, "30 minutes"],
  [60, "1 hour"],
  [120, "2 hours"],
];
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function timeZones(current: string): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? [];
  return all.includes(current) ? all : [current, ...all];
}

export function NotifyBell() {
  const view = useNotifyView();
  const [open, setOpen] = useState(false);
  const [panel, setPanel] = useState(false);
  const muted = view.mutedUntil;
  return (
    <div class="cc-notify-bell">
      <button
        type="button"
        class="cc-button"
        aria-haspopup="menu"
        aria-expanded={open}
        data-testid="notify-bell"
        onClick={() => {
          void notifier.askPermission();
          setOpen(!open);
        }}
      >
        {muted ? "🔕" : "🔔"}
        <span class="cc-sr-only">Notifications</span>
        {view.unread > 0 && <span class="cc-notify-count">{view.unread}</span>}
      </button>
      {open && (
        <div class="cc-notify-menu" role="menu">
          {muted ? (
            <p class="cc-muted">Muted until {muted.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}</p>
          ) : null}
          {muted ? (
            <button type="button" role="menuitem" data-testid="unmute" onClick={() => { setOpen(false); void notifier.mute(null); }}>
              Unmute
            </button>
          ) : (
            MUTES.map(([m, label]) => (
              <button type="button" role="menuitem" data-testid={`mute-${m}`} onClick={() => { setOpen(false); void notifier.mute(m); }}>
                Mute for {label}
              </button>
            ))
          )}
          <button type="button" role="menuitem" data-testid="notify-prefs-open" onClick={() => { setOpen(false); setPanel(true); }}>
            Preferences…
          </button>
        </div>
      )}
      {panel && view.prefs && <PrefsPanel prefs={view.prefs} onClose={() => setPanel(false)} />}
    </div>
  );
}

function PrefsPanel({ prefs, onClose }: { prefs: NotifyPrefs; onClose: () => void }) {
  const view = useNotifyView();
  const [draft, setDraft] = useState<NotifyPrefs>(() => JSON.parse(JSON.stringify(prefs)) as NotifyPrefs);
  const [saving, setSaving] = useState(false);
  const [results, setResults] = useState<Record<string, { status: string; detail: string }> | null>(null);
  const [pushState, setPushState] = useState("");

  const setChannel = (e: NotifyEventName, c: NotifyChannel, on: boolean) =>
    setDraft({ ...draft, events: { ...draft.events, [e]: { ...draft.events[e], [c]: on } } });
  const setQuiet = (patch: Partial<NotifyPrefs["quiet_hours"]>) =>
    setDraft({ ...draft, quiet_hours: { ...draft.quiet_hours, ...patch } });

  const save = async (ev: Event) => {
    ev.preventDefault();
    setSaving(true);
    const ok = await notifier.savePrefs(draft);
    setSaving(false);
    if (ok) onClose();
  };

  return (
    <div class="cc-dialog-backdrop" role="presentation">
      <div class="cc-dialog cc-notify-prefs" role="dialog" aria-modal="true" aria-labelledby="cc-notify-title">
      <form onSubmit={save}>
        <h2 id="cc-notify-title">Notifications</h2>
        {view.error && <p class="cc-form-error" role="alert">{view.error}</p>}
        <table class="cc-notify-matrix">
          <thead>
            <tr>
              <th scope="col">Event</th>
              {CHANNELS.map(([, label]) => <th scope="col">{label}</th>)}
              <th scope="col">Sound</th>
            </tr>
          </thead>
          <tbody>
            {EVENTS.map(([e, label]) => (
              <tr>
                <th scope="row">{label}</th>
                {CHANNELS.map(([c, clabel]) => (
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${label}: ${clabel}`}
                      data-testid={`pref-${e}-${c}`}
                      checked={draft.events[e][c]}
                      onChange={(ev) => setChannel(e, c, ev.currentTarget.checked)}
                    />
                  </td>
                ))}
                <td>
                  <select
                    aria-label={`${label}: sound`}
                    value={draft.sounds[e]}
                    onChange={(ev) => {
                      const name = ev.currentTarget.value;
                      setDraft({ ...draft, sounds: { ...draft.sounds, [e]: name } });
                      unlockAudio();
                      playSound(name, draft.volume);
                    }}
                  >
                    {SOUNDS.map((s) => <option value={s}>{s}</option>)}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <label class="cc-field">
          Volume
          <input
            type="range"
            min="0"
            max="1"
            step="0.05"
            data-testid="pref-volume"
            value={draft.volume}
            onChange={(ev) => setDraft({ ...draft, volume: Number(ev.currentTarget.value) })}
          />
        </label>
        <fieldset class="cc-notify-quiet">
          <legend>Quiet hours</legend>
          <label>
            <input
              type="checkbox"
              data-testid="quiet-enabled"
              checked={draft.quiet_hours.enabled}
              onChange={(ev) => setQuiet({ enabled: ev.currentTarget.checked })}
            />{" "}
            No alerts from
          </label>{" "}
          <input type="time" aria-label="Quiet hours start" value={draft.quiet_hours.start} onChange={(ev) => setQuiet({ start: ev.currentTarget.value })} />{" "}
          to{" "}
          <input type="time" aria-label="Quiet hours end" value={draft.quiet_hours.end} onChange={(ev) => setQuiet({ end: ev.currentTarget.value })} />
          <div class="cc-notify-days">
            {DAYS.map((d, i) => (
              <label>
                <input
                  type="checkbox"
                  checked={draft.quiet_hours.days.includes(i + 1)}
                  onChange={(ev) =>
                    setQuiet({
                      days: ev.currentTarget.checked
                        ? [...draft.quiet_hours.days, i + 1]
                        : draft.quiet_hours.days.filter((x) => x !== i + 1),
                    })
                  }
                />
                {d}
              </label>
            ))}
          </div>
          <label class="cc-field">
            Time zone
            <select data-testid="pref-timezone" value={draft.timezone} onChange={(ev) => setDraft({ ...draft, timezone: ev.currentTarget.value })}>
              {timeZones(draft.timezone).map((z) => <option value={z}>{z}</option>)}
            </select>
          </label>
        </fieldset>
        <label class="cc-field">
          Email me about a conversation left unanswered for (minutes; empty: the website's default)
          <input
            type="number"
            min="1"
            max="1440"
            value={draft.email_after_minutes ?? ""}
            onChange={(ev) => {
              const v = ev.currentTarget.value;
              setDraft({ ...draft, email_after_minutes: v ? Number(v) : null });
            }}
          />
        </label>
        <p class="cc-notify-actions">
          {view.permission === "default" && (
            <button type="button" class="cc-button" onClick={() => void notifier.askPermission()}>
              Allow desktop notifications
            </button>
          )}
          {view.permission === "denied" && <span class="cc-muted">Desktop notifications are blocked in this browser.</span>}
          {pushSupported() && (
            <button
              type="button"
              class="cc-button"
              onClick={async () => {
                await notifier.askPermission();
                try {
                  setPushState((await enablePush()) ? "This browser gets push notifications." : "Push is not available here.");
                } catch (e) {
                  setPushState(`Push could not be enabled: ${e instanceof Error ? e.message : String(e)}`);
                }
              }}
            >
              Enable push on this browser
            </button>
          )}
          {pushSupported() && (
            <button type="button" class="cc-button" onClick={() => void disablePush().then(() => setPushState("Push is off on this browser."))}>
              Disable push
            </button>
          )}
          <button type="button" class="cc-button" data-testid="notify-test" onClick={async () => setResults(await notifier.sendTest())}>
            Send a test
          </button>
        </p>
        {pushState && <p class="cc-muted" role="status">{pushState}</p>}
        {results && (
          <ul class="cc-notify-results" data-testid="notify-test-results">
            {Object.entries(results).map(([c, r]) => (
              <li>
                <strong>{c}</strong>: {r.status} — {r.detail}
              </li>
            ))}
          </ul>
        )}
        <p class="cc-dialog-buttons">
          <button type="button" class="cc-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="cc-button cc-primary" disabled={saving} data-testid="notify-prefs-save">
            Save
          </button>
        </p>
      </form>
      </div>
    </div>
  );
}

export function Toasts() {
  const view = useNotifyView();
  if (!view.toasts.length) return null;
  return (
    <div class="cc-toasts" role="status" aria-live="polite" data-testid="toasts">
      {view.toasts.map((t) => (
        <div class="cc-toast" key={t.id}>
          {t.avatar && <img src={t.avatar} alt="" width={32} height={32} />}
          <button type="button" class="cc-toast-body" onClick={() => notifier.openToast(t)}>
            <strong>{t.title}</strong>
            <span>{t.body}</span>
          </button>
          <button type="button" class="cc-link" aria-label="Dismiss" onClick={() => notifier.dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function ConversationMuteButton({ conversationId }: { conversationId: string }) {
  const view = useNotifyView();
  const muted = view.mutedConversations.has(conversationId);
  return (
    <button
      type="button"
      class="cc-button"
      aria-pressed={muted}
      data-testid="conversation-mute"
      title={muted ? "Alerts about this conversation are off" : "Turn off alerts about this conversation"}
      onClick={() => void notifier.muteConversation(conversationId, !muted)}
    >
      {muted ? "Unmute" : "Mute"}
    </button>
  );
}

/** Start the alerts with the inbox screen, and tell them which conversation is on screen. */
export function useAlerts(
  open: (conversationId: string) => void,
  selectedId: string | null,
  channel: AgentChannel,
): void {
  useEffect(() => {
    notifier.start(open, channel);
    return () => notifier.stop();
  }, []);
  useEffect(() => notifier.setSelected(selectedId), [selectedId]);
}
