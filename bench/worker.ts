/**
 * Benchmark: the work node's GraphQL throughput and latency on a core query, against a bare graphql-yoga
 * server answering a static query, in the same run and on the same machine (targets: /work/shared/DESIGN.md,
 * "Targets"; results: docs/benchmarks.md).
 *
 *   npx tsx bench/worker.ts [--duration SECONDS] [--connections N] [--quick] [--profile-dir DIR]
 *
 * Both servers run as child processes, so neither shares this process's event loop (autocannon, the load
 * generator, runs here). The worker serves the core module over a private PostgreSQL started by the test
 * harness and seeded through the worker's own `insert_data_sources` mutation. Exits non-zero if any request
 * failed (connection error, timeout, non-2xx, or a GraphQL `errors` entry), not when a target is missed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "../worker/test/harness/net.js";
import { startPostgres, type PostgresInstance } from "../worker/test/harness/postgres.js";
import { createProgress, describeMachine } from "./lib.js";

const HOST = "127.0.0.1";
const DEFAULT_DURATION_S = 10;
const QUICK_DURATION_S = 2;
const DEFAULT_CONNECTIONS = 32;
const WARMUP_S = 1;
/** Per-request timeout of the load generator. */
const REQUEST_TIMEOUT_S = 10;
const SEED_DATA_SOURCES = 10;
const READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;
/** Time a child gets to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;
/** DESIGN.md targets: worker req/s >= 0.6 x bare, worker p99 <= 2 x bare. */
const TARGET_THROUGHPUT_RATIO = 0.6;
const TARGET_P99_RATIO = 2;
const EXIT_REQUEST_ERRORS = 1;
const EXIT_FAILURE = 2;
const EXIT_INTERRUPTED = 130;

const WORKER_MAIN = fileURLToPath(new URL("../worker/dist/main.js", import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

const BARE_SDL = "type Query { hello: String }";
const BARE_QUERY = "{ hello }";
const CORE_QUERY = "{ core { data_sources { name type prefix path catalogs { name type path } } } }";
const SEED_MUTATION = `mutation seed($data: data_sources_mut_input_data!) {
  core { insert_data_sources(data: $data) { name } }
}`;
const REQUEST_HEADERS = { "content-type": "application/json", accept: "application/json" };

/** The subset of autocannon's histogram summary this script reads (latency in ms). */
interface Histogram {
  p50: number;
  p99: number;
  max: number;
  total: number;
}

/** The subset of autocannon's result object this script reads. */
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
}

/** The autocannon options this script passes. */
interface AutocannonOptions {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout: number;
  verifyBody: (body: string) => boolean;
}

interface AutocannonInstance {
  stop(): void;
}

type Autocannon = (
  options: AutocannonOptions,
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

/** autocannon ships CommonJS without type declarations; load it through require and type what is used. */
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** Command-line settings. */
interface Settings {
  durationS: number;
  connections: number;
  /** When set, the worker runs with --cpu-prof and writes its profile here on exit. */
  profileDir: string | undefined;
}

/** A server under test, running as a child process. */
interface Target {
  name: "bare" | "worker";
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  query: string;
  child: ChildProcess;
}

/** One measured run against one target. */
interface Measurement {
  name: Target["name"];
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  durationS: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  badBodies: number;
}

/** What has to be torn down on exit: child processes, the PostgreSQL instance, a running load test. */
const resources = {
  children: new Set<ChildProcess>(),
  postgres: undefined as PostgresInstance | undefined,
  load: undefined as AutocannonInstance | undefined,
};
const progress = createProgress("bench");
const { log, since } = progress;

/** Parses the command line; `--serve-bare PORT` is the internal mode of the bare server child. */
function parseCommandLine(): { settings: Settings; serveBarePort: number | undefined } {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      quick: { type: "boolean", default: false },
      "profile-dir": { type: "string" },
      "serve-bare": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: node bench/worker.ts [--duration SECONDS (default 10)] [--connections N (default 32)]\n" +
        "                            [--quick (2 s per measurement)] [--profile-dir DIR (worker --cpu-prof)]",
    );
    process.exit(0);
  }
  const defaultDuration = values.quick ? QUICK_DURATION_S : DEFAULT_DURATION_S;
  return {
    settings: {
      durationS: positiveNumber("--duration", values.duration, defaultDuration),
      connections: Math.round(positiveNumber("--connections", values.connections, DEFAULT_CONNECTIONS)),
      profileDir: values["profile-dir"],
    },
    serveBarePort: values["serve-bare"] === undefined ? undefined : Number(values["serve-bare"]),
  };
}

/** `text` as a positive number, `fallback` when absent; exits with a message when invalid. */
function positiveNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  console.error(`${flag} must be a positive number, got ${JSON.stringify(text)}`);
  process.exit(EXIT_FAILURE);
}

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

/** Spawns `node ...args` with a minimal environment plus `env`; its output goes to stderr, prefixed. */
function spawnNode(label: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  resources.children.add(child);
  child.once("exit", () => resources.children.delete(child));
  const forward = (chunk: Buffer): void => {
    for (const line of chunk.toString().split("\n")) if (line) process.stderr.write(`[${label}] ${line}\n`);
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  return child;
}

/** Polls `url` until it answers 2xx; throws if `child` exits first or the timeout passes. */
async function waitForHttpOk(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the server process exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`${url} did not answer 2xx within ${READY_TIMEOUT_MS} ms`);
}

/** Starts the built work node on a free port over `coreDbUrl` and waits for GET /ready 200. */
async function startWorkerProcess(coreDbUrl: string, profileDir: string | undefined): Promise<Target> {
  const port = await freePort();
  const nodeArgs = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawnNode("worker", [...nodeArgs, WORKER_MAIN], {
    BIND: `${HOST}:${port}`,
    CORE_DB_PATH: coreDbUrl,
    LOG_LEVEL: "warn",
  });
  const url = `http://${HOST}:${port}`;
  await waitForHttpOk(`${url}/ready`, child);
  return { name: "worker", url, query: CORE_QUERY, child };
}

/** Starts this script in `--serve-bare` mode on a free port and waits until it answers `{ hello }`. */
async function startBareProcess(): Promise<Target> {
  const port = await freePort();
  // The child runs this same TypeScript file, so it inherits the loader this process runs under (tsx).
  const child = spawnNode("bare", [...process.execArgv, THIS_FILE, "--serve-bare", String(port)], {});
  const url = `http://${HOST}:${port}`;
  await waitForHttpOk(`${url}/graphql?query=${encodeURIComponent(BARE_QUERY)}`, child);
  return { name: "bare", url, query: BARE_QUERY, child };
}

/** POSTs one GraphQL request; throws unless it is HTTP 200 with data and no errors. Returns `data`. */
async function graphqlOk(url: string, query: string, variables?: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: REQUEST_HEADERS,
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: unknown[] };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`${url}/graphql answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return body.data;
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
  const data = (await graphqlOk(worker.url, CORE_QUERY)) as { core: { data_sources: unknown[] } };
  const count = data.core.data_sources.length;
  if (count !== SEED_DATA_SOURCES)
    throw new Error(`expected ${SEED_DATA_SOURCES} data sources, got ${count}`);
}

/** True for a response body without GraphQL errors (counted by autocannon as a mismatch otherwise). */
function hasNoGraphQLErrors(body: string): boolean {
  return !body.includes('"errors"');
}

/** Runs autocannon against `target` for `durationS` seconds. */
function runLoad(target: Target, durationS: number, connections: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    resources.load = autocannon(
      {
        url: `${target.url}/graphql`,
        method: "POST",
        headers: REQUEST_HEADERS,
        body: JSON.stringify({ query: target.query }),
        connections,
        duration: durationS,
        timeout: REQUEST_TIMEOUT_S,
        verifyBody: hasNoGraphQLErrors,
      },
      (error, result) => {
        resources.load = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

/**
 * The numbers this script reports from an autocannon result. Throughput is responses / run time:
 * autocannon's own `requests.average` is a mean of 1-s samples and, with 10 or 11 samples (the last one
 * partial) for a 10 s run, is off by up to 10 %.
 */
function toMeasurement(name: Target["name"], result: AutocannonResult): Measurement {
  return {
    name,
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    durationS: result.duration,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    badBodies: result.mismatches,
  };
}

/** Warms `target` up for {@link WARMUP_S}, then measures it for the configured duration. */
async function measure(target: Target, settings: Settings): Promise<Measurement> {
  log(`${target.name}: warm-up ${WARMUP_S} s, ${settings.connections} connections`);
  await runLoad(target, WARMUP_S, settings.connections);
  log(`${target.name}: measuring ${settings.durationS} s, ${settings.connections} connections`);
  const start = performance.now();
  const result = toMeasurement(target.name, await runLoad(target, settings.durationS, settings.connections));
  log(`${target.name}: done in ${since(start)}: ${Math.round(result.requestsPerSecond)} req/s`);
  return result;
}

/** Failed requests of any kind in `m`. */
function failures(m: Measurement): number {
  return m.errors + m.non2xx + m.badBodies;
}

/** Prints the results table: one row per target. */
function printTable(rows: Measurement[]): void {
  const header = [
    "server",
    "req/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "requests",
    "errors",
    "non-2xx",
    "bad body",
  ];
  const lines = rows.map((m) => [
    m.name,
    m.requestsPerSecond.toFixed(0),
    m.p50Ms.toFixed(1),
    m.p99Ms.toFixed(1),
    m.maxMs.toFixed(1),
    String(m.requests),
    String(m.errors),
    String(m.non2xx),
    String(m.badBodies),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(["", format(header), ...lines.map(format)].join("\n"));
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

/** Stops a child with SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

let cleanupPromise: Promise<void> | undefined;

/** Stops the load, every child process and PostgreSQL (in that order). Safe to call more than once. */
function cleanup(): Promise<void> {
  cleanupPromise ??= (async () => {
    resources.load?.stop();
    await Promise.all([...resources.children].map(stopChild));
    await resources.postgres?.stop();
    resources.postgres = undefined;
  })();
  return cleanupPromise;
}

/** Ctrl-C / SIGTERM: clean up, then exit. A second signal exits at once (the harness still stops PostgreSQL). */
function installSignalHandlers(): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cleanupPromise) process.exit(EXIT_INTERRUPTED);
    log(`${signal}: stopping servers and PostgreSQL`);
    progress.interrupt();
    void cleanup().finally(() => process.exit(EXIT_INTERRUPTED));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.once("exit", () => {
    for (const child of resources.children) child.kill("SIGKILL");
  });
}

/** Starts PostgreSQL, the worker (seeded) and the bare server; logs each phase with its duration. */
async function startTargets(settings: Settings): Promise<{ bare: Target; worker: Target }> {
  let start = performance.now();
  log("starting PostgreSQL (test harness)");
  const postgres = await startPostgres();
  resources.postgres = postgres;
  log(`PostgreSQL ready in ${since(start)} on port ${postgres.port}`);

  start = performance.now();
  const worker = await startWorkerProcess(postgres.url, settings.profileDir);
  log(`worker ready in ${since(start)} at ${worker.url} (pid ${worker.child.pid})`);
  start = performance.now();
  await seedWorker(worker);
  log(`seeded ${SEED_DATA_SOURCES} data sources with a catalog each in ${since(start)}`);

  start = performance.now();
  const bare = await startBareProcess();
  await graphqlOk(bare.url, BARE_QUERY);
  log(`bare graphql-yoga ready in ${since(start)} at ${bare.url} (pid ${bare.child.pid})`);
  return { bare, worker };
}

async function main(settings: Settings): Promise<number> {
  installSignalHandlers();
  const machine = describeMachine();
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`,
  );
  log(`settings: ${settings.durationS} s per measurement, ${settings.connections} connections, loopback`);
  const { bare, worker } = await startTargets(settings);
  const bareResult = await measure(bare, settings);
  const workerResult = await measure(worker, settings);
  await cleanup();
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
  if (failed > 0) console.error(`${failed} request(s) failed: exiting with ${EXIT_REQUEST_ERRORS}`);
  return failed > 0 ? EXIT_REQUEST_ERRORS : 0;
}

const { settings, serveBarePort } = parseCommandLine();
if (serveBarePort !== undefined) {
  await serveBare(serveBarePort);
} else {
  try {
    process.exitCode = await main(settings);
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await cleanup();
    process.exitCode = EXIT_FAILURE;
  }
}
