// "Transfer": hand the conversation to a colleague or to a team, with a note the receiver
// sees (POST /api/v1/conversations/{id}/transfer). The visitor is told who answers now;
// the receiver gets an alert. The inbox updates from the usual frames.

import { useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";

interface AgentRow {
  id: string;
  name: string;
  role: string;
  website_ids: string[] | null;
  disabled: boolean;
  invite_pending?: boolean;
}

interface TeamRow {
  id: string;
  name: string;
  agent_ids: string[];
}

const TITLE_ID = "cc-transfer-title";

export function TransferButton({
  conversationId,
  websiteId,
  me,
}: {
  conversationId: string;
  websiteId: string;
  me: string;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const [agents, setAgents] = useState<AgentRow[]>([]);
  const [teams, setTeams] = useState<TeamRow[]>([]);
  const [target, setTarget] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const open = async () => {
    const d = dialogRef.current;
    if (!d || d.open) return;
    setTarget("");
    setNote("");
    setError("");
    d.showModal();
    try {
      const [as, ts] = await Promise.all([
        api<AgentRow[]>("GET", "/api/v1/agents"),
        api<TeamRow[]>("GET", "/api/v1/teams").catch(() => [] as TeamRow[]),
      ]);
      // Colleagues who work on this website (owners and admins work on all of them).
      setAgents(
        as.filter(
          (a) =>
            a.id !== me &&
            !a.disabled &&
            !a.invite_pending &&
            (a.website_ids === null || a.website_ids.includes(websiteId)),
        ),
      );
      setTeams(ts);
    } catch (e) {
      setError(e instanceof ApiError ? e.detail || e.code : String(e));
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const [kind, id] = target.split(":");
    if (!id) {
      setError("Choose a colleague or a team.");
      return;
    }
    setBusy(true);
    try {
      await api("POST", `/api/v1/conversations/${encodeURIComponent(conversationId)}/transfer`, {
        [kind === "team" ? "team_id" : "agent_id"]: id,
        note: note.trim() || null,
      });
      dialogRef.current?.close();
    } catch (err) {
      setError(err instanceof ApiError ? err.detail || err.code : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        class="cc-button"
        ref={openerRef}
        aria-haspopup="dialog"
        data-testid="transfer-open"
        onClick={() => void open()}
      >
        Transfer
      </button>
      <dialog
        ref={dialogRef}
        class="cc-dialog"
        aria-labelledby={TITLE_ID}
        data-testid="transfer-dialog"
        onClose={() => openerRef.current?.focus()}
      >
        <form class="cc-canned-form" onSubmit={(e) => void submit(e)}>
          <header class="cc-dialog-header">
            <h2 id={TITLE_ID}>Transfer the conversation</h2>
          </header>
          <label for="cc-transfer-target">To</label>
          <select
            id="cc-transfer-target"
            data-testid="transfer-target"
            value={target}
            onChange={(e) => setTarget(e.currentTarget.value)}
          >
            <option value="">Choose…</option>
            {agents.length > 0 && (
              <optgroup label="Colleagues">
                {agents.map((a) => (
                  <option key={a.id} value={`agent:${a.id}`}>
                    {a.name}
                  </option>
                ))}
              </optgroup>
            )}
            {teams.length > 0 && (
              <optgroup label="Teams (whoever is free)">
                {teams.map((t) => (
                  <option key={t.id} value={`team:${t.id}`}>
                    {t.name}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
          <label for="cc-transfer-note">Note for them (the visitor does not see it)</label>
          <textarea
            id="cc-transfer-note"
            data-testid="transfer-note"
            rows={3}
            maxLength={1000}
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
          />
          {error && (
            <p class="cc-form-error" role="alert" data-testid="transfer-error">
              {error}
            </p>
          )}
          <div class="cc-dialog-actions">
            <button type="submit" class="cc-button cc-button-primary" disabled={busy} data-testid="transfer-submit">
              Transfer
            </button>
            <button type="button" class="cc-button" onClick={() => dialogRef.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
