// Builds the browser client into ../../assets/web, where the server embeds it with go:embed.
//
//   node build.mjs        the minified bundle: app.js and app.css
//   node build.mjs tests  the tests instead, into .build/test, for `node --test`
import * as esbuild from "esbuild";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "assets", "web");

if (process.argv.includes("tests")) await buildTests();
else await bundle();

async function bundle() {
  // Remove what an earlier build left, keeping the folder's README: go:embed needs one file in
  // it so that a fresh clone builds before any bundle exists.
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) {
    if (f !== "README.txt") rmSync(join(out, f), { recursive: true, force: true });
  }
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: { app: "src/main.ts" },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    outdir: out,
    legalComments: "eof",
    logLevel: "warning",
  });
  for (const f of readdirSync(out).sort()) {
    if (f !== "README.txt") console.log(`web: assets/web/${f} ${statSync(join(out, f)).size} bytes`);
  }
}

async function buildTests() {
  const dir = join(here, ".build", "test");
  rmSync(dir, { recursive: true, force: true });
  const files = readdirSync(join(here, "test")).filter((f) => f.endsWith(".test.ts"));
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: files.map((f) => join("test", f)),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
}
