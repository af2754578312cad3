// Small building blocks of the admin pages: labelled fields with their errors,
// a confirm dialog, a copy-once secret box, and hash navigation.

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { copyText } from "../components/InstallDialog";
import { type FieldError, errorText } from "./api";

/** Field path -> message, from a 422's `fields`. */
export type Errors = Record<string, string>;

export function toErrors(fields: FieldError[]): Errors {
  const out: Errors = {};
  for (const f of fields) if (!(f.field in out)) out[f.field] = f.message;
  return out;
}

/** A DOM id for a field path ("prechat.custom_fields.0.key" -> "f-prechat-custom_fields-0-key"). */
export const fieldId = (prefix: string, path: string): string => `${prefix}-${path.replace(/[^A-Za-z0-9_-]/g, "-")}`;

/** The accessibility attributes of a control: its hint and error, and whether it is invalid. */
export function describe(id: string, error: string | undefined, hint?: boolean) {
  const by = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return {
    id,
    "aria-invalid": error ? ("true" as const) : undefined,
    "aria-describedby": by || undefined,
  };
}

export function FieldMessage({ id, error, alert = true }: { id: string; error: string | undefined; alert?: boolean }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} class="cc-field-error" role={alert ? "alert" : undefined} data-testid="field-error">
      {error}
    </p>
  );
}

interface FieldProps {
  id: string;
  label: ComponentChildren;
  error?: string | undefined;
  hint?: ComponentChildren;
  /** Inline errors announce themselves unless a form-level summary does. */
  alert?: boolean;
  class?: string;
  children: ComponentChildren;
}

/** A label, the control (given by the caller, with `describe(id, …)`), its hint and error. */
export function Field({ id, label, error, hint, alert, class: cls, children }: FieldProps) {
  return (
    <div class={`cc-field${error ? " cc-field-invalid" : ""}${cls ? ` ${cls}` : ""}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} class="cc-field-hint">
          {hint}
        </p>
      )}
      <FieldMessage id={id} error={error} alert={alert ?? true} />
    </div>
  );
}

/** A checkbox with its label after it. */
export function Check({
  id,
  label,
  checked,
  onChange,
  error,
  hint,
  disabled,
}: {
  id: string;
  label: ComponentChildren;
  checked: boolean;
  onChange: (v: boolean) => void;
  error?: string | undefined;
  hint?: ComponentChildren;
  disabled?: boolean;
}) {
  return (
    <div class={`cc-check${error ? " cc-field-invalid" : ""}`}>
      <input
        type="checkbox"
        {...describe(id, error, !!hint)}
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} class="cc-field-hint">
          {hint}
        </p>
      )}
      <FieldMessage id={id} error={error} alert={false} />
    </div>
  );
}

/** A form-level failure that is not about one field. */
export function FormError({ error }: { error: string }) {
  if (!error) return null;
  return (
    <p class="cc-form-error" role="alert" data-testid="form-error">
      {error}
    </p>
  );
}

/** A polite "Saved." after a success. */
export function Status({ text }: { text: string }) {
  return (
    <span class="cc-admin-status" role="status" aria-live="polite" data-testid="form-status">
      {text}
    </span>
  );
}

// ---- navigation ---------------------------------------------------------------

function currentHash(): string {
  return window.location.hash;
}

/** The location hash, re-rendering on change. */
export function useHash(): string {
  const [hash, setHash] = useState(currentHash);
  useEffect(() => {
    const on = () => setHash(currentHash());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return hash;
}

export function navigate(hash: string): void {
  if (window.location.hash !== hash) window.location.hash = hash;
}

// ---- confirm dialog -------------------------------------------------------------

interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** Throw to keep the dialog open with the error shown. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/** A modal question; Cancel has the focus so Enter never destroys by accident. */
export function ConfirmDialog({ title, children, confirmLabel, danger, onConfirm, onClose }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const titleId = useRef(`cc-confirm-${Math.random().toString(36).slice(2)}`).current;

  useEffect(() => {
    opener.current = document.activeElement;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    cancelRef.current?.focus();
    return () => {
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);

  const confirm = async () => {
    setBusy(true);
    setError("");
    try {
      await onConfirm();
      ref.current?.close();
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      class="cc-dialog cc-confirm"
      aria-labelledby={titleId}
      data-testid="confirm-dialog"
      onClose={onClose}
    >
      <header class="cc-dialog-header">
        <h2 id={titleId}>{title}</h2>
      </header>
      <div class="cc-confirm-body">{children}</div>
      <FormError error={error} />
      <div class="cc-confirm-actions">
        <button type="button" class="cc-button" ref={cancelRef} onClick={() => ref.current?.close()}>
          Cancel
        </button>
        <button
          type="button"
          class={danger ? "cc-button cc-button-danger" : "cc-button cc-button-primary"}
          data-testid="confirm-ok"
          disabled={busy}
          onClick={() => void confirm()}
        >
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

// ---- a secret shown once ---------------------------------------------------------

/** A read-only value with a Copy button (API keys, invite links, identity secrets). */
export function CopyBox({ id, label, value, testId }: { id: string; label: string; value: string; testId?: string }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = async () => {
    window.clearTimeout(timer.current);
    // copyText's fallback selects a textarea; an input works the same way.
    const ok = await copyText(value, inputRef.current as unknown as HTMLTextAreaElement | null);
    setState(ok ? "copied" : "failed");
    if (ok) timer.current = window.setTimeout(() => setState("idle"), 2000);
  };
  return (
    <div class="cc-copybox">
      <label for={id}>{label}</label>
      <div class="cc-copybox-row">
        <input
          id={id}
          ref={inputRef}
          class="cc-copybox-value"
          data-testid={testId}
          readOnly
          spellcheck={false}
          value={value}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" class="cc-button cc-button-primary" onClick={() => void copy()}>
          {state === "copied" ? "Copied" : "Copy"}
          <span class="cc-sr-only"> {label}</span>
        </button>
      </div>
      <span role="status" aria-live="polite" class={state === "failed" ? "cc-form-error" : "cc-sr-only"}>
        {state === "copied"
          ? `${label} copied to the clipboard.`
          : state === "failed"
            ? "Could not copy. The value is selected: press Ctrl+C (⌘C on a Mac)."
            : ""}
      </span>
    </div>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Loading/failed states of a page's data. */
export type Loaded<T> = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; data: T };

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [value, setValue] = useState<Loaded<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setValue({ state: "ready", data }),
      (e: unknown) => live && setValue({ state: "error", message: errorText(e) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [value, () => setTick((t) => t + 1)];
}

export function LoadState({ loaded, what, onRetry }: { loaded: Loaded<unknown>; what: string; onRetry: () => void }) {
  if (loaded.state === "loading")
    return (
      <p class="cc-muted" role="status">
        Loading {what}…
      </p>
    );
  if (loaded.state === "error")
    return (
      <p class="cc-form-error" role="alert">
        Could not load {what}: {loaded.message}{" "}
        <button type="button" class="cc-link" onClick={onRetry}>
          Try again
        </button>
      </p>
    );
  return null;
}
