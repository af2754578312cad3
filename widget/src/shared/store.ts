// The view-model pattern shared by the panel and the console: a controller owns its
// state, rebuilds an immutable `view` at most once per microtask after changes, and
// tells subscribed components to re-render.

export abstract class ViewStore<V> {
  /** Set by the subclass constructor (`this.view = this.buildView()`). */
  view!: V;

  private readonly listeners = new Set<() => void>();
  private renderQueued = false;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  protected abstract buildView(): V;

  /** Rebuild the view and re-render, at most once per microtask. */
  protected changed(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.view = this.buildView();
      this.listeners.forEach((fn) => fn());
    });
  }

  protected dropListeners(): void {
    this.listeners.clear();
  }
}

/** The `#app` element the server's HTML shell provides, created if missing. */
export function appRoot(): HTMLElement {
  let root = document.getElementById("app");
  if (!root) {
    root = document.createElement("div");
    root.id = "app";
    document.body.appendChild(root);
  }
  return root;
}
