// Tab alerts: the favicon carries the unread alert count, and while the tab is hidden
// the title blinks "(3) New Messages - Original Title" until the agent comes back.

const BLINK_MS = 1000;

let baseTitle = "";
let blinkTimer: ReturnType<typeof setInterval> | undefined;
let shown = false;

function iconLink(): HTMLLinkElement {
  let link = document.querySelector<HTMLLinkElement>("link[rel~='icon']");
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    document.head.appendChild(link);
  }
  return link;
}

/** A 32x32 PNG: a speech bubble, with a red badge and the count when there is one. */
export function drawIcon(count: number): string {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 32;
  const g = canvas.getContext("2d");
  if (!g) return "";
  g.fillStyle = "#4F46E5";
  g.beginPath();
  g.arc(14, 14, 12, 0, Math.PI * 2);
  g.fill();
  g.fillRect(6, 20, 8, 8);
  if (count > 0) {
    const label = count > 99 ? "99+" : String(count);
    g.fillStyle = "#DC2626";
    g.beginPath();
    g.arc(22, 10, 10, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#FFFFFF";
    g.font = `bold ${label.length > 2 ? 9 : label.length > 1 ? 12 : 15}px sans-serif`;
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(label, 22, 11);
  }
  return canvas.toDataURL("image/png");
}

export function setBadge(count: number): void {
  const link = iconLink();
  const href = drawIcon(count);
  if (href) link.href = href;
  link.dataset.count = String(count);
}

export function titleFor(count: number, original: string): string {
  return `(${count}) New Messages - ${original}`;
}

let currentAlt = "";

/** Blink while hidden; `count` is shown in the blinking title (updated if already blinking). */
export function startBlink(count: number): void {
  if (!blinkTimer) baseTitle = document.title;
  currentAlt = titleFor(count, baseTitle);
  if (blinkTimer) {
    if (shown) document.title = currentAlt;
    return;
  }
  shown = true;
  document.title = currentAlt;
  blinkTimer = setInterval(() => {
    shown = !shown;
    document.title = shown ? currentAlt : baseTitle;
  }, BLINK_MS);
}

export function stopBlink(): void {
  if (blinkTimer) clearInterval(blinkTimer);
  blinkTimer = undefined;
  if (baseTitle) document.title = baseTitle;
  shown = false;
}

export function blinking(): boolean {
  return blinkTimer !== undefined;
}
