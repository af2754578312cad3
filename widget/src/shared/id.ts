/**
 * A random id of 16 characters [a-z0-9] (about 82 bits) for tracking: the tab id (one per
 * loaded document) and page-view ids. The server accepts 8 to 40 of [A-Za-z0-9_-].
 * Tiny on purpose: the loader carries it (2 KB budget), and so does the launcher.
 */
export const rid = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => (x % 36).toString(36)).join("");
