// The pre-chat form, the offline message form and the in-conversation email
// question. Fields are checked here before anything is sent; what the server
// still refuses comes back through view.formErrors / view.emailError. Each
// error is tied to its field (aria-invalid, aria-describedby) and the first
// wrong field gets the focus.

import { useEffect, useRef, useState } from "preact/hooks";
import { check, fieldOf, knownValue, readForm, type FieldSpec, type FormValues } from "./fields";
import type { Props } from "./ui";

const BODY = "body";

const fieldId = (key: string) => "sc-f-" + key;
const errorId = (key: string) => "sc-e-" + key;

const AUTOCOMPLETE: Record<string, string> = { name: "name", email: "email", phone: "tel" };

export function ProfileForm({ view, ctl, kind }: Props & { kind: "prechat" | "offline" }) {
  const t = view.locale.t;
  const fields = view.formFields;
  // The fields are not controlled: what they show is what is sent (some autofill fires no
  // input event), and a re-render while the visitor types never puts an older value back.
  // These are only the values they start with.
  const [initial] = useState<FormValues>(() => {
    const v: FormValues = {};
    for (const f of fields) v[f.key] = knownValue(view.profile, f.key);
    v[BODY] = view.draft;
    return v;
  });
  const form = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const focusFirstError = (errs: Record<string, string>) => {
    const first = [...fields.map((f) => f.key), BODY].find((k) => errs[k]);
    if (first) document.getElementById(fieldId(first))?.focus();
  };

  // What the server refused (validation_error, profile_required).
  useEffect(() => {
    if (!Object.keys(view.formErrors).length) return;
    setErrors(view.formErrors);
    focusFirstError(view.formErrors);
  }, [view.formErrors]);

  // A message given back (refused or diverted) goes into the message field.
  useEffect(() => {
    const body = form.current && fieldOf(form.current, BODY);
    if (view.draft && body) body.value = view.draft;
  }, [view.draft]);

  const edited = (key: string) => {
    if (errors[key]) setErrors(({ [key]: _, ...rest }) => rest);
  };

  const bodySpec: FieldSpec = { key: BODY, label: t("message"), type: "text", required: true };

  const submit = (e: Event) => {
    e.preventDefault();
    const specs = [...fields, bodySpec];
    const values = readForm(e.currentTarget as HTMLFormElement, specs);
    const errs: Record<string, string> = {};
    for (const f of specs) {
      const problem = check(f, values[f.key]);
      if (problem) errs[f.key] = t(problem);
    }
    setErrors(errs);
    if (Object.keys(errs).length) return focusFirstError(errs);
    const body = String(values[BODY] ?? "");
    if (kind === "prechat") ctl.submitPrechat(values, body);
    else ctl.submitOffline(values, body);
  };

  const described = (key: string, hint?: string) => {
    const ids = [hint, errors[key] ? errorId(key) : undefined].filter(Boolean).join(" ");
    return ids || undefined;
  };

  const renderField = (f: FieldSpec, i: number) => {
    const id = fieldId(f.key);
    const value = initial[f.key];
    const common = {
      id,
      name: f.key,
      required: f.required,
      "aria-invalid": errors[f.key] ? ("true" as const) : undefined,
      "aria-describedby": described(f.key),
      "data-autofocus": i === 0 ? true : undefined,
    };
    const label = (
      <label for={id}>
        {f.label}
        {!f.required && <span class="sc-opt"> ({t("optional")})</span>}
      </label>
    );
    const error = errors[f.key] && (
      <p class="sc-error" id={errorId(f.key)} data-testid="field-error">
        {errors[f.key]}
      </p>
    );
    if (f.type === "checkbox") {
      return (
        <div class="sc-field sc-check" key={f.key}>
          <input {...common} type="checkbox" defaultChecked={value === true} onChange={() => edited(f.key)} />
          {label}
          {error}
        </div>
      );
    }
    return (
      <div class="sc-field" key={f.key}>
        {label}
        {f.type === "select" ? (
          <select {...common} onChange={() => edited(f.key)}>
            <option value="">{t("choose")}</option>
            {(f.options ?? []).map((o) => (
              <option key={o} value={o} selected={o === value}>
                {o}
              </option>
            ))}
          </select>
        ) : (
          <input
            {...common}
            // A number field stays a text input: a browser would silently blank "12x"
            // instead of letting us say what is wrong with it.
            type={(f.type === "number" ? "text" : f.type) as "text"}
            inputMode={f.type === "number" ? "decimal" : undefined}
            autocomplete={AUTOCOMPLETE[f.key] ?? "off"}
            defaultValue={String(value ?? "")}
            onInput={() => edited(f.key)}
          />
        )}
        {error}
      </div>
    );
  };

  return (
    <form ref={form} class="sc-form" noValidate onSubmit={submit} data-testid={kind + "-form"}>
      {kind === "prechat" && <p class="sc-intro">{t("prechatIntro")}</p>}
      {fields.map(renderField)}
      <div class="sc-field">
        <label for={fieldId(BODY)}>{t("message")}</label>
        <textarea
          id={fieldId(BODY)}
          name={BODY}
          rows={3}
          required
          data-autofocus={fields.length ? undefined : true}
          aria-invalid={errors[BODY] ? "true" : undefined}
          aria-describedby={described(BODY)}
          defaultValue={String(initial[BODY] ?? "")}
          onInput={() => edited(BODY)}
        />
        {errors[BODY] && (
          <p class="sc-error" id={errorId(BODY)} data-testid="field-error">
            {errors[BODY]}
          </p>
        )}
      </div>
      <button type="submit" class="sc-button" data-testid={kind + "-submit"} disabled={!view.canSend}>
        {kind === "prechat" ? t("start") : t("offlineSend")}
      </button>
    </form>
  );
}

export function EmailCard({ view, ctl }: Props) {
  const t = view.locale.t;
  const input = useRef<HTMLInputElement>(null);
  const id = "sc-ask-email";
  // A refused address: back to the field, which now says what is wrong.
  useEffect(() => {
    if (view.emailError) input.current?.focus();
  }, [view.emailError]);
  return (
    <li class="sc-card" data-testid="email-ask">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          // What the field shows, however it got there (some autofill fires no input event).
          ctl.submitEmail(input.current?.value ?? "");
        }}
      >
        <label for={id}>{t("askEmail")}</label>
        <div class="sc-row">
          {/* Not controlled: a re-render (a frame arriving while the visitor types) never
              puts an older value back. The controller keeps what was typed, for a new card
              (e.g. after a look at the past conversations). */}
          <input
            id={id}
            ref={input}
            type="email"
            autocomplete="email"
            defaultValue={view.emailDraft}
            aria-invalid={view.emailError ? "true" : undefined}
            aria-describedby={view.emailError ? id + "-e" : undefined}
            onInput={(e) => ctl.typeEmail(e.currentTarget.value)}
          />
          <button type="submit" class="sc-button" data-testid="email-save">
            {t("save")}
          </button>
        </div>
        {view.emailError && (
          <p class="sc-error" id={id + "-e"} data-testid="field-error">
            {t(view.emailError)}
          </p>
        )}
        <button type="button" class="sc-link" onClick={() => ctl.declineEmail()}>
          {t("noThanks")}
        </button>
      </form>
    </li>
  );
}
