// A visitor's avatar for notifications: initials on a colour picked from the name, drawn
// to a PNG data URL (desktop notifications need an image URL; visitors have no photo).

const COLORS = ["#4F46E5", "#0F766E", "#B45309", "#BE185D", "#1D4ED8", "#15803D", "#7C3AED"];
const cache = new Map<string, string>();

export function initials(name: string): string {
  const parts = name.replace(/@.*/, "").split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0]![0]! + parts[1]![0]! : (parts[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

export function avatarFor(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const g = canvas.getContext("2d");
  if (!g) return "";
  g.fillStyle = COLORS[h % COLORS.length]!;
  g.beginPath();
  g.arc(32, 32, 32, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = "#FFFFFF";
  g.font = "bold 26px sans-serif";
  g.textAlign = "center";
  g.textBaseline = "middle";
  g.fillText(initials(name), 32, 34);
  const url = canvas.toDataURL("image/png");
  if (cache.size > 200) cache.clear();
  cache.set(name, url);
  return url;
}
