// The npm registry mirror on our machines serves only Linux builds of some platform packages
// (Biome, workerd, Deno), so `npm install` leaves the other platforms' optional binaries out of
// package-lock.json and `npm ci` then refuses the lock ("Missing: … from lock file").
// This records each missing optional platform package with its os/cpu, which is all `npm ci`
// needs to skip it on Linux. Run after changing dependencies: `npm run lock:complete`.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = [
  [/android-arm64$/, ["android"], ["arm64"]],
  [/android-x64$/, ["android"], ["x64"]],
  [/darwin-(arm64)$/, ["darwin"], ["arm64"]],
  [/darwin-(x64|64)$/, ["darwin"], ["x64"]],
  [/linux-arm64-musl$/, ["linux"], ["arm64"], ["musl"]],
  [/linux-x64-musl$/, ["linux"], ["x64"], ["musl"]],
  [/linux-arm64(-glibc|-gnu)?$/, ["linux"], ["arm64"], ["glibc"]],
  [/linux-x64(-glibc|-gnu)?$/, ["linux"], ["x64"], ["glibc"]],
  [/(win32|windows)-arm64$/, ["win32"], ["arm64"]],
  [/(win32|windows)-(x64|64)$/, ["win32"], ["x64"]],
];

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;

function resolves(from, name) {
  // Node's lookup: node_modules of the dependent and each ancestor, up to the root.
  let dir = from;
  for (;;) {
    if (packages[`${dir ? `${dir}/` : ""}node_modules/${name}`]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut === -1 ? "" : dir.slice(0, cut);
  }
}

let added = 0;
for (const [location, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (resolves(location, name)) continue;
    const platform = PLATFORMS.find(([pattern]) => pattern.test(name));
    if (!platform) continue;
    const [, os, cpu, libc] = platform;
    const entry = { version, cpu, dev: meta.dev, optional: true, os };
    if (libc && os[0] === "linux") entry.libc = libc;
    packages[`${location ? `${location}/` : ""}node_modules/${name}`] = entry;
    added++;
  }
}
const [root, ...rest] = Object.entries(packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => a.localeCompare(b))]);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: recorded ${added} optional platform package(s)`);
