// API keys: create one with a name, scopes and websites (the secret is shown
// once), list them, revoke them. Owners and admins see every key there is.

import { useState } from "preact/hooks";
import type { AgentInfo } from "../types";
import {
  type ApiKey,
  type ApiKeyCreated,
  MANAGER_SCOPES,
  SCOPES,
  type Website,
  agents,
  apiKeys,
  errorText,
  fieldErrors,
  isManager,
  websites,
} from "./api";
import {
  ConfirmDialog,
  CopyBox,
  type Errors,
  Field,
  FormError,
  LoadState,
  Status,
  describe,
  formatDate,
  toErrors,
  useLoad,
} from "./ui";

export function ApiKeysPage({ me }: { me: AgentInfo }) {
  const manager = isManager(me.role);
  const [loaded, reload] = useLoad(
    () => Promise.all([apiKeys.list(manager), websites.list(), agents.list()]),
    [manager],
  );
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [status, setStatus] = useState("");

  if (loaded.state !== "ready") return <LoadState loaded={loaded} what="API keys" onRetry={reload} />;
  const [keys, sites, people] = loaded.data;
  const siteName = new Map(sites.map((w) => [w.id, w.name]));
  const agentName = new Map(people.map((a) => [a.id, a.name]));

  return (
    <section aria-labelledby="cc-keys-title">
      <h2 id="cc-keys-title">API keys</h2>
      <p class="cc-muted">
        A key acts as the agent who created it, limited to its scopes and websites. Send it as{" "}
        <code>Authorization: Bearer …</code>.
      </p>
      <NewKey
        sites={sites}
        role={me.role}
        onCreated={(k) => {
          setCreated(k);
          setStatus("");
          reload();
        }}
      />
      {created && (
        <div class="cc-once" data-testid="key-created">
          <p role="alert">
            <strong>Copy the key “{created.name}” now.</strong> It is shown only this once: sitechat keeps only a hash
            of it.
          </p>
          <CopyBox id="cc-new-key" label="New API key" value={created.token} testId="key-secret" />
          <button type="button" class="cc-button" data-testid="key-dismiss" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      )}
      <Status text={status} />
      <table class="cc-table" data-testid="key-table">
        <caption class="cc-sr-only">API keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {manager && <th scope="col">Created by</th>}
            <th scope="col">Scopes</th>
            <th scope="col">Websites</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="cc-sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {!keys.length && (
            <tr>
              <td colSpan={manager ? 8 : 7} class="cc-muted">
                No API keys yet.
              </td>
            </tr>
          )}
          {keys.map((k) => (
            <tr key={k.id} data-testid="key-row" data-key-id={k.id} class={k.revoked_at ? "cc-row-revoked" : undefined}>
              <th scope="row">
                {k.name}
                {k.hint && <span class="cc-muted"> …{k.hint}</span>}
              </th>
              {manager && <td>{agentName.get(k.agent_id) ?? k.agent_id}</td>}
              <td>{k.scopes.length === SCOPES.length ? "All" : k.scopes.join(", ")}</td>
              <td>{k.website_ids === null ? "All theirs" : k.website_ids.map((id) => siteName.get(id) ?? id).join(", ")}</td>
              <td>{formatDate(k.created_at)}</td>
              <td>{formatDate(k.last_used_at)}</td>
              <td>{k.revoked_at ? `Revoked ${formatDate(k.revoked_at)}` : "Active"}</td>
              <td>
                {!k.revoked_at && (
                  <button type="button" class="cc-button cc-button-danger" onClick={() => setRevoking(k)}>
                    Revoke<span class="cc-sr-only"> {k.name}</span>…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {revoking && (
        <ConfirmDialog
          title={`Revoke the key “${revoking.name}”?`}
          confirmLabel="Revoke"
          danger
          onConfirm={async () => {
            await apiKeys.revoke(revoking.id);
            setStatus(`Key ${revoking.name} revoked.`);
            reload();
          }}
          onClose={() => setRevoking(null)}
        >
          <p>Requests with this key fail from now on, and its open connections are closed. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function NewKey({ sites, role, onCreated }: { sites: Website[]; role: string; onCreated: (k: ApiKeyCreated) => void }) {
  const grantable = SCOPES.filter(([s]) => isManager(role) || !MANAGER_SCOPES.has(s));
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Set<string>>(new Set(["conversations:read"]));
  const [allSites, setAllSites] = useState(true);
  const [siteIds, setSiteIds] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError("");
    try {
      const k = await apiKeys.create({
        name: name.trim(),
        scopes: SCOPES.map(([s]) => s).filter((s) => scopes.has(s)),
        website_ids: allSites ? null : [...siteIds],
      });
      setName("");
      setErrors({});
      onCreated(k);
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(toErrors(fields));
      setFormError(fields.length ? "" : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const under = (prefix: string) => Object.entries(errors).find(([k]) => k === prefix || k.startsWith(`${prefix}.`))?.[1];
  const scopesErr = under("scopes");
  const sitesErr = under("website_ids");

  return (
    <details class="cc-admin-box" open>
      <summary>Create an API key</summary>
      <form class="cc-admin-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Create an API key">
        <Field id="key-name" label="Name" error={errors.name} hint="What uses it, e.g. “CRM sync”.">
          <input
            type="text"
            {...describe("key-name", errors.name, true)}
            data-testid="key-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <fieldset class="cc-checks" aria-describedby={scopesErr ? "key-scopes-error" : undefined}>
          <legend>Scopes</legend>
          {grantable.map(([s, label]) => (
            <div class="cc-check" key={s}>
              <input
                type="checkbox"
                id={`key-scope-${s}`}
                checked={scopes.has(s)}
                onChange={(e) => {
                  const next = new Set(scopes);
                  if (e.currentTarget.checked) next.add(s);
                  else next.delete(s);
                  setScopes(next);
                }}
              />
              <label for={`key-scope-${s}`}>
                {label} <code class="cc-muted">{s}</code>
              </label>
            </div>
          ))}
          {scopesErr && (
            <p id="key-scopes-error" class="cc-field-error" role="alert">
              {scopesErr}
            </p>
          )}
        </fieldset>
        <fieldset class="cc-checks" aria-describedby={sitesErr ? "key-sites-error" : undefined}>
          <legend>Websites</legend>
          <div class="cc-check">
            <input type="radio" id="key-sites-all" name="key-sites" checked={allSites} onChange={() => setAllSites(true)} />
            <label for="key-sites-all">Every website I can see, now and later</label>
          </div>
          <div class="cc-check">
            <input type="radio" id="key-sites-some" name="key-sites" checked={!allSites} onChange={() => setAllSites(false)} />
            <label for="key-sites-some">Only these:</label>
          </div>
          {!allSites &&
            sites.map((w) => (
              <div class="cc-check cc-indent" key={w.id}>
                <input
                  type="checkbox"
                  id={`key-site-${w.id}`}
                  checked={siteIds.has(w.id)}
                  onChange={(e) => {
                    const next = new Set(siteIds);
                    if (e.currentTarget.checked) next.add(w.id);
                    else next.delete(w.id);
                    setSiteIds(next);
                  }}
                />
                <label for={`key-site-${w.id}`}>{w.name}</label>
              </div>
            ))}
          {sitesErr && (
            <p id="key-sites-error" class="cc-field-error" role="alert">
              {sitesErr}
            </p>
          )}
        </fieldset>
        <FormError error={formError} />
        <div class="cc-form-actions">
          <button type="submit" class="cc-button cc-button-primary" data-testid="key-create" disabled={busy}>
            Create key
          </button>
        </div>
      </form>
    </details>
  );
}
