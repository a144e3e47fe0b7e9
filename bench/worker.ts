/**
 * Benchmark: the work node's GraphQL throughput and latency on a core query, against a bare graphql-yoga
 * server answering a static query, in the same run and on the same machine (targets: /work/shared/DESIGN.md,
 * "Targets"; results: docs/benchmarks.md).
 *
 *   npx tsx bench/worker.ts [--duration SECONDS] [--connections N] [--quick] [--profile-dir DIR]
 *                           [--core-db postgres|duckdb] [--worker-main FILE]
 *
 * Both servers run as child processes, so neither shares this process's event loop (autocannon, the load
 * generator, runs here). The worker serves the core module over a private PostgreSQL started by the test
 * harness (or, `--core-db duckdb`, on its embedded DuckDB default) and seeded through the worker's own
 * `insert_data_sources` mutation. `--worker-main` runs another build (an earlier commit's), so that
 * two versions are compared by running the script for each, alternately, in one sitting. Exits non-zero if any request
 * failed (connection error, timeout, non-2xx, or a GraphQL `errors` entry), not when a target is missed.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import {
  HOST,
  createLoadBench,
  failures,
  formatTable,
  graphqlOk,
  loadNumbers,
  loadTableCells,
  logMachineAndSettings,
  parseLoadCommandLine,
  requestErrorsExitCode,
  runLoad,
  rssMb,
  runLoadBenchmark,
  spawnChildMode,
  startBenchPostgres,
  startWorkerProcess,
  waitUntil,
  warmUp,
  LOAD_TABLE_HEADER,
  type LoadNumbers,
  type LoadSettings,
  type LoadTarget,
} from "./lib.js";

const WARMUP_S = 1;
const SEED_DATA_SOURCES = 10;
/** DESIGN.md targets: worker req/s >= 0.6 x bare, worker p99 <= 2 x bare. */
const TARGET_THROUGHPUT_RATIO = 0.6;
const TARGET_P99_RATIO = 2;

const THIS_FILE = fileURLToPath(import.meta.url);

const BARE_SDL = "type Query { hello: String }";
const BARE_QUERY = "{ hello }";
const CORE_QUERY = "{ core { data_sources { name type prefix path catalogs { name type path } } } }";
const SEED_MUTATION = `mutation seed($data: data_sources_mut_input_data!) {
  core { insert_data_sources(data: $data) { name } }
}`;

/** A server under test, running as a child process. */
interface Target extends LoadTarget {
  name: "bare" | "worker";
  child: ChildProcess;
}

/** One measured run against one target. */
type Measurement = { name: Target["name"] } & LoadNumbers;

const bench = createLoadBench("bench");
const { log, since } = bench.progress;

/** Child mode: a bare graphql-yoga server answering `{ hello }` on `port`, until killed. */
async function serveBare(port: number): Promise<void> {
  const { createSchema, createYoga } = await import("graphql-yoga");
  const yoga = createYoga({
    schema: createSchema({ typeDefs: BARE_SDL, resolvers: { Query: { hello: () => "world" } } }),
  });
  // yoga is a Node request listener that returns a promise; it answers (and reports errors) itself
  const server = createHttpServer((request, response) => void yoga(request, response));
  server.listen(port, HOST);
  await once(server, "listening");
}

/** Starts the work node over the bench's PostgreSQL or its own DuckDB (see startWorkerProcess in lib.ts). */
async function startWorker(settings: LoadSettings, postgresUrl: string): Promise<Target> {
  const { url, child } = await startWorkerProcess(bench, settings, postgresUrl);
  return { name: "worker", url, query: CORE_QUERY, child };
}

/** Starts this script in `--serve-bare` mode on a free port and waits until it answers `{ hello }`. */
async function startBareProcess(): Promise<Target> {
  const { url, child } = await spawnChildMode(bench, "bare", THIS_FILE, "serve-bare", {});
  const probe = `${url}/graphql?query=${encodeURIComponent(BARE_QUERY)}`;
  await waitUntil(probe, child, async () => (await fetch(probe)).ok);
  return { name: "bare", url, query: BARE_QUERY, child };
}

/** The variables of seed data source `index` (0-based): a PostgreSQL source with one URI catalog. */
function seedVariables(index: number): Record<string, unknown> {
  const n = String(index + 1).padStart(2, "0");
  return {
    data: {
      name: `bench_ds_${n}`,
      type: "postgres",
      prefix: `bench${n}`,
      description: `Benchmark data source ${n}`,
      as_module: true,
      path: `postgres://bench:secret@db-${n}.example:5432/bench_${n}`,
      catalogs: [
        { name: `bench_catalog_${n}`, type: "uri", path: `/workspace/bench/${n}/schema`, description: "SDL" },
      ],
    },
  };
}

/** Inserts the seed data sources through the worker's GraphQL API and checks the core query sees them. */
async function seedWorker(worker: Target): Promise<void> {
  for (let i = 0; i < SEED_DATA_SOURCES; i++) await graphqlOk(worker.url, SEED_MUTATION, seedVariables(i));
  const data = await graphqlOk<{ core: { data_sources: unknown[] } }>(worker.url, CORE_QUERY);
  const count = data.core.data_sources.length;
  if (count !== SEED_DATA_SOURCES)
    throw new Error(`expected ${SEED_DATA_SOURCES} data sources, got ${count}`);
}

/** Warms `target` up for {@link WARMUP_S}, then measures it for the configured duration. */
async function measure(target: Target, settings: LoadSettings): Promise<Measurement> {
  await warmUp(bench, target, settings, WARMUP_S);
  const start = performance.now();
  const load = await runLoad(bench, target, settings.durationS, settings.connections);
  const result: Measurement = { name: target.name, ...loadNumbers(load) };
  log(`${target.name}: done in ${since(start)}: ${Math.round(result.requestsPerSecond)} req/s`);
  return result;
}

/** Prints the results table: one row per target. */
function printTable(rows: Measurement[]): void {
  console.log(
    `\n${formatTable(
      LOAD_TABLE_HEADER,
      rows.map((m) => loadTableCells(m)),
    )}`,
  );
}

/** Worker/bare ratios and whether they meet the DESIGN.md targets. */
function ratios(bare: Measurement, worker: Measurement) {
  const throughput = worker.requestsPerSecond / bare.requestsPerSecond;
  const p99 = worker.p99Ms / bare.p99Ms;
  return {
    throughput,
    p99,
    throughputMet: throughput >= TARGET_THROUGHPUT_RATIO,
    p99Met: p99 <= TARGET_P99_RATIO,
  };
}

/** Prints the ratios against the targets. */
function printRatios(r: ReturnType<typeof ratios>): void {
  const verdict = (met: boolean): string => (met ? "met" : "MISSED");
  console.log(
    [
      "",
      `throughput worker/bare: ${r.throughput.toFixed(2)} (target >= ${TARGET_THROUGHPUT_RATIO}: ${verdict(r.throughputMet)})`,
      `p99 latency worker/bare: ${r.p99.toFixed(2)} (target <= ${TARGET_P99_RATIO}: ${verdict(r.p99Met)})`,
      "",
    ].join("\n"),
  );
}

/** Starts PostgreSQL, the worker (seeded) and the bare server; logs each phase with its duration. */
async function startTargets(settings: LoadSettings): Promise<{ bare: Target; worker: Target }> {
  const postgres = await startBenchPostgres(bench);

  let start = performance.now();
  const worker = await startWorker(settings, postgres.url);
  // Before any data source exists: the resident memory of an idle node (DESIGN.md: under 150 MB).
  log(
    `worker ready in ${since(start)} at ${worker.url} (pid ${worker.child.pid}), ` +
      `idle RSS ${rssMb(worker.child.pid)?.toFixed(1) ?? "?"} MB`,
  );
  start = performance.now();
  await seedWorker(worker);
  log(`seeded ${SEED_DATA_SOURCES} data sources with a catalog each in ${since(start)}`);

  start = performance.now();
  const bare = await startBareProcess();
  await graphqlOk(bare.url, BARE_QUERY);
  log(`bare graphql-yoga ready in ${since(start)} at ${bare.url} (pid ${bare.child.pid})`);
  return { bare, worker };
}

async function main(settings: LoadSettings): Promise<number> {
  const machine = logMachineAndSettings(bench, settings);
  const { bare, worker } = await startTargets(settings);
  const bareResult = await measure(bare, settings);
  const workerResult = await measure(worker, settings);
  await bench.cleanup();
  if (settings.profileDir) log(`worker CPU profile written to ${settings.profileDir}`);

  printTable([bareResult, workerResult]);
  const r = ratios(bareResult, workerResult);
  printRatios(r);
  const failed = failures(bareResult) + failures(workerResult);
  const targets = { throughputRatio: TARGET_THROUGHPUT_RATIO, p99Ratio: TARGET_P99_RATIO };
  const settingsOut = { durationS: settings.durationS, connections: settings.connections, warmupS: WARMUP_S };
  console.log(
    JSON.stringify({
      machine,
      settings: settingsOut,
      bare: bareResult,
      worker: workerResult,
      ratios: r,
      targets,
    }),
  );
  return requestErrorsExitCode(failed);
}

// `--serve-bare PORT` is the internal mode of the bare server child.
const { settings, childPort } = parseLoadCommandLine("node bench/worker.ts", "serve-bare");
if (childPort !== undefined) await serveBare(childPort);
else await runLoadBenchmark(bench, () => main(settings));
