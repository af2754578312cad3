// "Install widget": a modal dialog listing the websites the agent can see, each
// with its install snippet ready to copy (GET /api/v1/websites).

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api";
import type { Website } from "../types";

type Load =
  | { state: "closed" }
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "ready"; websites: Website[] };

const TITLE_ID = "cc-install-title";
const INTRO_ID = "cc-install-intro";
const COPIED_FOR_MS = 2000;

/** The top-bar button and the dialog it opens. */
export function InstallWidget({ canManage }: { canManage: boolean }) {
  const openerRef = useRef<HTMLButtonElement>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const [load, setLoad] = useState<Load>({ state: "closed" });
  const request = useRef(0);

  const fetchWebsites = () => {
    const id = ++request.current;
    setLoad({ state: "loading" });
    api<Website[]>("GET", "/api/v1/websites").then(
      (websites) => {
        if (id === request.current) setLoad({ state: "ready", websites });
      },
      (e: unknown) => {
        if (id !== request.current) return;
        const message = e instanceof ApiError ? e.detail || e.code : String(e);
        setLoad({ state: "error", message });
      },
    );
  };

  const open = () => {
    const dialog = dialogRef.current;
    if (!dialog || dialog.open) return;
    fetchWebsites();
    dialog.showModal();
    closeRef.current?.focus();
  };

  const close = () => dialogRef.current?.close();

  // Escape (the native "cancel") and the Close button both end here.
  const onClosed = () => {
    request.current++;
    setLoad({ state: "closed" });
    openerRef.current?.focus();
  };

  return (
    <>
      <button
        type="button"
        class="cc-button"
        ref={openerRef}
        data-testid="install-widget"
        aria-haspopup="dialog"
        onClick={open}
      >
        Install widget
      </button>
      <dialog
        ref={dialogRef}
        class="cc-dialog"
        data-testid="install-dialog"
        aria-labelledby={TITLE_ID}
        aria-describedby={INTRO_ID}
        onClose={onClosed}
      >
        <header class="cc-dialog-header">
          <h2 id={TITLE_ID}>Install the chat widget</h2>
          <button type="button" class="cc-button" ref={closeRef} data-testid="install-close" onClick={close}>
            Close
          </button>
        </header>
        <p id={INTRO_ID} class="cc-muted cc-dialog-intro">
          Paste a website's snippet just before <code>&lt;/body&gt;</code> on every page of that website. The chat
          only appears on its allowed domains.
        </p>
        <InstallBody load={load} canManage={canManage} onRetry={fetchWebsites} />
      </dialog>
    </>
  );
}

function InstallBody({ load, canManage, onRetry }: { load: Load; canManage: boolean; onRetry: () => void }) {
  switch (load.state) {
    case "closed":
      return null;
    case "loading":
      return (
        <p class="cc-muted cc-dialog-note" role="status">
          Loading websites…
        </p>
      );
    case "error":
      return (
        <p class="cc-form-error cc-dialog-note" role="alert">
          Could not load the websites: {load.message}{" "}
          <button type="button" class="cc-link" onClick={onRetry}>
            Try again
          </button>
        </p>
      );
    case "ready":
      if (!load.websites.length) {
        return (
          <p class="cc-muted cc-dialog-note" data-testid="install-empty">
            {canManage ? (
              <>
                No websites yet. Create one in <a href="#admin/websites">Admin → Websites</a> (or with{" "}
                <code>sitechat website create</code>).
              </>
            ) : (
              "You are not assigned to any website yet. Ask an owner or admin to add you."
            )}
          </p>
        );
      }
      return (
        <ul class="cc-install-list">
          {load.websites.map((w) => (
            <li key={w.id}>
              <WebsiteSnippet website={w} />
            </li>
          ))}
        </ul>
      );
  }
}

type CopyState = "idle" | "copied" | "failed";

export async function copyText(text: string, textarea: HTMLTextAreaElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied or unavailable (e.g. not a secure context): fall back below.
  }
  if (!textarea) return false;
  textarea.focus();
  textarea.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

export function WebsiteSnippet({ website }: { website: Website }) {
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const [copy, setCopy] = useState<CopyState>("idle");
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const headingId = `cc-install-${website.id}`;
  const snippetId = `cc-snippet-${website.id}`;
  const lines = website.snippet.split("\n").length;

  const onCopy = async () => {
    window.clearTimeout(timer.current);
    const ok = await copyText(website.snippet, textareaRef.current);
    setCopy(ok ? "copied" : "failed");
    if (ok) {
      // The fallback may have moved focus to the textarea.
      buttonRef.current?.focus();
      timer.current = window.setTimeout(() => setCopy("idle"), COPIED_FOR_MS);
    }
  };

  return (
    <section class="cc-install-site" aria-labelledby={headingId} data-testid="install-website" data-website-id={website.id}>
      <h3 id={headingId}>{website.name}</h3>
      <div class="cc-install-domains">
        <span class="cc-muted">Allowed domains:</span>
        <ul aria-label={`Allowed domains of ${website.name}`} data-testid="install-domains">
          {website.domains.map((d) => (
            <li key={d}>
              <code>{d}</code>
            </li>
          ))}
        </ul>
      </div>
      <label for={snippetId} class="cc-install-label">
        Install snippet
      </label>
      <textarea
        id={snippetId}
        ref={textareaRef}
        class="cc-snippet"
        data-testid="install-snippet"
        readOnly
        spellcheck={false}
        wrap="off"
        rows={Math.min(Math.max(lines, 3), 12)}
        value={website.snippet}
      />
      <div class="cc-install-actions">
        <button
          type="button"
          class="cc-button cc-button-primary"
          ref={buttonRef}
          data-testid="install-copy"
          onClick={() => void onCopy()}
        >
          {copy === "copied" ? "Copied" : "Copy"}
          <span class="cc-sr-only"> snippet for {website.name}</span>
        </button>
        <span
          role="status"
          aria-live="polite"
          class={copy === "failed" ? "cc-form-error" : "cc-sr-only"}
          data-testid="install-copy-status"
        >
          {copy === "copied"
            ? `Snippet for ${website.name} copied to the clipboard.`
            : copy === "failed"
              ? "Could not copy. The snippet is selected: press Ctrl+C (⌘C on a Mac)."
              : ""}
        </span>
      </div>
    </section>
  );
}
