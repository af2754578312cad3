// The agent's own status in the top bar — online, away, offline — with automatic away
// after a while without any keyboard or pointer activity, and back to online on the next
// activity (only when it was the automatic away). Routing reads this status
// (docs/routing.md): away takes no new conversations, offline hands the open ones on.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";

export type AgentStatus = "online" | "away" | "offline";

interface StatusOut {
  status: AgentStatus;
}

const IDLE_KEY = "sitechat:console:idle-minutes";
const DEFAULT_IDLE_MINUTES = 10;
/** Activity is noted at most this often (mousemove fires constantly). */
const NOTE_EVERY_MS = 1_000;

declare global {
  interface Window {
    /** Tests shorten the idle time (milliseconds). */
    __sitechatIdleMs?: number;
  }
}

function idleMs(): number {
  if (typeof window.__sitechatIdleMs === "number") return window.__sitechatIdleMs;
  const minutes = Number(localStorage.getItem(IDLE_KEY));
  return (Number.isFinite(minutes) && minutes > 0 ? minutes : DEFAULT_IDLE_MINUTES) * 60_000;
}

const LABELS: Record<AgentStatus, string> = { online: "Online", away: "Away", offline: "Offline" };

export function StatusControl() {
  const [status, setStatus] = useState<AgentStatus | null>(null);
  const [error, setError] = useState("");
  const auto = useRef(false); // the current "away" was set by the idle timer
  const current = useRef<AgentStatus | null>(null);
  current.current = status;

  const put = async (next: AgentStatus, automatic: boolean) => {
    try {
      const out = await api<StatusOut>("PUT", "/api/v1/agents/me/status", { status: next });
      auto.current = automatic && out.status === "away";
      setStatus(out.status);
      setError("");
    } catch (e) {
      setError(e instanceof ApiError ? e.detail || e.code : String(e));
    }
  };

  useEffect(() => {
    const load = () =>
      api<StatusOut>("GET", "/api/v1/agents/me/status").then(
        (out) => setStatus(out.status),
        () => undefined,
      );
    void load();
    // Another console of the same agent may have changed it.
    const onFocus = () => void load();
    window.addEventListener("focus", onFocus);

    let last = Date.now();
    let noted = 0;
    const activity = () => {
      const now = Date.now();
      if (now - noted < NOTE_EVERY_MS) return;
      noted = now;
      last = now;
      if (auto.current && current.current === "away") {
        auto.current = false;
        void put("online", false);
      }
    };
    const events = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"] as const;
    for (const ev of events) document.addEventListener(ev, activity, { passive: true, capture: true });
    const timer = window.setInterval(() => {
      if (current.current === "online" && Date.now() - last >= idleMs()) void put("away", true);
    }, Math.min(5_000, Math.max(200, idleMs() / 4)));
    return () => {
      window.removeEventListener("focus", onFocus);
      for (const ev of events) document.removeEventListener(ev, activity, { capture: true });
      window.clearInterval(timer);
    };
  }, []);

  return (
    <span class={`cc-status cc-status-${status ?? "unknown"}`}>
      <label for="cc-status-select" class="cc-sr-only">
        Your status
      </label>
      <select
        id="cc-status-select"
        data-testid="agent-status"
        value={status ?? ""}
        disabled={status === null}
        onChange={(e) => void put(e.currentTarget.value as AgentStatus, false)}
      >
        {status === null && <option value="">…</option>}
        {(Object.keys(LABELS) as AgentStatus[]).map((s) => (
          <option key={s} value={s}>
            {LABELS[s]}
            {s === "away" && status === "away" && auto.current ? " (idle)" : ""}
          </option>
        ))}
      </select>
      {error && (
        <span class="cc-form-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
