/**
 * `npm run bench:all`: every benchmark, each in a process of its own, under Node 22 — the cached
 * path (bench/hot-path.ts), the stampede (bench/stampede.ts), the authenticated fetch
 * (bench/fetch.ts), the broker under `wrangler dev` (bench/broker.ts), the bytes
 * (bench/sizes.ts) and the cached path at scale with the heap per source (bench/heap.ts). Prints a table and writes bench/results.json in the shape issue
 * 14 gives, bench/results-detail.json with the machine, every sample and the baseline's figures,
 * and bench/chart.svg.
 *
 * - `BENCH_BASELINE=<commit>`: also measures that commit's `source.fetch` and broker, in the same
 *   interleaved rounds (before/after on the same load).
 * - `BENCH_ONLY=hot,stampede,fetch,broker,sizes,scale`: a subset; sections not measured keep the
 *   last run's figures. `BENCH_ROUNDS`, `BENCH_SECONDS`: rounds, and seconds per autocannon run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { BrokerResult } from "./broker.ts";
import type { FetchResult } from "./fetch.ts";
import type { HotPathResult } from "./hot-path.ts";
import type { SizesResult } from "./sizes.ts";
import type { StampedeResult } from "./stampede.ts";
import { baselineName, ROOT } from "./support/baseline.ts";
import { chart, type Panel } from "./support/chart.ts";

const only = new Set(
  (process.env.BENCH_ONLY ?? "hot,stampede,fetch,broker,sizes,scale").split(","),
);

function run<T>(script: string, flags: string[] = []): T | null {
  const child = spawnSync(process.execPath, [...flags, join(ROOT, "bench", script)], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = child.stdout.trim().split("\n").at(-1) ?? "";
  if (child.status !== 0 || !last.startsWith("{")) {
    console.error(`${script} failed (exit ${child.status}): ${child.stdout.slice(-2000)}`);
    return null;
  }
  return JSON.parse(last) as T;
}

const started = new Date();
const hot = only.has("hot") ? run<HotPathResult>("hot-path.ts") : null;
const stampede = only.has("stampede") ? run<StampedeResult>("stampede.ts") : null;
const fetched = only.has("fetch") ? run<FetchResult>("fetch.ts") : null;
const broker = only.has("broker") ? run<BrokerResult>("broker.ts") : null;
const sizes = only.has("sizes") ? run<SizesResult>("sizes.ts") : null;
/** bench/heap.ts's last line: one source and 10,000 sources, interleaved, and the heap per source. */
interface ScaleResult {
  hotPath1Ns: number;
  hotPath10kNs: number;
  heapPerSourceBytes: number;
}
const scale = only.has("scale")
  ? (run<{ scale: ScaleResult }>("heap.ts", ["--expose-gc"])?.scale ?? null)
  : null;

// Sections not measured in this run keep what the last run wrote.
const file = join(ROOT, "bench", "results.json");
const previous = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
const results = {
  hotPath: hot
    ? {
        edgetokenNs: hot.edgetokenNs,
        googleNs: hot.googleNs,
        azureNs: hot.azureNs,
        floorAsyncNs: hot.floorAsyncNs,
      }
    : (previous.hotPath ?? {
        edgetokenNs: null,
        googleNs: null,
        azureNs: null,
        floorAsyncNs: null,
      }),
  stampede: stampede
    ? {
        edgetoken: stampede.edgetoken,
        google: stampede.google,
        azure: stampede.azure,
        refreshWindowWaiters: stampede.refreshWindowWaiters,
      }
    : (previous.stampede ?? {
        edgetoken: null,
        google: null,
        azure: null,
        refreshWindowWaiters: null,
      }),
  fetch: fetched
    ? { getRatio: fetched.getRatio, postRatio: fetched.postRatio }
    : (previous.fetch ?? { getRatio: null, postRatio: null }),
  broker: broker
    ? {
        tokenRps: broker.tokenRps,
        introspectRps: broker.introspectRps,
        proxyRps: broker.proxyRps,
        trivialRps: broker.trivialRps,
      }
    : (previous.broker ?? {
        tokenRps: null,
        introspectRps: null,
        proxyRps: null,
        trivialRps: null,
      }),
  sizes: sizes
    ? {
        core: sizes.core,
        coreKvEncrypted: sizes.coreKvEncrypted,
        tokenSource: sizes.tokenSource,
        protocolIpospays: sizes.protocolIpospays,
        protocolOAuth2: sizes.protocolOAuth2,
        broker: sizes.broker,
        oauth4webapi: sizes.oauth4webapi,
        googleAuthLibrary: sizes.googleAuthLibrary,
        azureIdentity: sizes.azureIdentity,
      }
    : (previous.sizes ?? {
        core: null,
        coreKvEncrypted: null,
        tokenSource: null,
        protocolIpospays: null,
        protocolOAuth2: null,
        broker: null,
        oauth4webapi: null,
        googleAuthLibrary: null,
        azureIdentity: null,
      }),
  scale: scale
    ? {
        hotPath1Ns: scale.hotPath1Ns,
        hotPath10kNs: scale.hotPath10kNs,
        heapPerSourceBytes: scale.heapPerSourceBytes,
      }
    : (previous.scale ?? { hotPath1Ns: null, hotPath10kNs: null, heapPerSourceBytes: null }),
};
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
// The detail keeps each section with the run that measured it.
const detailFile = join(ROOT, "bench", "results-detail.json");
const before = existsSync(detailFile) ? JSON.parse(readFileSync(detailFile, "utf8")) : {};
const runInfo = {
  at: started.toISOString(),
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  baseline: baselineName() ?? null,
};
const section = (name: string, value: unknown) =>
  value === null ? (before[name] ?? null) : { run: runInfo, ...(value as object) };
writeFileSync(
  detailFile,
  `${JSON.stringify(
    {
      hotPath: section("hotPath", hot),
      stampede: section("stampede", stampede),
      fetch: section("fetch", fetched),
      broker: section("broker", broker),
      sizes: section("sizes", sizes),
      scale: section("scale", scale === null ? null : { script: "heap.ts", ...scale }),
    },
    null,
    2,
  )}\n`,
);

const rows: Array<[string, string]> = [];
const fixed = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined ? "—" : value.toFixed(digits);
if (hot) {
  rows.push(
    ["cached get(): edgetoken", `${fixed(hot.edgetokenNs)} ns`],
    ["cached get(): google-auth-library", `${fixed(hot.googleNs)} ns`],
    ["cached get(): @azure/identity", `${fixed(hot.azureNs)} ns`],
    ["cached get(): awaited Map lookup", `${fixed(hot.floorAsyncNs)} ns`],
  );
}
if (stampede) {
  const states = (counts: readonly number[]) => counts.join(" / ");
  rows.push(
    ["stampede, 1,000 callers: edgetoken calls", states(stampede.edgetoken)],
    ["  google-auth-library calls", states(stampede.google)],
    ["  @azure/identity calls", states(stampede.azure)],
    [
      "  waiters in the refresh window",
      `edgetoken ${stampede.waiters.edgetoken}, google ${stampede.waiters.google}, azure ${stampede.waiters.azure}`,
    ],
  );
}
if (fetched) {
  rows.push(
    ["source.fetch GET / plain fetch", `${fixed(fetched.getRatio, 2)}×`],
    ["source.fetch POST 1 KB / plain fetch", `${fixed(fetched.postRatio, 2)}×`],
    [
      "  google client.fetch GET / POST",
      `${fixed(fetched.google.getRatio, 2)}× / ${fixed(fetched.google.postRatio, 2)}×`,
    ],
  );
  if (fetched.baseline) {
    rows.push(
      ["  baseline GET / plain fetch", `${fixed(fetched.baseline.getRatio, 2)}×`],
      ["  baseline POST / plain fetch", `${fixed(fetched.baseline.postRatio, 2)}×`],
    );
  }
}
if (broker) {
  // req/s and their ratio; then the ratio by CPU per request (bench/broker.ts, `cpuRatio`).
  const ratio = (rps: number, target?: string) => {
    const byCpu = target === undefined ? undefined : broker.cpuRatio?.[target];
    const cpu =
      byCpu === undefined
        ? ""
        : `; by CPU ${fixed(byCpu, 2)}×, ${broker.serverCpuUs[target ?? ""]} µs`;
    return `${fixed(rps)} req/s (${fixed(rps / broker.trivialRps, 2)}×${cpu})`;
  };
  rows.push(
    [
      "trivial Worker",
      `${fixed(broker.trivialRps)} req/s (${broker.serverCpuUs?.trivial} µs CPU per request)`,
    ],
    ["broker token", ratio(broker.tokenRps, "token")],
    ["broker introspection", ratio(broker.introspectRps, "introspect")],
    ["broker proxy", ratio(broker.proxyRps, "proxy")],
    ["  its upstream alone (instant)", ratio(broker.upstreamRps)],
  );
  if (broker.viaEmulator) {
    rows.push(
      ["  proxy through to the emulator", ratio(broker.viaEmulator.proxyRps, "proxyEmulator")],
      [
        "  the emulator's Transact alone",
        ratio(broker.viaEmulator.upstreamRps, "emulatorUpstream"),
      ],
    );
  }
  if (broker.baseline) {
    rows.push(
      ["  baseline token", ratio(broker.baseline.tokenRps, "token:baseline")],
      ["  baseline introspection", ratio(broker.baseline.introspectRps, "introspect:baseline")],
      ["  baseline proxy", ratio(broker.baseline.proxyRps, "proxy:baseline")],
    );
  }
  const errors = Object.values(broker.errors).reduce((sum, count) => sum + count, 0);
  if (errors > 0) rows.push(["non-2xx or errors under load", String(errors)]);
}
if (sizes) {
  rows.push(
    ["core, min+gz", `${sizes.core} B`],
    ["core with KV + encryption, min+gz", `${sizes.coreKvEncrypted} B`],
    ["token source alone, min+gz", `${sizes.tokenSource} B`],
    [
      "iPOSpays / OAuth 2.0 request + response functions",
      `${sizes.protocolIpospays} / ${sizes.protocolOAuth2} B`,
    ],
    ["broker as deployed, min+gz", `${sizes.broker} B`],
    ["oauth4webapi client credentials", `${sizes.oauth4webapi} B`],
    ["google-auth-library", `${sizes.googleAuthLibrary} B`],
    ["@azure/identity", `${sizes.azureIdentity} B`],
  );
}
if (scale) {
  rows.push(
    [
      "get(), 1 source / 10,000 sources",
      `${fixed(scale.hotPath1Ns)} / ${fixed(scale.hotPath10kNs)} ns`,
    ],
    ["heap per cached source", `${scale.heapPerSourceBytes} B (heap.ts)`],
  );
}
const width = Math.max(...rows.map(([name]) => name.length));
console.log(`\n${process.version}, ${cpus().length} × ${cpus()[0]?.model}; medians`);
for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);

// The chart shows the last run of each section: this run's, else the one results-detail keeps.
const shownBroker = (broker ?? before.broker ?? null) as BrokerResult | null;
const shownFetch = (fetched ?? before.fetch ?? null) as FetchResult | null;
const shownBaseline = broker
  ? baselineName()
  : (before.broker?.run?.baseline as string | undefined);
const panels: Panel[] = [];
const ns = (value: number | null) => (value === null ? "—" : `${value.toFixed(0)} ns`);
const hotPath = results.hotPath as Record<string, number | null>;
panels.push({
  title: "cached get(), ns per awaited call (log scale; shorter is better)",
  log: true,
  bars: [
    {
      label: "edgetoken",
      value: hotPath.edgetokenNs ?? null,
      text: ns(hotPath.edgetokenNs ?? null),
      ours: true,
    },
    {
      label: "awaited Map lookup",
      value: hotPath.floorAsyncNs ?? null,
      text: ns(hotPath.floorAsyncNs ?? null),
    },
    {
      label: "google-auth-library",
      value: hotPath.googleNs ?? null,
      text: ns(hotPath.googleNs ?? null),
    },
    { label: "@azure/identity", value: hotPath.azureNs ?? null, text: ns(hotPath.azureNs ?? null) },
    {
      label: "edgetoken, 10,000 sources",
      value: results.scale.hotPath10kNs ?? null,
      text: ns(results.scale.hotPath10kNs ?? null),
      ours: true,
    },
  ],
});
const brokerFigures = results.broker as Record<string, number | null>;
const trivial = brokerFigures.trivialRps ?? null;
const rps = (value: number | null | undefined) =>
  value === null || value === undefined
    ? "—"
    : `${value.toFixed(0)} req/s${trivial ? ` (${(value / trivial).toFixed(2)}×)` : ""}`;
const brokerBars: Panel["bars"] = [
  { label: "trivial Worker", value: trivial, text: rps(trivial) },
  {
    label: "token",
    value: brokerFigures.tokenRps ?? null,
    text: rps(brokerFigures.tokenRps),
    ours: true,
  },
  {
    label: "introspection",
    value: brokerFigures.introspectRps ?? null,
    text: rps(brokerFigures.introspectRps),
    ours: true,
  },
  {
    label: "proxy",
    value: brokerFigures.proxyRps ?? null,
    text: rps(brokerFigures.proxyRps),
    ours: true,
  },
];
if (shownBroker?.viaEmulator) {
  brokerBars.push({
    label: "proxy, through to the emulator",
    value: shownBroker.viaEmulator.proxyRps,
    text: rps(shownBroker.viaEmulator.proxyRps),
  });
}
if (shownBroker?.baseline) {
  brokerBars.push(
    {
      label: `token, before (${shownBaseline})`,
      value: shownBroker.baseline.tokenRps,
      text: rps(shownBroker.baseline.tokenRps),
    },
    {
      label: "introspection, before",
      value: shownBroker.baseline.introspectRps,
      text: rps(shownBroker.baseline.introspectRps),
    },
    {
      label: "proxy, before",
      value: shownBroker.baseline.proxyRps,
      text: rps(shownBroker.baseline.proxyRps),
    },
  );
}
panels.push({
  title:
    "broker under wrangler dev, 25 connections; proxy to an instant upstream (longer is better)",
  bars: brokerBars,
});
if (shownBroker?.cpuRatio) {
  const byCpu = (label: string, target: string, ours = true) => ({
    label,
    value: shownBroker.cpuRatio[target] ?? null,
    text:
      shownBroker.cpuRatio[target] === undefined
        ? "—"
        : `${shownBroker.cpuRatio[target]?.toFixed(2)}× (${shownBroker.serverCpuUs[target]} µs)`,
    ours,
  });
  const cpuBars: Panel["bars"] = [
    byCpu("trivial Worker", "trivial", false),
    byCpu("token", "token"),
    byCpu("introspection", "introspect"),
    byCpu("proxy", "proxy"),
  ];
  if (shownBroker.baseline) {
    cpuBars.push(
      byCpu("token, before", "token:baseline", false),
      byCpu("introspection, before", "introspect:baseline", false),
      byCpu("proxy, before", "proxy:baseline", false),
    );
  }
  panels.push({
    title: "broker by CPU per request: the trivial Worker's ÷ each one's (longer is better)",
    bars: cpuBars,
  });
}
const fetchFigures = results.fetch as Record<string, number | null>;
const times = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : `${value.toFixed(2)}×`;
const fetchBars: Panel["bars"] = [
  {
    label: "GET",
    value: fetchFigures.getRatio ?? null,
    text: times(fetchFigures.getRatio),
    ours: true,
  },
  {
    label: "POST, 1 KB JSON",
    value: fetchFigures.postRatio ?? null,
    text: times(fetchFigures.postRatio),
    ours: true,
  },
];
if (shownFetch?.baseline) {
  fetchBars.push(
    {
      label: "GET, before",
      value: shownFetch.baseline.getRatio,
      text: times(shownFetch.baseline.getRatio),
    },
    {
      label: "POST, before",
      value: shownFetch.baseline.postRatio,
      text: times(shownFetch.baseline.postRatio),
    },
  );
}
panels.push({
  title: "source.fetch ÷ plain fetch with the header set by hand (shorter is better)",
  bars: fetchBars,
});
const sizeFigures = results.sizes as Record<string, number | null>;
const bytes = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : `${value.toLocaleString("en-US")} B`;
const sizeBar = (label: string, name: string, ours = false) => ({
  label,
  value: sizeFigures[name] ?? null,
  text: bytes(sizeFigures[name]),
  ours,
});
panels.push({
  title: "bytes, min+gz (shorter is better)",
  bars: [
    sizeBar("core (source, iPOSpays, memory)", "core", true),
    sizeBar("core with KV + encryption", "coreKvEncrypted", true),
    sizeBar("broker as deployed", "broker", true),
    sizeBar("oauth4webapi client credentials", "oauth4webapi"),
    sizeBar("google-auth-library", "googleAuthLibrary"),
    sizeBar("@azure/identity", "azureIdentity"),
  ],
});
writeFileSync(
  join(ROOT, "bench", "chart.svg"),
  chart(`edgetoken benchmarks, ${started.toISOString().slice(0, 10)}, ${process.version}`, panels),
);
