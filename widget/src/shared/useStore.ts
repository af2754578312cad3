// Subscribing a Preact component to a ViewStore (store.ts) without losing a change.

import { useLayoutEffect, useState } from "preact/hooks";
import type { ViewStore } from "./store";

/**
 * The store's current view, re-rendered on every change. A passive effect (useEffect)
 * subscribes only after the browser paints — in a hidden iframe that can be 100 ms later —
 * and a change made in between (the panel's init, its welcome) was lost until the next
 * one: a returning visitor's panel could stay on "Connecting…" although connected. So the
 * subscription is made as soon as the component is in the DOM, and a view that changed
 * meanwhile is rendered at once.
 */
export function useStore<V>(store: ViewStore<V>): V {
  const [, setTick] = useState(0);
  const rendered = store.view;
  useLayoutEffect(() => {
    const unsubscribe = store.subscribe(() => setTick((t) => t + 1));
    if (store.view !== rendered) setTick((t) => t + 1);
    return unsubscribe;
  }, [store]);
  return store.view;
}
