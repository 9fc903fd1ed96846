// `npm run build` (and so `npm pack`): the `edgetoken` executable, dist/cli.js, bundled from
// cli/index.ts with the broker's configuration code it checks with. Its dependencies (valibot,
// jose) stay imports of the installed package's own. The core entry (dist/index.js) is untouched.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("../cli/index.ts", import.meta.url).pathname],
  outfile: new URL("../dist/cli.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["valibot", "jose"],
  banner: { js: "#!/usr/bin/env node" },
  legalComments: "none",
  logLevel: "warning",
});
