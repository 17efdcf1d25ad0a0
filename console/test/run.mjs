// The console's unit tests (test/*.test.ts, node:test + node:assert, no
// browser): type-checks them (test/tsconfig.json), bundles each with esbuild
// for node into a temp directory, runs `node --test` on the bundles and exits
// with its status.
//
//   node test/run.mjs [NAME...]     (npm test; NAME: a file name's start, e.g. sql_)
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".test.ts"))
  .filter((f) => !wanted.length || wanted.some((w) => f.startsWith(w)))
  .sort()
  .map((f) => join(here, f));
if (!files.length) {
  console.error("no test files" + (wanted.length ? " for: " + wanted.join(" ") : ""));
  process.exit(1);
}

// The tests' own type check: tsconfig.json's "include" is src only (there
// are no @types/node; test/node.d.ts declares what the tests use).
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const typed = spawnSync(process.execPath, [tsc, "--noEmit", "-p", here], { stdio: "inherit" });
if (typed.status !== 0) process.exit(typed.status ?? 1);

const out = mkdtempSync(join(tmpdir(), "console-tests-"));
let status = 1;
try {
  await build({
    entryPoints: files,
    bundle: true,
    platform: "node",
    format: "esm",
    target: ["node18"],
    sourcemap: "inline",
    outdir: out,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  const bundles = files.map((f) => join(out, basename(f, ".ts") + ".mjs"));
  const run = spawnSync(process.execPath, ["--enable-source-maps", "--test", ...bundles], {
    stdio: "inherit",
  });
  status = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(status);
