// Bundles the console for the broker binary: src/main.tsx (with its CSS and
// uPlot's) into app-<hash>.js and app-<hash>.css, and index.html naming
// them. The broker serves the hashed files as immutable and index.html as
// always revalidated (CMake embeds the output directory: console/CMakeLists.txt).
//
//   node build.mjs [--out DIR]     (default: dist)
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const argv = process.argv.slice(2);
const outIndex = argv.indexOf("--out");
const out = outIndex >= 0 ? argv[outIndex + 1] : "dist";

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: "src/main.tsx" },
  bundle: true,
  minify: true,
  sourcemap: false,
  target: ["es2020"],
  format: "esm",
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  outdir: out,
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
});

const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
const js = files.find((f) => f.endsWith(".js"));
const css = files.find((f) => f.endsWith(".css"));
if (!js || !css) throw new Error("esbuild produced no app bundle: " + files.join(", "));

const html = readFileSync("src/index.html", "utf8")
  .replace("%APP_JS%", js)
  .replace("%APP_CSS%", css);
writeFileSync(join(out, "index.html"), html);
console.log(`console: ${out}/{index.html,${js},${css}}`);
