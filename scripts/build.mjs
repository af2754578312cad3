// Builds the widget (loader + panel) and the agent console into
// src/sitechat/static/, where the Python server serves them from.
//
//   node scripts/build.mjs           one production build, prints sizes
//   node scripts/build.mjs --watch   rebuild on change (development)
//
// The build fails when the loader or the panel outgrows its budget
// (docs: DESIGN.md "Budgets").

import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const staticDir = path.join(root, "src", "sitechat", "static");
const watch = process.argv.includes("--watch");

// Browsers from the PRD's support list.
const target = ["chrome90", "firefox88", "safari14", "edge90"];

/** @type {import("esbuild").BuildOptions} */
const common = {
  absWorkingDir: root,
  bundle: true,
  minify: !watch,
  sourcemap: watch ? "inline" : false,
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
};

/** Each build, with gzip budgets (bytes) for the files it writes. */
const builds = [
  {
    name: "widget loader",
    options: {
      entryPoints: [{ in: "widget/src/loader.ts", out: "loader" }],
      outdir: path.join(staticDir, "widget"),
    },
    budgets: { "loader.js": 2048 },
  },
  {
    name: "widget panel",
    options: {
      entryPoints: [{ in: "widget/src/panel.tsx", out: "panel" }],
      outdir: path.join(staticDir, "widget"),
    },
    // "panel after open" budget, JS and CSS together.
    budgets: { "panel.js+panel.css": 25 * 1024 },
  },
  {
    name: "agent console",
    options: {
      entryPoints: [{ in: "console/src/main.tsx", out: "console" }],
      outdir: path.join(staticDir, "console"),
    },
    budgets: {},
  },
];

function sizes(file) {
  const buf = readFileSync(file);
  return { raw: buf.length, gzip: gzipSync(buf).length };
}

function report(build, result) {
  const rows = [];
  const byName = {};
  for (const out of Object.keys(result.metafile.outputs)) {
    const abs = path.resolve(root, out);
    const s = sizes(abs);
    byName[path.basename(abs)] = s;
    rows.push(`  ${path.relative(root, abs).padEnd(44)} ${String(s.raw).padStart(7)} B  ${String(s.gzip).padStart(6)} B gzip`);
  }
  console.log(`${build.name}:\n${rows.join("\n")}`);

  const failures = [];
  for (const [names, limit] of Object.entries(build.budgets)) {
    const total = names.split("+").reduce((n, f) => n + (byName[f]?.gzip ?? 0), 0);
    if (total > limit) failures.push(`${names}: ${total} B gzip > budget ${limit} B`);
  }
  return failures;
}

if (watch) {
  for (const build of builds) {
    const ctx = await esbuild.context({
      ...common,
      ...build.options,
      plugins: [
        {
          name: "report",
          setup(b) {
            b.onEnd((result) => {
              if (result.errors.length === 0) report(build, result);
            });
          },
        },
      ],
    });
    await ctx.watch();
  }
  console.log("watching widget/ and console/ … (Ctrl+C to stop)");
} else {
  const failures = [];
  for (const build of builds) {
    const result = await esbuild.build({ ...common, ...build.options });
    failures.push(...report(build, result));
  }
  if (failures.length) {
    console.error(`\nover budget:\n  ${failures.join("\n  ")}`);
    process.exit(1);
  }
}
