// The admin section of the console (owners and admins): websites, agents, teams,
// API keys and, for owners, the audit log. Pages are addressed by the location
// hash (#admin/websites/<id>/settings) so Back and reload work.

import { useEffect } from "preact/hooks";
import type { Session } from "../types";
import { configureAdminApi, isManager } from "./api";
import { AgentsPage } from "./Agents";
import { ApiKeysPage } from "./ApiKeys";
import { AuditPage } from "./Audit";
import { TeamsPage } from "./Teams";
import { WebsitesPage } from "./Websites";

export { useHash } from "./ui";

/** Is this hash an admin page, and may this role open it? (The server refuses others anyway.) */
export function showAdmin(hash: string, role: string): boolean {
  return (hash === "#admin" || hash.startsWith("#admin/")) && isManager(role);
}

interface Props {
  session: Session;
  hash: string;
  onLogout: () => void;
  onSignedOut: () => void;
}

export function AdminScreen({ session, hash, onLogout, onSignedOut }: Props) {
  // During render, not in an effect: the pages' effects (their first requests) run before
  // this component's own.
  configureAdminApi(session.csrf_token, onSignedOut);
  useEffect(() => () => configureAdminApi("", null), []);

  const owner = session.agent.role === "owner";
  const route = hash.replace(/^#admin\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const page = route[0] ?? "websites";
  const pages: Array<[string, string]> = [
    ["websites", "Websites"],
    ["agents", "Agents"],
    ["teams", "Teams"],
    ["keys", "API keys"],
    ...(owner ? [["audit", "Audit log"] as [string, string]] : []),
  ];

  return (
    <div class="cc-shell">
      <header class="cc-topbar">
        <span class="cc-brand">sitechat</span>
        <h1 class="cc-admin-title">Admin</h1>
        <span class="cc-agent">{session.agent.name}</span>
        <a href="#" class="cc-button" data-testid="admin-back">
          Back to inbox
        </a>
        <button type="button" class="cc-button" data-testid="logout" onClick={onLogout}>
          Log out
        </button>
      </header>
      <div class="cc-admin">
        <nav class="cc-admin-nav" aria-label="Admin">
          <ul>
            {pages.map(([key, label]) => (
              <li key={key}>
                <a href={`#admin/${key}`} aria-current={page === key ? "page" : undefined} data-testid={`admin-nav-${key}`}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main class="cc-admin-main" data-testid="admin-main">
          {page === "websites" ? (
            <WebsitesPage route={route.slice(1)} />
          ) : page === "agents" ? (
            <AgentsPage me={session.agent} />
          ) : page === "teams" ? (
            <TeamsPage />
          ) : page === "keys" ? (
            <ApiKeysPage me={session.agent} />
          ) : page === "audit" && owner ? (
            <AuditPage />
          ) : (
            <p class="cc-muted">No such page.</p>
          )}
        </main>
      </div>
    </div>
  );
}
