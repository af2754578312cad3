// Teams (departments): a name, skills that skill routing sends conversations by,
// and members.

import { useState } from "preact/hooks";
import { type Agent, type Team, agents, errorText, fieldErrors, teams } from "./api";
import { ConfirmDialog, type Errors, Field, FormError, LoadState, Status, describe, toErrors, useLoad } from "./ui";

const splitSkills = (text: string): string[] =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/** An error on "skills" or on one skill ("skills.2"). */
const skillsError = (errors: Errors): string | undefined =>
  Object.entries(errors).find(([k]) => k === "skills" || k.startsWith("skills."))?.[1];

export function TeamsPage() {
  const [loaded, reload] = useLoad(() => Promise.all([teams.list(), agents.list()]), []);
  const [status, setStatus] = useState("");
  if (loaded.state !== "ready") return <LoadState loaded={loaded} what="teams" onRetry={reload} />;
  const [list, people] = loaded.data;
  return (
    <section aria-labelledby="cc-teams-title">
      <h2 id="cc-teams-title">Teams</h2>
      <p class="cc-muted">
        With skill routing, a website's rules name a skill; the conversation goes to an available member of a team
        with that skill.
      </p>
      <NewTeam
        onCreated={(t) => {
          setStatus(`Team ${t.name} created.`);
          reload();
        }}
      />
      <Status text={status} />
      {!list.length && <p class="cc-muted">No teams yet.</p>}
      <ul class="cc-team-list" data-testid="team-list">
        {list.map((t) => (
          <li key={`${t.id}:${t.updated_at}`}>
            <TeamCard team={t} people={people} onChanged={reload} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function NewTeam({ onCreated }: { onCreated: (t: Team) => void }) {
  const [name, setName] = useState("");
  const [skills, setSkills] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError("");
    try {
      const t = await teams.create({ name: name.trim(), skills: splitSkills(skills), agent_ids: [] });
      setName("");
      setSkills("");
      setErrors({});
      onCreated(t);
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(toErrors(fields));
      setFormError(fields.length ? "" : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const sErr = skillsError(errors);
  return (
    <form class="cc-admin-form cc-admin-box" onSubmit={(e) => void submit(e)} noValidate aria-label="New team">
      <div class="cc-field-grid">
        <Field id="team-new-name" label="New team's name" error={errors.name}>
          <input type="text" {...describe("team-new-name", errors.name)} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="team-new-skills" label="Skills" error={sErr} hint="Comma-separated, e.g. billing, fr.">
          <input
            type="text"
            {...describe("team-new-skills", sErr, true)}
            value={skills}
            onInput={(e) => setSkills(e.currentTarget.value)}
          />
        </Field>
      </div>
      <FormError error={formError} />
      <div class="cc-form-actions">
        <button type="submit" class="cc-button cc-button-primary" disabled={busy}>
          Create team
        </button>
      </div>
    </form>
  );
}

function TeamCard({ team, people, onChanged }: { team: Team; people: Agent[]; onChanged: () => void }) {
  const [name, setName] = useState(team.name);
  const [skills, setSkills] = useState(team.skills.join(", "));
  const [members, setMembers] = useState<Set<string>>(new Set(team.agent_ids));
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const p = `team-${team.id}`;

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError("");
    setStatus("");
    try {
      const newSkills = splitSkills(skills);
      const patch: { name?: string; skills?: string[] } = {};
      if (name.trim() !== team.name) patch.name = name.trim();
      if (newSkills.join(",") !== team.skills.join(",")) patch.skills = newSkills;
      if (Object.keys(patch).length) await teams.update(team.id, patch);
      const ids = [...members].sort();
      if (ids.join(",") !== [...team.agent_ids].sort().join(",")) await teams.setMembers(team.id, ids);
      setErrors({});
      setStatus("Saved.");
      onChanged();
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(toErrors(fields));
      setFormError(fields.length ? "" : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const sErr = skillsError(errors);
  const mErr = Object.entries(errors).find(([k]) => k.startsWith("agent_ids"))?.[1];
  return (
    <form
      class="cc-admin-form cc-admin-box"
      onSubmit={(e) => void save(e)}
      noValidate
      aria-label={`Team ${team.name}`}
      data-testid="team"
    >
      <div class="cc-field-grid">
        <Field id={`${p}-name`} label="Name" error={errors.name}>
          <input type="text" {...describe(`${p}-name`, errors.name)} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id={`${p}-skills`} label="Skills" error={sErr} hint="Comma-separated.">
          <input
            type="text"
            {...describe(`${p}-skills`, sErr, true)}
            value={skills}
            onInput={(e) => setSkills(e.currentTarget.value)}
          />
        </Field>
      </div>
      <fieldset class="cc-checks">
        <legend>Members of {team.name}</legend>
        {people.map((a) => {
          const id = `${p}-member-${a.id}`;
          return (
            <div class="cc-check" key={a.id}>
              <input
                type="checkbox"
                id={id}
                checked={members.has(a.id)}
                onChange={(e) => {
                  const next = new Set(members);
                  if (e.currentTarget.checked) next.add(a.id);
                  else next.delete(a.id);
                  setMembers(next);
                }}
              />
              <label for={id}>
                {a.name} <span class="cc-muted">({a.email})</span>
              </label>
            </div>
          );
        })}
      </fieldset>
      {mErr && (
        <p class="cc-field-error" role="alert">
          {mErr}
        </p>
      )}
      <FormError error={formError} />
      <div class="cc-form-actions">
        <button type="submit" class="cc-button cc-button-primary" disabled={busy}>
          Save<span class="cc-sr-only"> team {team.name}</span>
        </button>
        <button type="button" class="cc-button cc-button-danger" onClick={() => setDeleting(true)}>
          Delete<span class="cc-sr-only"> team {team.name}</span>…
        </button>
        <Status text={status} />
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete the team “${team.name}”?`}
          confirmLabel="Delete team"
          danger
          onConfirm={async () => {
            await teams.remove(team.id);
            onChanged();
          }}
          onClose={() => setDeleting(false)}
        >
          <p>Its members stay; skill rules naming only its skills then find nobody.</p>
        </ConfirmDialog>
      )}
    </form>
  );
}
