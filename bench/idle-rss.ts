/**
 * Benchmark: the memory of one idle work node on each embedded core database, against the target in
 * /work/shared/DESIGN.md ("idle worker under 150 MB RSS on every core database including the embedded
 * default"):
 *   - duckdb: the default, the DuckDB file <HUGR_DATA_DIR>/core.duckdb (CORE_DB_PATH unset);
 *   - pglite: the default of earlier versions, an embedded PGlite folder, CORE_DB_PATH=<HUGR_DATA_DIR>/core-db.
 *
 *   npx tsx bench/idle-rss.ts [--runs N] [--idle SECONDS] [--queries N] [--existing]
 *
 * Needs `make build`: it starts the built work node (worker/dist/main.js), one process per run, each on a
 * fresh HUGR_DATA_DIR, so the core database is created at start, as on a new node; with --existing, a
 * first start creates it and the measured one is the second, as on a restarted node. The back ends
 * alternate so that a drift of the machine shows in both. Per run: the start-up time (spawn until GET
 * /health answers 200), VmRSS after --idle seconds without a request, then VmRSS and VmHWM (the peak)
 * after --queries `{ __typename }` queries. Exits non-zero if a node fails to start or a query fails.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../worker/test/harness/net.js";
import {
  HOST,
  WORKER_MAIN,
  createLoadBench,
  describeMachine,
  formatTable,
  graphqlOk,
  integerFlag,
  machineSummary,
  rssMb,
  runLoadBenchmark,
  spawnNode,
  stopChild,
  waitUntil,
} from "./lib.js";

const BACKENDS = ["pglite", "duckdb"] as const;
type Backend = (typeof BACKENDS)[number];

const DEFAULT_RUNS = 3;
const DEFAULT_IDLE_S = 10;
const DEFAULT_QUERIES = 20;
/** How long the node rests after the queries before its memory is read. */
const SETTLE_MS = 1_000;
/** DESIGN.md: idle worker under 150 MB RSS on every core database. */
const TARGET_IDLE_RSS_MB = 150;

interface Settings {
  runs: number;
  idleS: number;
  queries: number;
  /** Measure a node that finds its core database already created. */
  existing: boolean;
}

interface Measurement {
  backend: Backend;
  run: number;
  startupMs: number;
  idleRssMb: number;
  queriedRssMb: number;
  peakRssMb: number;
}

const bench = createLoadBench("idle-rss");
const { log } = bench.progress;

function parseCommandLine(): Settings {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      idle: { type: "string" },
      queries: { type: "string" },
      existing: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      `usage: npx tsx bench/idle-rss.ts [--runs N (default ${DEFAULT_RUNS} per back end)] ` +
        `[--idle SECONDS (default ${DEFAULT_IDLE_S})] [--queries N (default ${DEFAULT_QUERIES})]\n` +
        "       [--existing (the core database is created by a first start; the second is measured)]",
    );
    process.exit(0);
  }
  return {
    runs: integerFlag("--runs", values.runs, DEFAULT_RUNS, 1),
    idleS: integerFlag("--idle", values.idle, DEFAULT_IDLE_S, 0),
    queries: integerFlag("--queries", values.queries, DEFAULT_QUERIES, 0),
    existing: values.existing,
  };
}

/** A /proc/PID/status memory field in MB (VmHWM: the peak resident set). */
function statusMb(pid: number | undefined, field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

function residentMb(child: ChildProcess): number {
  const mb = rssMb(child.pid);
  if (mb === undefined) throw new Error(`cannot read the memory of process ${child.pid}`);
  return mb;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the built work node with `env` on a free port; resolves once GET /health answers 200. */
async function startNode(
  label: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; startupMs: number }> {
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const started = performance.now();
  const child = spawnNode(bench, label, [WORKER_MAIN], {
    ...env,
    BIND: `${HOST}:${port}`,
    LOG_LEVEL: "warn",
  });
  try {
    await waitUntil(`${url}/health`, child, async () => (await fetch(`${url}/health`)).ok);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, child, startupMs: performance.now() - started };
}

async function measure(backend: Backend, run: number, settings: Settings): Promise<Measurement> {
  const dataDir = await mkdtemp(join(tmpdir(), `hugr-idle-rss-${backend}-`));
  const env: Record<string, string> = { HUGR_DATA_DIR: dataDir };
  if (backend === "pglite") env["CORE_DB_PATH"] = join(dataDir, "core-db");
  try {
    if (settings.existing) await stopChild((await startNode(backend, env)).child);
    const { url, child, startupMs } = await startNode(backend, env);
    try {
      log(
        `${backend} run ${run}: /health answered after ${startupMs.toFixed(0)} ms; idle for ${settings.idleS} s`,
      );
      await sleep(settings.idleS * 1000);
      const idleRssMb = residentMb(child);
      for (let i = 0; i < settings.queries; i++) await graphqlOk(url, "{ __typename }");
      await sleep(SETTLE_MS);
      const measurement: Measurement = {
        backend,
        run,
        startupMs,
        idleRssMb,
        queriedRssMb: residentMb(child),
        peakRssMb: statusMb(child.pid, "VmHWM"),
      };
      log(
        `${backend} run ${run}: idle ${idleRssMb.toFixed(1)} MB, after ${settings.queries} queries ` +
          `${measurement.queriedRssMb.toFixed(1)} MB, peak ${measurement.peakRssMb.toFixed(1)} MB`,
      );
      return measurement;
    } finally {
      await stopChild(child);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function printResults(measurements: readonly Measurement[], settings: Settings): void {
  const mb = (value: number): string => value.toFixed(1);
  const start = settings.existing ? "restarted on its existing core database" : "first start";
  console.log(
    `\nOne work node (${start}), idle ${settings.idleS} s, then ${settings.queries} { __typename } queries`,
  );
  console.log(
    formatTable(
      ["core database", "run", "start-up ms", "idle RSS MB", "queried RSS MB", "peak RSS MB"],
      measurements.map((m) => [
        m.backend,
        String(m.run),
        m.startupMs.toFixed(0),
        mb(m.idleRssMb),
        mb(m.queriedRssMb),
        mb(m.peakRssMb),
      ]),
    ),
  );
  console.log("\nMedians");
  const summary = BACKENDS.map((backend) => {
    const runs = measurements.filter((m) => m.backend === backend);
    const idle = median(runs.map((m) => m.idleRssMb));
    return {
      backend,
      startupMs: median(runs.map((m) => m.startupMs)),
      idleRssMb: idle,
      queriedRssMb: median(runs.map((m) => m.queriedRssMb)),
      withinTarget: idle < TARGET_IDLE_RSS_MB,
    };
  });
  console.log(
    formatTable(
      ["core database", "start-up ms", "idle RSS MB", "queried RSS MB", `idle < ${TARGET_IDLE_RSS_MB} MB`],
      summary.map((s) => [
        s.backend,
        s.startupMs.toFixed(0),
        mb(s.idleRssMb),
        mb(s.queriedRssMb),
        s.withinTarget ? "yes" : "NO",
      ]),
    ),
  );
  console.log(JSON.stringify({ machine: describeMachine(), settings, measurements, summary }));
}

async function main(settings: Settings): Promise<number> {
  log(`machine: ${machineSummary(describeMachine())}`);
  log(
    `settings: ${settings.runs} runs per core database, alternating; idle ${settings.idleS} s; ` +
      (settings.existing ? "measured on a second start" : "measured on the first start"),
  );
  const measurements: Measurement[] = [];
  for (let run = 1; run <= settings.runs; run++) {
    for (const backend of BACKENDS) measurements.push(await measure(backend, run, settings));
  }
  printResults(measurements, settings);
  return 0;
}

const settings = parseCommandLine();
await runLoadBenchmark(bench, () => main(settings));
