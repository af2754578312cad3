// The audit log (owners): who changed what and when, newest first, filtered by
// website and action, a page at a time.

import { useEffect, useRef, useState } from "preact/hooks";
import { type AuditEntry, type AuditFilter, audit, errorText, websites } from "./api";
import { FormError, formatDate, useLoad } from "./ui";

const PAGE = 50;

const ACTIONS = [
  "website.*",
  "website.create",
  "website.update",
  "website.delete",
  "website.settings.update",
  "website.agents.add",
  "website.agents.remove",
  "identity_secret.*",
  "agent.*",
  "agent.invite",
  "agent.update",
  "agent.disable",
  "team.*",
  "api_key.*",
];

function describeChanges(changes: Record<string, unknown>): string {
  const keys = Object.keys(changes);
  if (!keys.length) return "";
  const s = JSON.stringify(changes);
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

export function AuditPage() {
  const [sites] = useLoad(() => websites.list(), []);
  const [websiteId, setWebsiteId] = useState("");
  const [action, setAction] = useState("");
  const [applied, setApplied] = useState<AuditFilter>({});
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState("");
  const request = useRef(0);

  const load = async (filter: AuditFilter, before: string | null) => {
    const id = ++request.current;
    setLoading(true);
    setError("");
    try {
      const page = await audit.list({ ...filter, before, limit: PAGE });
      if (id !== request.current) return;
      setEntries((old) => (before ? [...old, ...page.entries] : page.entries));
      setNext(page.next_before);
    } catch (e) {
      if (id === request.current) setError(errorText(e));
    } finally {
      if (id === request.current) setLoading(false);
    }
  };

  useEffect(() => {
    void load(applied, null);
  }, [applied]);

  const siteName = new Map((sites.state === "ready" ? sites.data : []).map((w) => [w.id, w.name]));

  return (
    <section aria-labelledby="cc-audit-title">
      <h2 id="cc-audit-title">Audit log</h2>
      <form
        class="cc-admin-filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ website_id: websiteId || undefined, action: action.trim() || undefined });
        }}
      >
        <label>
          Website
          <select data-testid="audit-website" value={websiteId} onChange={(e) => setWebsiteId(e.currentTarget.value)}>
            <option value="">All websites</option>
            {sites.state === "ready" &&
              sites.data.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          Action
          <input
            type="text"
            list="cc-audit-actions"
            data-testid="audit-action"
            placeholder="e.g. website.* or agent.update"
            value={action}
            onInput={(e) => setAction(e.currentTarget.value)}
          />
          <datalist id="cc-audit-actions">
            {ACTIONS.map((a) => (
              <option value={a} />
            ))}
          </datalist>
        </label>
        <button type="submit" class="cc-button">
          Filter
        </button>
      </form>
      <FormError error={error} />
      <table class="cc-table" data-testid="audit-table" aria-busy={loading ? "true" : "false"}>
        <caption class="cc-sr-only">Administrative actions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Website</th>
            <th scope="col">Changes</th>
            <th scope="col">IP</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-testid="audit-row">
              <td>
                <time dateTime={e.at}>{formatDate(e.at)}</time>
              </td>
              <td>{e.actor.name ?? e.actor.agent_id ?? "—"}{e.actor.api_key_id && <span class="cc-muted"> (API key {e.actor.api_key_id})</span>}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                {e.target_type}
                {e.target_id && <span class="cc-muted"> {e.target_id}</span>}
              </td>
              <td>{e.website_id ? (siteName.get(e.website_id) ?? e.website_id) : "—"}</td>
              <td class="cc-audit-changes">{describeChanges(e.changes)}</td>
              <td>{e.ip ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && !error && !entries.length && <p class="cc-muted">Nothing recorded{applied.action || applied.website_id ? " for this filter" : ""}.</p>}
      {loading && (
        <p class="cc-muted" role="status">
          Loading…
        </p>
      )}
      {next && !loading && (
        <button type="button" class="cc-button" data-testid="audit-more" onClick={() => void load(applied, next)}>
          Load more
        </button>
      )}
    </section>
  );
}
