// Bundles the demo checkout page (demo/) into demo/dist/demo/, which the broker serves at /demo/.
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const out = new URL("../demo/dist/demo/", import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL("../demo/checkout.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  outfile: new URL("checkout.js", out).pathname,
  logLevel: "warning",
});
copyFileSync(new URL("../demo/index.html", import.meta.url), new URL("index.html", out));
console.log("demo: built demo/dist/demo/ (index.html, checkout.js)");
