// Websites: the list, a new website, and one website's pages — its name and
// allowed domains, widget settings, install snippet and identity secret.

import { useEffect, useState } from "preact/hooks";
import { WebsiteSnippet } from "../components/InstallDialog";
import { type Website, errorText, fieldErrors, identitySecret, websites } from "./api";
import { SettingsEditor } from "./SettingsForm";
import {
  ConfirmDialog,
  CopyBox,
  type Errors,
  Field,
  FormError,
  LoadState,
  Status,
  describe,
  navigate,
  toErrors,
  useLoad,
} from "./ui";

const TABS: Array<[string, string]> = [
  ["general", "Name and domains"],
  ["settings", "Widget settings"],
  ["install", "Install"],
  ["identity", "Identity verification"],
];

export function WebsitesPage({ route }: { route: string[] }) {
  const [loaded, reload] = useLoad(() => websites.list(), []);
  // A website just created is shown at once, before the list has been fetched again.
  const [created, setCreated] = useState<Website | null>(null);
  const [selectedId, tab] = [route[0], route[1] ?? "general"];
  const fetched = loaded.state === "ready" ? loaded.data : [];
  const list = created && !fetched.some((w) => w.id === created.id) ? [...fetched, created] : fetched;
  const selected = list.find((w) => w.id === selectedId);

  return (
    <div class="cc-admin-split">
      <nav class="cc-admin-list" aria-label="Websites">
        <a href="#admin/websites/new" class="cc-button cc-button-primary" data-testid="website-new">
          New website
        </a>
        <LoadState loaded={loaded} what="websites" onRetry={reload} />
        {loaded.state === "ready" && !list.length && <p class="cc-muted">No websites yet.</p>}
        <ul data-testid="website-list">
          {list.map((w) => (
            <li key={w.id}>
              <a
                href={`#admin/websites/${w.id}`}
                class="cc-admin-item"
                aria-current={w.id === selectedId ? "page" : undefined}
                data-website-id={w.id}
              >
                <span class="cc-admin-item-name">{w.name}</span>
                <span class="cc-muted">{w.domains.join(", ")}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="cc-admin-detail">
        {selectedId === "new" ? (
          <NewWebsite
            onCreated={(w) => {
              setCreated(w);
              reload();
              navigate(`#admin/websites/${w.id}`);
            }}
          />
        ) : selected ? (
          <WebsiteDetail
            key={selected.id}
            website={selected}
            tab={tab}
            onChanged={() => {
              setCreated(null);
              reload();
            }}
          />
        ) : selectedId && loaded.state === "ready" ? (
          <p class="cc-muted">No such website.</p>
        ) : (
          !selectedId && <p class="cc-muted">Choose a website, or create one.</p>
        )}
      </div>
    </div>
  );
}

const splitDomains = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((d) => d.trim())
    .filter(Boolean);

/** Errors about "domains" or one of its entries ("domains.2") go next to the one textarea. */
function domainsError(errors: Errors): string | undefined {
  const entry = Object.entries(errors).find(([k]) => k === "domains" || k.startsWith("domains."));
  return entry?.[1];
}

function WebsiteFields({
  prefix,
  name,
  domains,
  errors,
  setName,
  setDomains,
}: {
  prefix: string;
  name: string;
  domains: string;
  errors: Errors;
  setName: (v: string) => void;
  setDomains: (v: string) => void;
}) {
  const nameId = `${prefix}-name`;
  const domainsId = `${prefix}-domains`;
  const dErr = domainsError(errors);
  return (
    <>
      <Field id={nameId} label="Name" error={errors.name}>
        <input
          type="text"
          {...describe(nameId, errors.name)}
          data-testid="website-name"
          value={name}
          required
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field
        id={domainsId}
        label="Allowed domains"
        error={dErr}
        hint="One per line: an exact host (shop.example.com) or every subdomain (*.example.com). No https:// or paths."
      >
        <textarea
          {...describe(domainsId, dErr, true)}
          data-testid="website-domains"
          rows={4}
          spellcheck={false}
          value={domains}
          onInput={(e) => setDomains(e.currentTarget.value)}
        />
      </Field>
    </>
  );
}

function NewWebsite({ onCreated }: { onCreated: (w: Website) => void }) {
  const [name, setName] = useState("");
  const [domains, setDomains] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError("");
    try {
      const w = await websites.create({ name: name.trim(), domains: splitDomains(domains) });
      onCreated(w);
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(toErrors(fields));
      setFormError(fields.length ? "" : errorText(err));
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="cc-new-website">
      <h2 id="cc-new-website">New website</h2>
      <form class="cc-admin-form" onSubmit={(e) => void submit(e)} noValidate>
        <WebsiteFields
          prefix="new-website"
          name={name}
          domains={domains}
          errors={errors}
          setName={setName}
          setDomains={setDomains}
        />
        <FormError error={formError} />
        <div class="cc-form-actions">
          <button type="submit" class="cc-button cc-button-primary" data-testid="website-create" disabled={busy}>
            Create website
          </button>
        </div>
      </form>
    </section>
  );
}

function WebsiteDetail({ website, tab, onChanged }: { website: Website; tab: string; onChanged: () => void }) {
  return (
    // A div, not a named section: the install tab's snippet box is a region named after the website too.
    <div data-testid="website-detail" data-website-id={website.id}>
      <h2 id="cc-website-title">{website.name}</h2>
      <nav class="cc-tabs" aria-label={`Pages of ${website.name}`}>
        {TABS.map(([key, label]) => (
          <a
            key={key}
            href={`#admin/websites/${website.id}/${key}`}
            class="cc-tab"
            aria-current={tab === key ? "page" : undefined}
            data-testid={`tab-${key}`}
          >
            {label}
          </a>
        ))}
      </nav>
      {tab === "settings" ? (
        <SettingsEditor websiteId={website.id} websiteName={website.name} />
      ) : tab === "install" ? (
        <div class="cc-install-panel">
          <WebsiteSnippet website={website} />
        </div>
      ) : tab === "identity" ? (
        <IdentitySecretPanel website={website} />
      ) : (
        <GeneralPanel website={website} onChanged={onChanged} />
      )}
    </div>
  );
}

function GeneralPanel({ website, onChanged }: { website: Website; onChanged: () => void }) {
  const [name, setName] = useState(website.name);
  const [domains, setDomains] = useState(website.domains.join("\n"));
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError("");
    setStatus("");
    try {
      const w = await websites.update(website.id, { name: name.trim(), domains: splitDomains(domains) });
      setErrors({});
      setName(w.name);
      setDomains(w.domains.join("\n"));
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

  return (
    <>
      <form class="cc-admin-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Name and domains">
        <WebsiteFields
          prefix="edit-website"
          name={name}
          domains={domains}
          errors={errors}
          setName={(v) => {
            setName(v);
            setStatus("");
          }}
          setDomains={(v) => {
            setDomains(v);
            setStatus("");
          }}
        />
        <FormError error={formError} />
        <div class="cc-form-actions">
          <button type="submit" class="cc-button cc-button-primary" data-testid="website-save" disabled={busy}>
            Save
          </button>
          <Status text={status} />
        </div>
      </form>
      <section class="cc-danger-zone" aria-labelledby="cc-delete-website">
        <h3 id="cc-delete-website">Delete this website</h3>
        <p class="cc-muted">
          Removes the website with its conversations, visitors and settings. Its widget stops working at once.
        </p>
        <button
          type="button"
          class="cc-button cc-button-danger"
          data-testid="website-delete"
          onClick={() => setConfirming(true)}
        >
          Delete {website.name}…
        </button>
      </section>
      {confirming && (
        <ConfirmDialog
          title={`Delete “${website.name}”?`}
          confirmLabel={`Delete ${website.name}`}
          danger
          onConfirm={async () => {
            await websites.remove(website.id);
            onChanged();
            navigate("#admin/websites");
          }}
          onClose={() => setConfirming(false)}
        >
          <p>
            The website <strong>{website.name}</strong> ({website.domains.join(", ")}) and all its conversations,
            visitors and settings will be deleted. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function IdentitySecretPanel({ website }: { website: Website }) {
  const [loaded, reload] = useLoad(() => identitySecret.get(website.id), [website.id]);
  const [shown, setShown] = useState(false);
  const [confirm, setConfirm] = useState<"rotate" | "delete" | null>(null);
  const [status, setStatus] = useState("");
  useEffect(() => setShown(false), [website.id]);

  const secret = loaded.state === "ready" ? loaded.data.secret : null;
  return (
    <section class="cc-admin-form" aria-labelledby="cc-identity-title" data-testid="identity-secret">
      <h3 id="cc-identity-title">Identity verification secret</h3>
      <p class="cc-muted">
        Your website's server signs each signed-in user's id with this secret (HMAC-SHA256) and passes the result
        as <code>userHash</code>, so visitors cannot pretend to be someone else. Keep it on your server only.
      </p>
      <LoadState loaded={loaded} what="the secret" onRetry={reload} />
      {loaded.state === "ready" &&
        (secret ? (
          shown ? (
            <CopyBox id="cc-identity-secret" label="Identity secret" value={secret} testId="identity-secret-value" />
          ) : (
            <p>
              <button type="button" class="cc-button" data-testid="identity-show" onClick={() => setShown(true)}>
                Show the secret
              </button>
            </p>
          )
        ) : (
          <p data-testid="identity-none">This website has no identity secret: identities are not verified.</p>
        ))}
      <div class="cc-form-actions">
        <button
          type="button"
          class="cc-button cc-button-primary"
          data-testid="identity-rotate"
          disabled={loaded.state !== "ready"}
          onClick={() => setConfirm("rotate")}
        >
          {secret ? "Rotate the secret…" : "Create a secret"}
        </button>
        {secret && (
          <button type="button" class="cc-button cc-button-danger" onClick={() => setConfirm("delete")}>
            Delete the secret…
          </button>
        )}
        <Status text={status} />
      </div>
      {confirm === "rotate" && (
        <ConfirmDialog
          title={secret ? `Rotate the identity secret of “${website.name}”?` : `Create an identity secret?`}
          confirmLabel={secret ? "Rotate" : "Create"}
          danger={!!secret}
          onConfirm={async () => {
            await identitySecret.rotate(website.id);
            setShown(true);
            setStatus(secret ? "A new secret was created; the old one no longer verifies." : "Secret created.");
            reload();
          }}
          onClose={() => setConfirm(null)}
        >
          {secret ? (
            <p>
              Hashes made with the current secret stop verifying at once: update your website's server with the new
              secret right away.
            </p>
          ) : (
            <p>Your website's server will need it to compute each user's hash.</p>
          )}
        </ConfirmDialog>
      )}
      {confirm === "delete" && (
        <ConfirmDialog
          title={`Delete the identity secret of “${website.name}”?`}
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await identitySecret.remove(website.id);
            setShown(false);
            setStatus("Secret deleted.");
            reload();
          }}
          onClose={() => setConfirm(null)}
        >
          <p>Every identify call carrying a user hash will be refused until you create a new secret.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
