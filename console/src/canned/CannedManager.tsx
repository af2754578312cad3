// "Saved replies": the top-bar button and its dialog, where an agent keeps personal
// replies and owners and admins keep each website's shared ones.

import { useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { type Canned, type CannedList, forgetCanned } from "./canned";

interface Site {
  id: string;
  name: string;
}

interface Draft {
  id: string | null;
  scope: "personal" | "shared";
  website_id: string;
  shortcut: string;
  title: string;
  body: string;
}

const EMPTY: Draft = { id: null, scope: "personal", website_id: "", shortcut: "", title: "", body: "" };
const TITLE_ID = "cc-canned-title";

function message(e: unknown): string {
  return e instanceof ApiError ? e.detail || e.code : String(e);
}

export function CannedManager({ canShare }: { canShare: boolean }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const [items, setItems] = useState<Canned[]>([]);
  const [variables, setVariables] = useState<string[]>([]);
  const [sites, setSites] = useState<Site[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const reload = async () => {
    try {
      const [list, ws] = await Promise.all([
        api<CannedList>("GET", "/api/v1/canned-responses"),
        api<Site[]>("GET", "/api/v1/websites"),
      ]);
      setItems(list.items);
      setVariables(list.variables);
      setSites(ws);
      setError("");
    } catch (e) {
      setError(message(e));
    }
  };

  const open = () => {
    const d = dialogRef.current;
    if (!d || d.open) return;
    setDraft(null);
    void reload();
    d.showModal();
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    try {
      if (draft.id) {
        await api("PATCH", `/api/v1/canned-responses/${encodeURIComponent(draft.id)}`, {
          shortcut: draft.shortcut,
          title: draft.title,
          body: draft.body,
        });
      } else {
        await api("POST", "/api/v1/canned-responses", {
          scope: draft.scope,
          website_id: draft.website_id || null,
          shortcut: draft.shortcut,
          title: draft.title,
          body: draft.body,
        });
      }
      forgetCanned();
      setDraft(null);
      await reload();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (c: Canned) => {
    if (!window.confirm(`Delete the saved reply /${c.shortcut}?`)) return;
    try {
      await api("DELETE", `/api/v1/canned-responses/${encodeURIComponent(c.id)}`);
      forgetCanned();
      await reload();
    } catch (err) {
      setError(message(err));
    }
  };

  const siteName = (id: string | null) => (id ? (sites.find((s) => s.id === id)?.name ?? id) : "All my websites");
  const set = (patch: Partial<Draft>) => draft && setDraft({ ...draft, ...patch });

  return (
    <>
      <button
        type="button"
        class="cc-button"
        ref={openerRef}
        aria-haspopup="dialog"
        data-testid="canned-open"
        onClick={open}
      >
        Saved replies
      </button>
      <dialog
        ref={dialogRef}
        class="cc-dialog cc-canned-dialog"
        aria-labelledby={TITLE_ID}
        data-testid="canned-dialog"
        onClose={() => openerRef.current?.focus()}
      >
        <header class="cc-dialog-header">
          <h2 id={TITLE_ID}>Saved replies</h2>
          <button type="button" class="cc-button" onClick={() => dialogRef.current?.close()}>
            Close
          </button>
        </header>
        <p class="cc-hint">
          Type <kbd>/</kbd> and a shortcut in the reply box to insert one. Variables:{" "}
          {variables.map((v) => `{{${v}}}`).join(", ")}.
        </p>
        {error && (
          <p class="cc-form-error" role="alert" data-testid="canned-error">
            {error}
          </p>
        )}
        {draft ? (
          <form class="cc-canned-form" onSubmit={save} data-testid="canned-form">
            {!draft.id && (
              <>
                <label for="cc-canned-scope">Who can use it</label>
                <select
                  id="cc-canned-scope"
                  value={draft.scope}
                  onChange={(e) => set({ scope: e.currentTarget.value as Draft["scope"] })}
                >
                  <option value="personal">Only me</option>
                  {canShare && <option value="shared">Every agent of a website</option>}
                </select>
                <label for="cc-canned-website">Website</label>
                <select
                  id="cc-canned-website"
                  value={draft.website_id}
                  onChange={(e) => set({ website_id: e.currentTarget.value })}
                >
                  {draft.scope === "personal" && <option value="">All my websites</option>}
                  {draft.scope === "shared" && <option value="">Choose a website…</option>}
                  {sites.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </>
            )}
            <label for="cc-canned-shortcut">Shortcut</label>
            <input
              id="cc-canned-shortcut"
              data-testid="canned-shortcut"
              value={draft.shortcut}
              required
              maxLength={40}
              onInput={(e) => set({ shortcut: e.currentTarget.value })}
            />
            <label for="cc-canned-name">Title</label>
            <input
              id="cc-canned-name"
              data-testid="canned-name"
              value={draft.title}
              required
              maxLength={200}
              onInput={(e) => set({ title: e.currentTarget.value })}
            />
            <label for="cc-canned-body">Reply</label>
            <textarea
              id="cc-canned-body"
              data-testid="canned-body"
              rows={4}
              value={draft.body}
              required
              maxLength={4000}
              onInput={(e) => set({ body: e.currentTarget.value })}
            />
            <div class="cc-dialog-actions">
              <button type="submit" class="cc-button cc-button-primary" disabled={busy} data-testid="canned-save">
                Save
              </button>
              <button type="button" class="cc-button" onClick={() => setDraft(null)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <>
            <button type="button" class="cc-button" data-testid="canned-new" onClick={() => setDraft({ ...EMPTY })}>
              New saved reply
            </button>
            <ul class="cc-canned-rows" data-testid="canned-rows">
              {items.map((c) => (
                <li key={c.id} data-testid="canned-row">
                  <strong>/{c.shortcut}</strong> {c.title}{" "}
                  <span class="cc-canned-badge">{c.scope === "shared" ? siteName(c.website_id) : "only me"}</span>
                  <div class="cc-canned-body">{c.body}</div>
                  {c.editable && (
                    <span class="cc-canned-actions">
                      <button
                        type="button"
                        class="cc-link"
                        onClick={() =>
                          setDraft({
                            id: c.id,
                            scope: c.scope,
                            website_id: c.website_id ?? "",
                            shortcut: c.shortcut,
                            title: c.title,
                            body: c.body,
                          })
                        }
                      >
                        Edit
                      </button>{" "}
                      <button type="button" class="cc-link" onClick={() => void remove(c)}>
                        Delete
                      </button>
                    </span>
                  )}
                </li>
              ))}
              {items.length === 0 && <li class="cc-hint">No saved replies yet.</li>}
            </ul>
          </>
        )}
      </dialog>
    </>
  );
}
