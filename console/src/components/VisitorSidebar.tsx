// The visitor beside the conversation: who they are (and how sure we are), where they
// are and their local time, device, source and campaign, the page trail of their visits,
// custom data and past conversations. Refreshed when a frame says the visitor changed
// (visitor.live, visitor.returned, visitor), never by reloading the page.

import { useEffect, useState } from "preact/hooks";
import { formatTime } from "../../../widget/src/shared/util";
import { ApiError, api, query } from "../api";
import type { Inbox, InboxView } from "../inbox";
import type { ConversationItem, ConversationPage, VisitInfo, VisitorDetail } from "../types";

const STATE_TEXT: Record<VisitorDetail["state"], string> = {
  anonymous: "Anonymous",
  partial: "Partly known",
  identified: "Identified",
  verified: "Verified",
};

interface Loaded {
  visitor: VisitorDetail;
  visits: VisitInfo[];
  conversations: ConversationItem[];
}

function useVisitor(visitorId: string, revision: number): { data: Loaded | null; error: string } {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    const id = encodeURIComponent(visitorId);
    Promise.all([
      api<VisitorDetail>("GET", `/api/v1/visitors/${id}`),
      api<{ items: VisitInfo[] }>("GET", `/api/v1/visitors/${id}/sessions${query({ limit: 5 })}`),
      api<ConversationPage>("GET", `/api/v1/conversations${query({ visitor_id: visitorId, status: "all", limit: 20 })}`),
    ]).then(
      ([visitor, visits, convs]) => {
        if (!live) return;
        setData({ visitor, visits: visits.items, conversations: convs.items });
        setError("");
      },
      (e: unknown) => {
        if (live) setError(e instanceof ApiError ? e.detail || e.code : String(e));
      },
    );
    return () => {
      live = false;
    };
  }, [visitorId, revision]);
  return { data, error };
}

/** The visitor's wall clock, ticking. */
function LocalTime({ timeZone }: { timeZone: string }) {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(t);
  }, []);
  let text: string;
  try {
    text = now.toLocaleTimeString(undefined, { timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit" });
  } catch {
    return null; // a zone this browser does not know
  }
  return (
    <span data-testid="visitor-local-time">
      {text} <span class="cc-muted">({timeZone})</span>
    </span>
  );
}

function duration(ms: number | null): string {
  if (ms === null) return "";
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

function Row({ name, children, testid }: { name: string; children: preact.ComponentChildren; testid?: string }) {
  return (
    <div class="cc-facts-row" data-testid={testid}>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function VisitorSidebar({ inbox, view }: { inbox: Inbox; view: InboxView }) {
  const selected = view.selected!;
  const { data, error } = useVisitor(selected.visitor.id, view.visitorRevision);
  if (error && !data) {
    return (
      <aside class="cc-visitor" aria-label="Visitor">
        <p class="cc-muted cc-pad">Visitor details unavailable: {error}</p>
      </aside>
    );
  }
  if (!data) {
    return (
      <aside class="cc-visitor" aria-label="Visitor" aria-busy="true">
        <p class="cc-muted cc-pad">Loading visitor…</p>
      </aside>
    );
  }
  const { visitor, visits, conversations } = data;
  const visit = visits[0];
  const where = visit ? [visit.location.city, visit.location.region, visit.location.country].filter(Boolean).join(", ") : "";
  const device = visit
    ? [
        visit.device.type,
        [visit.device.browser, visit.device.browser_version].filter(Boolean).join(" "),
        [visit.device.os, visit.device.os_version].filter(Boolean).join(" "),
      ]
        .filter(Boolean)
        .join(" · ")
    : "";
  const campaign = visit ? Object.entries(visit.utm) : [];
  const custom = Object.entries(visitor.custom_data ?? {});
  const past = conversations.filter((c) => c.id !== selected.id);
  return (
    <aside class="cc-visitor" aria-label="Visitor" data-testid="visitor-sidebar">
      <h2 class="cc-visitor-name">{visitor.name || visitor.email || "Visitor"}</h2>
      <p>
        <span class={`cc-tag cc-state-${visitor.state}`} data-testid="visitor-state">
          {STATE_TEXT[visitor.state] ?? visitor.state}
        </span>
      </p>
      <dl class="cc-facts">
        {visitor.email && <Row name="Email">{visitor.email}</Row>}
        {visitor.phone && <Row name="Phone">{visitor.phone}</Row>}
        {visitor.company && <Row name="Company">{visitor.company}</Row>}
        {where && (
          <Row name="Location" testid="visitor-location">
            {where}
          </Row>
        )}
        {visit?.timezone && (
          <Row name="Local time">
            <LocalTime timeZone={visit.timezone} />
          </Row>
        )}
        {device && (
          <Row name="Device" testid="visitor-device">
            {device}
          </Row>
        )}
        {visit && (
          <Row name="Source" testid="visitor-source">
            {visit.source ? `${visit.source} (${visit.source_class})` : visit.source_class}
          </Row>
        )}
        {campaign.length > 0 && (
          <Row name="Campaign">
            {campaign.map(([k, v]) => (
              <span class="cc-kv">
                {k}={v}{" "}
              </span>
            ))}
          </Row>
        )}
        {visit?.landing_page && (
          <Row name="Landing page">
            <span class="cc-url">{visit.landing_page}</span>
          </Row>
        )}
      </dl>
      {visit && visit.page_views.length > 0 && (
        <section>
          <h3>Pages this visit</h3>
          <ol class="cc-trail" data-testid="visitor-trail">
            {visit.page_views.map((p) => (
              <li>
                <time dateTime={p.started_at}>{formatTime(p.started_at)}</time>{" "}
                <span class="cc-url" title={p.url}>
                  {p.title || p.url}
                </span>{" "}
                <span class="cc-muted">{duration(p.duration_ms)}</span>
              </li>
            ))}
          </ol>
          {visits.length > 1 && <p class="cc-muted">{visits.length - 1} earlier visit(s)</p>}
        </section>
      )}
      {custom.length > 0 && (
        <section>
          <h3>Custom data</h3>
          <dl class="cc-facts" data-testid="visitor-custom">
            {custom.map(([k, v]) => (
              <Row name={k}>{String(v)}</Row>
            ))}
          </dl>
        </section>
      )}
      <section>
        <h3>Past conversations</h3>
        {past.length ? (
          <ul class="cc-past" data-testid="visitor-past">
            {past.map((c) => (
              <li>
                <button type="button" class="cc-link" onClick={() => inbox.select(c.id, c)}>
                  {formatTime(c.created_at)} · {c.status}
                  {c.last_message ? ` · ${c.last_message.body.slice(0, 60)}` : ""}
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="cc-muted">None</p>
        )}
      </section>
    </aside>
  );
}
