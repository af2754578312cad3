// fetch wrapper for the console's same-origin REST calls: JSON in and out,
// the session cookie, the CSRF header on writes, and typed errors.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The server's stable error code, e.g. "invalid_credentials". */
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail || code);
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

let csrfToken = "";
let onUnauthorized: (() => void) | null = null;

/** Remember the token from /auth/me or /auth/login for later writes. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a call outside /auth/ answers 401: the session is gone. */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // Every cookie-authenticated write carries the CSRF token.
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;

  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network_error", "Cannot reach the server.");
  }
  const data: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data ?? {}) as { error?: string; detail?: unknown };
    if (res.status === 401 && !path.startsWith("/api/v1/auth/")) onUnauthorized?.();
    throw new ApiError(
      res.status,
      err.error ?? `http_${res.status}`,
      typeof err.detail === "string" ? err.detail : "",
    );
  }
  return data as T;
}

/** Build "?a=1&b=2", skipping undefined values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
