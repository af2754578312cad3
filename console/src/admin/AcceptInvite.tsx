// The page an invite link opens (#/accept-invite?token=…): the invited agent
// chooses a password (and may correct their name), and is signed in.

import { useState } from "preact/hooks";
import type { Session } from "../types";
import { acceptInvite, errorText, fieldErrors } from "./api";
import { type Errors, Field, FormError, describe, toErrors } from "./ui";

export const isInviteRoute = (hash: string): boolean => hash.startsWith("#/accept-invite");

function tokenOf(hash: string): string {
  const q = hash.indexOf("?");
  return q < 0 ? "" : (new URLSearchParams(hash.slice(q + 1)).get("token") ?? "");
}

export function AcceptInvite({ hash, onSignedIn }: { hash: string; onSignedIn: (s: Session) => void }) {
  const token = tokenOf(hash);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (password !== again) {
      setErrors({ again: "The two passwords differ." });
      return;
    }
    setBusy(true);
    setFormError("");
    setErrors({});
    try {
      const session = await acceptInvite({ token, password, ...(name.trim() ? { name: name.trim() } : {}) });
      // The link is used up: leave its page (and keep the token out of the history's next entries).
      history.replaceState(null, "", window.location.pathname);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
      onSignedIn(session);
    } catch (err) {
      const fields = fieldErrors(err).filter((f) => f.field !== "token");
      setErrors(toErrors(fields));
      setFormError(fields.length ? "" : errorText(err));
      setBusy(false);
    }
  };

  return (
    <main class="cc-login">
      <form class="cc-login-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="cc-invite-title">
        <h1 id="cc-invite-title">Welcome to sitechat</h1>
        {!token ? (
          <p class="cc-form-error" role="alert">
            This invite link is incomplete. Ask for a new one.
          </p>
        ) : (
          <>
            <p class="cc-muted">Choose your password to finish setting up your account.</p>
            <Field id="invite-accept-name" label="Your name (optional)" error={errors.name}>
              <input
                type="text"
                {...describe("invite-accept-name", errors.name)}
                autocomplete="name"
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            </Field>
            <Field id="invite-accept-password" label="Password" error={errors.password} hint="At least 10 characters.">
              <input
                type="password"
                {...describe("invite-accept-password", errors.password, true)}
                autocomplete="new-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </Field>
            <Field id="invite-accept-again" label="Password again" error={errors.again}>
              <input
                type="password"
                {...describe("invite-accept-again", errors.again)}
                autocomplete="new-password"
                value={again}
                onInput={(e) => setAgain(e.currentTarget.value)}
              />
            </Field>
            <FormError error={formError} />
            <button type="submit" disabled={busy}>
              Set password and sign in
            </button>
          </>
        )}
      </form>
    </main>
  );
}
