// Entry point of the agent console (/console). The server's HTML shell has
// <div id="app"></div> and links console.css and this script.

import "./console.css";
import { render } from "preact";
import { appRoot } from "../../widget/src/shared/store";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from "./api";
import { InboxScreen } from "./components/InboxScreen";
import { Login } from "./components/Login";
import { AcceptInvite, isInviteRoute } from "./admin/AcceptInvite";
import { AdminScreen, showAdmin, useHash } from "./admin/AdminScreen";
import type { Session } from "./types";

type Auth = { state: "checking" } | { state: "signed-out" } | { state: "signed-in"; session: Session };

function App() {
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  const [fatal, setFatal] = useState("");
  const hash = useHash();

  const signIn = (session: Session) => {
    setCsrfToken(session.csrf_token);
    setAuth({ state: "signed-in", session });
  };
  const signOut = () => {
    setCsrfToken("");
    setAuth({ state: "signed-out" });
  };

  useEffect(() => {
    setUnauthorizedHandler(signOut);
    api<Session>("GET", "/api/v1/auth/me").then(signIn, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) signOut();
      else setFatal(e instanceof ApiError ? e.detail || e.code : String(e));
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  if (fatal) {
    return (
      <main class="cc-login">
        <p class="cc-form-error" role="alert">
          Cannot reach the sitechat server: {fatal}
        </p>
      </main>
    );
  }
  if (isInviteRoute(hash)) return <AcceptInvite hash={hash} onSignedIn={signIn} />;
  if (auth.state === "checking") return <p class="cc-loading">Loading…</p>;
  if (auth.state === "signed-out") return <Login onSignedIn={signIn} />;

  const logout = async () => {
    try {
      await api("POST", "/api/v1/auth/logout");
    } catch {
      // Signed out locally either way.
    }
    signOut();
  };
  if (showAdmin(hash, auth.session.agent.role)) {
    return <AdminScreen session={auth.session} hash={hash} onLogout={logout} onSignedOut={signOut} />;
  }
  return <InboxScreen session={auth.session} onLogout={logout} onSignedOut={signOut} />;
}

function mount(): void {
  const root = appRoot();
  render(<App />, root);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
