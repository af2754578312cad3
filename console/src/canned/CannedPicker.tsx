// The "/" menu of the reply box: typing "/" and a few letters lists the matching saved
// replies; arrows choose, Enter or Tab inserts (variables filled in), Escape closes.

import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { type Canned, type CannedContext, cannedFor, matchCanned, renderCanned, slashQuery, websiteNames } from "./canned";

export interface CannedPicker {
  /** Let the picker take a key of the reply box first; true when it did. */
  onKeyDown(e: KeyboardEvent): boolean;
  popup: JSX.Element | null;
  /** For aria-controls / aria-activedescendant on the reply box. */
  open: boolean;
  activeId: string | undefined;
}

const LIST_ID = "cc-canned-list";

export function useCannedPicker(
  websiteId: string,
  text: string,
  ctx: Omit<CannedContext, "website">,
  insert: (text: string) => void,
): CannedPicker {
  const [items, setItems] = useState<Canned[]>([]);
  const [siteName, setSiteName] = useState("");
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const typed = slashQuery(text);

  useEffect(() => {
    if (typed === null) return;
    let live = true;
    // Both before the menu shows: a reply inserted at once still knows {{website.name}}.
    Promise.all([cannedFor(websiteId), websiteNames().catch(() => new Map<string, string>())]).then(
      ([list, names]) => {
        if (!live) return;
        setSiteName(names.get(websiteId) ?? "");
        setItems(list);
      },
      () => live && setItems([]),
    );
    return () => {
      live = false;
    };
  }, [websiteId, typed === null]);

  const matches = useMemo(() => (typed === null ? [] : matchCanned(items, typed)), [items, typed]);
  useEffect(() => setActive(0), [typed]);
  const open = typed !== null && dismissed !== text && matches.length > 0;

  const choose = (c: Canned) => {
    insert(renderCanned(c.body, { ...ctx, website: { name: siteName } }));
  };

  const onKeyDown = (e: KeyboardEvent): boolean => {
    if (!open) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + step + matches.length) % matches.length);
      return true;
    }
    if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") {
      const c = matches[Math.min(active, matches.length - 1)];
      if (!c) return false;
      e.preventDefault();
      choose(c);
      return true;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      setDismissed(text);
      return true;
    }
    return false;
  };

  const popup = open ? (
    <ul class="cc-canned" id={LIST_ID} role="listbox" aria-label="Saved replies" data-testid="canned-menu">
      {matches.map((c, i) => (
        <li
          key={c.id}
          id={`cc-canned-${c.id}`}
          role="option"
          aria-selected={i === active}
          class={i === active ? "cc-canned-item cc-canned-active" : "cc-canned-item"}
          data-testid="canned-option"
          // mousedown, not click: the reply box keeps its focus.
          onMouseDown={(e) => {
            e.preventDefault();
            choose(c);
          }}
        >
          <span class="cc-canned-shortcut">/{c.shortcut}</span> <span class="cc-canned-title">{c.title}</span>
          {c.scope === "shared" && <span class="cc-canned-badge">shared</span>}
          <span class="cc-canned-body">{c.body}</span>
        </li>
      ))}
    </ul>
  ) : null;

  return {
    onKeyDown,
    popup,
    open,
    activeId: open && matches[active] ? `cc-canned-${matches[active].id}` : undefined,
  };
}

export const CANNED_LIST_ID = LIST_ID;
