// Agents: who works here, their role and websites; invite, change role,
// disable, and assign to or remove from websites.

import { useRef, useState } from "preact/hooks";
import type { AgentInfo } from "../types";
import {
  type Agent,
  type AgentInvited,
  type AgentRouting,
  ROLES,
  type Role,
  type Website,
  agentRouting,
  agents,
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

const ROLE_LABELS: Record<Role, string> = { owner: "Owner", admin: "Admin", agent: "Agent" };

/** Roles a viewer may give: only owners make owners and admins. */
const assignable = (viewer: string, current: Role): Role[] =>
  viewer === "owner" ? ROLES : ROLES.filter((r) => r === "agent" || r === current);

export function AgentsPage({ me }: { me: AgentInfo }) {
  const [loaded, reload] = useLoad(() => Promise.all([agents.list(), websites.list()]), []);
  const [editing, setEditing] = useState<Agent | null>(null);
  const [disabling, setDisabling] = useState<Agent | null>(null);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [status, setStatus] = useState("");
  const [reinvited, setReinvited] = useState<AgentInvited | null>(null);

  if (loaded.state !== "ready") return <LoadState loaded={loaded} what="agents" onRetry={reload} />;
  const [list, sites] = loaded.data;
  const siteName = new Map(sites.map((w) => [w.id, w.name]));

  const changeRole = async (a: Agent, role: Role) => {
    setRowError(null);
    setStatus("");
    try {
      await agents.update(a.id, { role });
      setStatus(`${a.name} is now ${ROLE_LABELS[role].toLowerCase()}.`);
      reload();
    } catch (e) {
      setRowError({ id: a.id, message: errorText(e) });
      reload();
    }
  };

  return (
    <section aria-labelledby="cc-agents-title">
      <h2 id="cc-agents-title">Agents</h2>
      <InviteForm sites={sites} viewerRole={me.role} onInvited={reload} />
      <Status text={status} />
      <table class="cc-table" data-testid="agent-table">
        <caption class="cc-sr-only">Agents, their roles and websites</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Websites</th>
            <th scope="col">Status</th>
            <th scope="col">Capacity</th>
            <th scope="col">
              <span class="cc-sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => {
            const roleId = `agent-role-${a.id}`;
            const err = rowError?.id === a.id ? rowError.message : undefined;
            const self = a.id === me.id;
            return (
              <tr key={a.id} data-testid="agent-row" data-agent-id={a.id}>
                <th scope="row">
                  {a.name}
                  {self && <span class="cc-muted"> (you)</span>}
                </th>
                <td>{a.email}</td>
                <td>
                  <label for={roleId} class="cc-sr-only">
                    Role of {a.name}
                  </label>
                  <select
                    {...describe(roleId, err)}
                    value={a.role}
                    disabled={a.disabled || (me.role !== "owner" && isManager(a.role))}
                    onChange={(e) => void changeRole(a, e.currentTarget.value as Role)}
                  >
                    {assignable(me.role, a.role).map((r) => (
                      <option value={r}>{ROLE_LABELS[r]}</option>
                    ))}
                  </select>
                  {err && (
                    <p id={`${roleId}-error`} class="cc-field-error" role="alert">
                      {err}
                    </p>
                  )}
                </td>
                <td>
                  {a.website_ids === null || isManager(a.role)
                    ? "All websites"
                    : a.website_ids.length
                      ? a.website_ids.map((id) => siteName.get(id) ?? id).join(", ")
                      : "None"}
                </td>
                <td>{a.disabled ? "Disabled" : a.invite_pending ? "Invited" : "Active"}</td>
                <td>
                  <CapacityCell agent={a} />
                </td>
                <td>
                  <div class="cc-row-actions">
                  {a.invite_pending && !a.disabled && (
                    <button
                      type="button"
                      class="cc-button"
                      onClick={() =>
                        void agents.reinvite(a.id).then(setReinvited, (e: unknown) =>
                          setRowError({ id: a.id, message: errorText(e) }),
                        )
                      }
                    >
                      New invite link<span class="cc-sr-only"> for {a.name}</span>
                    </button>
                  )}
                  {a.role === "agent" && !a.disabled && (
                    <button type="button" class="cc-button" onClick={() => setEditing(a)}>
                      Websites<span class="cc-sr-only"> of {a.name}</span>…
                    </button>
                  )}
                  {!self &&
                    (a.disabled ? (
                      <button
                        type="button"
                        class="cc-button"
                        onClick={() =>
                          void agents.update(a.id, { disabled: false }).then(
                            () => {
                              setStatus(`${a.name} is enabled again.`);
                              reload();
                            },
                            (e: unknown) => setRowError({ id: a.id, message: errorText(e) }),
                          )
                        }
                      >
                        Enable<span class="cc-sr-only"> {a.name}</span>
                      </button>
                    ) : (
                      <button type="button" class="cc-button cc-button-danger" onClick={() => setDisabling(a)}>
                        Disable<span class="cc-sr-only"> {a.name}</span>…
                      </button>
                    ))}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {reinvited && <InviteResult invited={reinvited} />}
      {editing && (
        <WebsitesDialog
          agent={editing}
          sites={sites}
          onDone={(changed) => {
            setEditing(null);
            if (changed) {
              setStatus(`Websites of ${editing.name} updated.`);
              reload();
            }
          }}
        />
      )}
      {disabling && (
        <ConfirmDialog
          title={`Disable ${disabling.name}?`}
          confirmLabel={`Disable ${disabling.name}`}
          danger
          onConfirm={async () => {
            await agents.update(disabling.id, { disabled: true });
            setStatus(`${disabling.name} is disabled.`);
            reload();
          }}
          onClose={() => setDisabling(null)}
        >
          <p>
            {disabling.name} ({disabling.email}) is signed out everywhere at once and cannot sign in until enabled
            again. Their conversations stay.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function SiteChecks({
  idPrefix,
  sites,
  selected,
  onChange,
  legend,
}: {
  idPrefix: string;
  sites: Website[];
  selected: Set<string>;
  onChange: (s: Set<string>) => void;
  legend: string;
}) {
  return (
    <fieldset class="cc-checks">
      <legend>{legend}</legend>
      {!sites.length && <p class="cc-muted">No websites yet.</p>}
      {sites.map((w) => {
        const id = `${idPrefix}-${w.id}`;
        return (
          <div class="cc-check" key={w.id}>
            <input
              type="checkbox"
              id={id}
              checked={selected.has(w.id)}
              onChange={(e) => {
                const next = new Set(selected);
                if (e.currentTarget.checked) next.add(w.id);
                else next.delete(w.id);
                onChange(next);
              }}
            />
            <label for={id}>{w.name}</label>
          </div>
        );
      })}
    </fieldset>
  );
}

function InviteForm({ sites, viewerRole, onInvited }: { sites: Website[]; viewerRole: string; onInvited: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const [siteIds, setSiteIds] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);
  const [invited, setInvited] = useState<AgentInvited | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError("");
    setInvited(null);
    try {
      const result = await agents.invite({
        name: name.trim(),
        email: email.trim(),
        role,
        website_ids: role === "agent" ? [...siteIds] : [],
      });
      setInvited(result);
      setErrors({});
      setName("");
      setEmail("");
      setSiteIds(new Set());
      onInvited();
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(toErrors(fields));
      setFormError(fields.length ? "" : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="cc-admin-box" open={!invited}>
      <summary>Invite an agent</summary>
      <form class="cc-admin-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Invite an agent">
        <div class="cc-field-grid">
          <Field id="invite-name" label="Name" error={errors.name}>
            <input type="text" {...describe("invite-name", errors.name)} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field id="invite-email" label="Email" error={errors.email}>
            <input
              type="email"
              {...describe("invite-email", errors.email)}
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </Field>
          <Field id="invite-role" label="Role" error={errors.role}>
            <select {...describe("invite-role", errors.role)} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {assignable(viewerRole, "agent").map((r) => (
                <option value={r}>{ROLE_LABELS[r]}</option>
              ))}
            </select>
          </Field>
        </div>
        {role === "agent" ? (
          <SiteChecks idPrefix="invite-site" sites={sites} selected={siteIds} onChange={setSiteIds} legend="Websites" />
        ) : (
          <p class="cc-muted">Owners and admins work on every website.</p>
        )}
        {errors.website_ids && (
          <p class="cc-field-error" role="alert">
            {errors.website_ids}
          </p>
        )}
        <FormError error={formError} />
        <div class="cc-form-actions">
          <button type="submit" class="cc-button cc-button-primary" data-testid="invite-submit" disabled={busy}>
            Invite
          </button>
        </div>
      </form>
      {invited && <InviteResult invited={invited} />}
    </details>
  );
}

function InviteResult({ invited }: { invited: AgentInvited }) {
  if (invited.emailed || !invited.invite_url)
    return (
      <p role="status" class="cc-once" data-testid="invite-result">
        Invitation emailed to {invited.email}. The link works once, until {formatDate(invited.invite_expires_at)}.
      </p>
    );
  return (
    <div class="cc-once" data-testid="invite-result">
      <p role="alert">
        No email server is configured: send this link to {invited.name} yourself. It is shown only now, works once,
        and expires {formatDate(invited.invite_expires_at)}.
      </p>
      <CopyBox id="invite-link" label="Invite link" value={invited.invite_url} testId="invite-link" />
    </div>
  );
}

/** Assign an agent to websites, or remove them: one request per change. */
function WebsitesDialog({ agent, sites, onDone }: { agent: Agent; sites: Website[]; onDone: (changed: boolean) => void }) {
  const before = useRef(new Set(agent.website_ids ?? [])).current;
  const [selected, setSelected] = useState<Set<string>>(new Set(before));
  // Closing (saved or cancelled) reloads the list only when something was stored.
  const changed = useRef(false);
  return (
    <ConfirmDialog
      title={`Websites of ${agent.name}`}
      confirmLabel="Save"
      onConfirm={async () => {
        const add = [...selected].filter((id) => !before.has(id));
        const remove = [...before].filter((id) => !selected.has(id));
        // One request per change; `before` follows along so a retry after a failure
        // sends only what is still missing.
        for (const id of add) {
          await websites.addAgent(id, agent.id);
          before.add(id);
          changed.current = true;
        }
        for (const id of remove) {
          await websites.removeAgent(id, agent.id);
          before.delete(id);
          changed.current = true;
        }
      }}
      onClose={() => onDone(changed.current)}
    >
      <SiteChecks
        idPrefix={`agent-site-${agent.id}`}
        sites={sites}
        selected={selected}
        onChange={setSelected}
        legend={`Websites ${agent.name} works on`}
      />
    </ConfirmDialog>
  );
}

const PRESENCE: Record<AgentRouting["status"], string> = { online: "Online", away: "Away", offline: "Offline" };

/** The agent's routing state and own capacity (empty: each website's default). */
function CapacityCell({ agent }: { agent: Agent }) {
  const [loaded, reload] = useLoad(() => agentRouting.get(agent.id), [agent.id]);
  const [error, setError] = useState("");
  const [saved, setSaved] = useState(false);
  const id = `agent-capacity-${agent.id}`;
  if (loaded.state === "loading") return <span class="cc-muted">…</span>;
  if (loaded.state === "error") return <span class="cc-muted">—</span>;
  const r = loaded.data;
  const save = async (value: string) => {
    setError("");
    setSaved(false);
    const capacity = value.trim() === "" ? null : Number(value);
    if (capacity === r.capacity) return;
    try {
      await agentRouting.setCapacity(agent.id, capacity);
      setSaved(true);
      reload();
    } catch (e) {
      setError(fieldErrors(e)[0]?.message ?? errorText(e));
    }
  };
  return (
    <div class="cc-capacity">
      <label for={id} class="cc-sr-only">
        Capacity of {agent.name} (empty: the website's default)
      </label>
      <input
        type="number"
        {...describe(id, error)}
        class="cc-capacity-input"
        min={1}
        max={100}
        placeholder="Default"
        value={r.capacity ?? ""}
        onChange={(e) => void save(e.currentTarget.value)}
      />
      <span class="cc-muted">
        {r.open_conversations} open · {r.connected ? PRESENCE[r.status] : "Offline"}
      </span>
      {saved && <span class="cc-sr-only" role="status">Capacity of {agent.name} saved.</span>}
      {error && (
        <p id={`${id}-error`} class="cc-field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
