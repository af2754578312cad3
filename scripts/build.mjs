// Builds the widget (loader, launcher, panel) and the agent console into
// src/sitechat/static/, where the Python server serves them from.
//
//   node scripts/build.mjs           one production build, prints sizes, enforces budgets
//   node scripts/build.mjs --watch   rebuild on change (development: unminified, inline source maps)
//
// Every output except widget/loader.js is content-hashed ("[name]-[hash]") and
// served as immutable; the loader is the stable URL in every install snippet
// and learns the launcher's hashed path at build time (esbuild `define`).
// Next to each JS/CSS file go `X.gz` and `X.br` (maximum compression), and
// static/manifest.json maps logical names to the hashed files:
//   {"widget/launcher.js": "widget/launcher-HASH.js", ...}
// Outputs of earlier builds are deleted.
//
// The build fails when the widget outgrows its budgets (DESIGN.md "Budgets"),
// measured as the gzip files we serve:
//   loader <= 2 KB; loader + launcher JS + launcher CSS (everything before the
//   first open) <= 10 KB; panel JS + CSS <= 25 KB.

import * as esbuild from "esbuild";
import { copyFileSync, readdirSync, readFileSync, rmSync, watch as fsWatch, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zc, gzipSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const staticDir = path.join(root, "src", "sitechat", "static");
const widgetDir = path.join(staticDir, "widget");
const consoleDir = path.join(staticDir, "console");
const watching = process.argv.includes("--watch");

// The PRD's browsers: Chrome 90+, Firefox 88+, Safari 14+, Edge 90+, iOS Safari
// (14+) and Chrome for Android (same engine and versions as chrome90).
const target = ["chrome90", "firefox88", "safari14", "edge90", "ios14"];

const BUDGETS = [
  { what: "loader", files: ["widget/loader.js"], limit: 2048 },
  {
    what: "before first open (loader + launcher)",
    files: ["widget/loader.js", "widget/launcher.js", "widget/launcher.css"],
    limit: 10 * 1024,
  },
  { what: "panel", files: ["widget/panel.js", "widget/panel.css"], limit: 25 * 1024 },
];

/** @returns {import("esbuild").BuildOptions} */
function common(dev) {
  return {
    absWorkingDir: root,
    bundle: true,
    minify: !dev,
    sourcemap: dev ? "inline" : false,
    format: "iife",
    target,
    // esbuild cannot lower destructuring and refuses "safari14" because Safari
    // < 14.1 mishandles one case of it: array *rest* patterns (`[a, ...rest] = x`,
    // babel/babel#17773). Everything else works there, so allow destructuring and
    // keep array rest patterns out of our code.
    supported: { destructuring: true },
    charset: "utf8",
    jsx: "automatic",
    jsxImportSource: "preact",
    logLevel: "warning",
    metafile: true,
    entryNames: "[name]-[hash]",
  };
}

/** Path under static/, with forward slashes (as URLs and the manifest use them). */
const rel = (abs) => path.relative(staticDir, path.resolve(root, abs)).split(path.sep).join("/");

/** Outputs of one esbuild result: { js, css } for its (single) entry point, as paths under static/. */
function entryOutputs(result) {
  const out = {};
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (file.endsWith(".js") && meta.entryPoint) {
      out.js = rel(file);
      if (meta.cssBundle) out.css = rel(meta.cssBundle);
    } else if (file.endsWith(".css") && !out.css) out.css = rel(file);
  }
  return out;
}

function compress(file, dev) {
  const buf = readFileSync(file);
  // Development builds are not served compressed (and brotli at quality 11 is slow).
  if (dev) return { raw: buf.length, gzip: "-", br: "-" };
  const gz = gzipSync(buf, { level: 9 });
  const br = brotliCompressSync(buf, {
    params: {
      [zc.BROTLI_PARAM_QUALITY]: zc.BROTLI_MAX_QUALITY,
      [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_TEXT,
      [zc.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  });
  writeFileSync(file + ".gz", gz);
  writeFileSync(file + ".br", br);
  return { raw: buf.length, gzip: gz.length, br: br.length };
}

/** Deletes JS/CSS (and their .gz/.br/.map) in `dir` that this build did not write. */
function deleteStale(dir, keep) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const gone = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (!/\.(js|css)(\.map)?(\.gz|\.br)?$/.test(name)) continue;
    if (keep.has(file.replace(/\.(gz|br)$/, ""))) continue;
    rmSync(file, { force: true });
    gone.push(rel(file));
  }
  return gone;
}

async function buildOnce(dev) {
  const opts = common(dev);
  const manifest = {};

  // 1. Launcher CSS first: its text goes into the launcher JS (constructed
  //    stylesheet) and its hashed name too (the <link> fallback).
  const cssResult = await esbuild.build({
    ...opts,
    sourcemap: false,
    entryPoints: [{ in: "widget/src/launcher.css", out: "launcher" }],
    outdir: widgetDir,
  });
  manifest["widget/launcher.css"] = entryOutputs(cssResult).css;
  const cssText = readFileSync(path.join(staticDir, manifest["widget/launcher.css"]), "utf8").trim();

  // 2. Launcher JS.
  const launcherResult = await esbuild.build({
    ...opts,
    entryPoints: [{ in: "widget/src/launcher.ts", out: "launcher" }],
    outdir: widgetDir,
    define: {
      __LAUNCHER_CSS__: JSON.stringify(cssText),
      __LAUNCHER_CSS_FILE__: JSON.stringify(manifest["widget/launcher.css"]),
    },
  });
  manifest["widget/launcher.js"] = entryOutputs(launcherResult).js;

  // 3. Loader: the one stable name.
  await esbuild.build({
    ...opts,
    entryPoints: [{ in: "widget/src/loader.ts", out: "loader" }],
    outdir: widgetDir,
    entryNames: "[name]",
    define: { __LAUNCHER_JS__: JSON.stringify(manifest["widget/launcher.js"]) },
  });

  // 4. Panel (inside the iframe) and console.
  for (const [entry, dir, name] of [
    ["widget/src/panel.tsx", widgetDir, "widget/panel"],
    ["console/src/main.tsx", consoleDir, "console/console"],
  ]) {
    const result = await esbuild.build({
      ...opts,
      entryPoints: [{ in: entry, out: path.basename(name) }],
      outdir: dir,
    });
    const out = entryOutputs(result);
    manifest[name + ".js"] = out.js;
    if (out.css) manifest[name + ".css"] = out.css;
  }

  // 5. The console's service worker (web push): a stable name, as its URL is registered
  //    in browsers; the server serves it at /console/sw.js (scope /console).
  await esbuild.build({
    ...opts,
    entryPoints: [{ in: "console/src/notify/sw.ts", out: "sw" }],
    outdir: consoleDir,
    entryNames: "[name]",
  });

  // Compress, write the manifest, forget earlier builds.
  const files = { "widget/loader.js": "widget/loader.js", "console/sw.js": "console/sw.js", ...manifest };
  const sizes = {};
  for (const [logical, real] of Object.entries(files)) sizes[logical] = { real, ...compress(path.join(staticDir, real), dev) };
  // The previous build's bundles stay one more build: a page that loaded the old loader
  // (cached for up to 5 minutes) must still find the launcher and panel it names.
  const manifestPath = path.join(staticDir, "manifest.json");
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch {
    // First build, or an unreadable manifest: nothing to keep.
  }
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  const keep = new Set([...Object.values(previous), ...Object.values(files)].map((f) => path.join(staticDir, f)));
  // The API's type declarations ship with the server too (GET /widget/sitechat.d.ts),
  // matching the widget that server delivers.
  const dts = path.join(widgetDir, "sitechat.d.ts");
  copyFileSync(path.join(root, "widget", "sitechat.d.ts"), dts);
  keep.add(dts);
  const gone = [...deleteStale(widgetDir, keep), ...deleteStale(consoleDir, keep)];
  return { sizes, gone };
}

function report({ sizes, gone }, dev) {
  const pad = (v, n) => String(v).padStart(n);
  console.log(`${"file (under src/sitechat/static/)".padEnd(40)} ${pad("raw", 8)} ${pad("gzip", 7)} ${pad("brotli", 7)}`);
  for (const s of Object.values(sizes)) console.log(`${s.real.padEnd(40)} ${pad(s.raw, 8)} ${pad(s.gzip, 7)} ${pad(s.br, 7)}`);
  if (gone.length) console.log(`deleted ${gone.length} stale file(s) from earlier builds`);

  if (dev) {
    console.log("(development build: unminified, not compressed, budgets not checked)\n");
    return [];
  }
  const failures = [];
  console.log("\nbudgets (gzip):");
  for (const b of BUDGETS) {
    const total = b.files.reduce((n, f) => n + (sizes[f] ? sizes[f].gzip : 0), 0);
    const ok = total <= b.limit;
    console.log(`  ${ok ? "ok  " : "OVER"} ${b.what.padEnd(40)} ${pad(total, 6)} B / ${b.limit} B`);
    if (!ok) failures.push(`${b.what} (${b.files.join(" + ")}): ${total} B gzip > budget ${b.limit} B`);
  }
  return failures;
}

if (watching) {
  let timer;
  let running = Promise.resolve();
  const rebuild = () => {
    running = running.then(async () => {
      try {
        report(await buildOnce(true), true);
      } catch (e) {
        // esbuild already printed the errors; keep watching.
        if (!e.errors) console.error(e);
      }
    });
  };
  rebuild();
  for (const dir of ["widget/src", "console/src"]) {
    fsWatch(path.join(root, dir), { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(rebuild, 100);
    });
  }
  console.log("watching widget/src and console/src … (Ctrl+C to stop)");
} else {
  let result;
  try {
    result = await buildOnce(false);
  } catch (e) {
    if (!e.errors) console.error(e);
    process.exit(1);
  }
  const failures = report(result, false);
  if (failures.length) {
    console.error(`\nover budget:\n  ${failures.join("\n  ")}`);
    process.exit(1);
  }
}
