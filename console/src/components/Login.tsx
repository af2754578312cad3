import { useState } from "preact/hooks";
import { ApiError, api } from "../api";
import type { Session } from "../types";

function loginError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === "invalid_credentials") return "Wrong email or password.";
    if (e.code === "rate_limited") return "Too many attempts. Please wait a minute and try again.";
    return e.detail || `Sign-in failed (${e.code}).`;
  }
  return "Sign-in failed.";
}

export function Login({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      onSignedIn(await api<Session>("POST", "/api/v1/auth/login", { email, password }));
    } catch (err) {
      setError(loginError(err));
      setBusy(false);
    }
  };

  return (
    <main class="cc-login">
      <form class="cc-login-form" onSubmit={submit} aria-labelledby="cc-login-title">
        <h1 id="cc-login-title">Sign in to sitechat</h1>
        <label for="cc-email">Email</label>
        <input
          id="cc-email"
          data-testid="login-email"
          type="email"
          autocomplete="username"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <label for="cc-password">Password</label>
        <input
          id="cc-password"
          data-testid="login-password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <p class="cc-form-error" data-testid="login-error" role="alert" hidden={!error}>
          {error}
        </p>
        <button type="submit" data-testid="login-submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
