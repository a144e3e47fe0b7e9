/**
 * Benchmark: the cluster on loopback — fan-out latency of a cluster operation, convergence time of a
 * joining work node, and failure detection (targets: /work/shared/DESIGN.md, "Targets"; results:
 * docs/benchmarks.md).
 *
 *   npx tsx bench/fanout.ts [--iterations N] [--warmup N] [--sizes 1,5,10,20] [--joins N] [--failures N]
 *                           [--quick] [--profile-dir DIR]
 *
 * Every program is a separate process started with the environment a user would give it: one
 * management node (operator/dist/main.js, standalone mode) and up to max(--sizes) work nodes
 * (worker/dist/main.js, cluster mode), all on one private PostgreSQL started by the test harness (the
 * work nodes share the core database `hugr_core`; the management node has its own database).
 *
 *   1. fan-out: `load_data_source(name: "bench")` through GraphQL on one work node, and the same
 *      operation signed straight to the management API (POST /v1/data-sources/bench/load), for each
 *      cluster size; p50/p95/max and the ratio to the 1-node p50.
 *   2. convergence: a fresh work node joins the largest cluster (a loaded data source and a registered
 *      storage exist); time from spawn to GET /ready 200, broken down from its JSON log.
 *   3. failure detection: with CHECK=1s TIMEOUT=1s, time from `kill -9` (and from SIGSTOP: a hung node)
 *      of a work node until GET /v1/nodes reports it not ready.
 *
 * Exits non-zero when something fails (an operation not successful, a process that does not start),
 * not when a target is missed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  createManagementClient,
  createNodeClient,
  type ClusterOperationResult,
  type ManagementClient,
  type NodeInfo,
} from "@hugr/protocol";
import { LOAD_DATA_SOURCE, REGISTER_STORAGE } from "../e2e/cluster/reference-cluster-queries.js";
import { freePort } from "../worker/test/harness/net.js";
import { findPostgresBinDir, startPostgres, type PostgresInstance } from "../worker/test/harness/postgres.js";
import { ADD_DATA_SOURCE } from "../worker/test/reference-queries.js";
import {
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  HOST,
  STOP_GRACE_MS,
  WORKER_MAIN,
  cpuMsOf,
  createProgress,
  describeMachine as describeBaseMachine,
  exitOnSignals,
  formatTable,
  graphqlOk,
  machineSummary,
  postgresPids,
  procStat,
  stopChild,
  integerFlag,
  percentile,
  rssMb,
  teardownOnce,
  type Machine as BaseMachine,
} from "./lib.js";

const SECRET = "bench-fanout-cluster-secret";
const DATA_SOURCE = "bench";
/** The storage REGISTER_STORAGE (the reference page's document) registers. */
const STORAGE = "minio-storage";
const DEFAULT_SIZES = [1, 5, 10, 20];
const QUICK_SIZES = [1, 5];
const DEFAULT_ITERATIONS = 50;
const QUICK_ITERATIONS = 5;
const WARMUP_ITERATIONS = 20;
const DEFAULT_JOINS = 10;
const QUICK_JOINS = 2;
const DEFAULT_FAILURES = 10;
const QUICK_FAILURES = 2;
/** Failure detection runs with these management settings (the target is CHECK + TIMEOUT). */
const CHECK_MS = 1_000;
const TIMEOUT_MS = 1_000;
/** Workers' CLUSTER_TIMEOUT: their bound on a call to the management node. */
const CLUSTER_TIMEOUT = "2s";
/** Polling interval of /ready and GET /v1/nodes: the resolution of the join and detection times. */
const POLL_MS = 10;
const READY_TIMEOUT_MS = 60_000;
const DETECT_TIMEOUT_MS = 30_000;
/**
 * After Ctrl-C, the time a child gets to exit after SIGTERM before it is killed (STOP_GRACE_MS otherwise):
 * the terminal signalled the children too, and the management node may be gone.
 */
const INTERRUPT_GRACE_MS = 1_000;
/** Workers started at once while the cluster grows (2 cores: more only queue up). */
const START_BATCH = 5;
/** DESIGN.md targets. */
const TARGET_FANOUT_NODES = 10;
const TARGET_FANOUT_RATIO = 2;
const TARGET_JOIN_MS = 2_000;
const TARGET_DETECT_MS = CHECK_MS + TIMEOUT_MS;

const MANAGEMENT_MAIN = fileURLToPath(new URL("../operator/dist/main.js", import.meta.url));
const WORKER_SERVER = fileURLToPath(new URL("../worker/dist/server.js", import.meta.url));

/** Command-line settings. */
interface Settings {
  sizes: number[];
  iterations: number;
  warmup: number;
  joins: number;
  failures: number;
  /** When set, every program runs with --cpu-prof and writes its profile here on exit. */
  profileDir: string | undefined;
}

/** A program under test, running as a child process. */
interface Proc {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** performance.now() right before spawn(). */
  spawnedAt: number;
  /** Date.now() right before spawn(), to place the process's own log timestamps. */
  spawnedWallMs: number;
  /** Its stdout and stderr, line by line (JSON log lines). */
  lines: string[];
}

/** Latency summary in ms (nearest-rank percentiles). */
interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Phase 1: one cluster size. */
interface FanoutRow {
  nodes: number;
  /** load_data_source through GraphQL on one work node, as its client sees it. */
  graphql: Stats;
  /** POST /v1/data-sources/bench/load, signed, straight to the management node. */
  direct: Stats;
  /** The slowest node's round trip as the management node timed it (from the direct calls' answers). */
  slowestNode: Stats;
  graphqlRatio: number;
  directRatio: number;
  /** CPU time per direct operation, summed per kind of process, from a separate back-to-back run. */
  cpuPerOp: CpuPerOp | undefined;
}

/** CPU ms per operation; `total / cores` is the latency floor if the work spread perfectly. */
interface CpuPerOp {
  workers: number;
  perWorker: number;
  management: number;
  postgres: number;
  bench: number;
  total: number;
  /** Wall-clock ms per operation of the accounting run. */
  wallPerOp: number;
}

/** Phase 2: one joining worker; times in ms since spawn. */
interface JoinSample {
  ready: number;
  /** The management node lists it as ready (its first heartbeat after converging). */
  managementReady: number;
  listening: number | undefined;
  registered: number | undefined;
  applied: number | undefined;
  /** Its resident set size once ready, MB (Linux). */
  rssMb: number | undefined;
}

interface JoinResult {
  samples: JoinSample[];
  ready: Stats;
  managementReady: Stats;
  listening: Stats | undefined;
  registered: Stats | undefined;
  applied: Stats | undefined;
  rssMb: Stats | undefined;
  /** Reference points: a bare `node -e 0`, and Node boot + importing worker/dist/server.js. */
  nodeBareExit: Stats;
  workerModulesImported: Stats;
  clusterSize: number;
}

/** Phase 3: detection times in ms. */
interface DetectResult {
  killed: Stats;
  hung: Stats;
  errors: string[];
}

interface Machine extends BaseMachine {
  postgres: string;
}

/** What has to be torn down on exit. */
const resources = {
  workers: new Set<Proc>(),
  management: undefined as Proc | undefined,
  postgres: undefined as PostgresInstance | undefined,
};
const progress = createProgress("fanout");
const { log, since } = progress;
/** --profile-dir: every program runs with --cpu-prof and writes its profile there on exit. */
let profileArgs: string[] = [];

// ---- command line ---------------------------------------------------------------------------

function parseCommandLine(): Settings {
  const { values } = parseArgs({
    options: {
      iterations: { type: "string" },
      warmup: { type: "string" },
      sizes: { type: "string" },
      joins: { type: "string" },
      failures: { type: "string" },
      quick: { type: "boolean", default: false },
      "profile-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: node bench/fanout.ts [--iterations N (default 50)] [--warmup N (default 20)] [--sizes 1,5,10,20]\n" +
        "                            [--joins N (default 10)] [--failures N (default 10)] [--quick (smoke run)]\n" +
        "                            [--profile-dir DIR (every program runs with --cpu-prof)]",
    );
    process.exit(0);
  }
  const quick = values.quick;
  const sizes = values.sizes
    ? values.sizes.split(",").map((s) => integerFlag("--sizes", s, 0, 1))
    : quick
      ? QUICK_SIZES
      : DEFAULT_SIZES;
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    iterations: integerFlag(
      "--iterations",
      values.iterations,
      quick ? QUICK_ITERATIONS : DEFAULT_ITERATIONS,
      1,
    ),
    warmup: integerFlag("--warmup", values.warmup, quick ? 2 : WARMUP_ITERATIONS, 0),
    joins: integerFlag("--joins", values.joins, quick ? QUICK_JOINS : DEFAULT_JOINS, 1),
    failures: integerFlag("--failures", values.failures, quick ? QUICK_FAILURES : DEFAULT_FAILURES, 1),
    profileDir: values["profile-dir"],
  };
}

// ---- statistics -----------------------------------------------------------------------------

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1) ?? NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

function definedStats(samples: readonly (number | undefined)[]): Stats | undefined {
  const defined = samples.filter((s): s is number => s !== undefined);
  return defined.length === samples.length && defined.length > 0 ? stats(defined) : undefined;
}

const ms = (value: number | undefined): string => (value === undefined ? "-" : value.toFixed(1));

// ---- processes ------------------------------------------------------------------------------

/** Spawns `node program` (with --cpu-prof under --profile-dir) on a free port with a minimal environment plus `env`. */
async function spawnProgram(
  name: string,
  program: string,
  env: Record<string, string>,
  options: { port?: number } = {},
): Promise<Proc> {
  const port = options.port ?? (await freePort());
  const lines: string[] = [];
  const spawnedWallMs = Date.now();
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...profileArgs, program], {
    env: { PATH: process.env["PATH"] ?? "", BIND: `${HOST}:${port}`, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let partial = "";
  const collect = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l.length > 0));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { name, url: `http://${HOST}:${port}`, port, child, spawnedAt, spawnedWallMs, lines };
}

function exited(proc: Proc): boolean {
  return proc.child.exitCode !== null || proc.child.signalCode !== null;
}

function tail(proc: Proc): string {
  return proc.lines.slice(-20).join("\n");
}

/** Polls GET /ready every POLL_MS; resolves with performance.now() of the first 200. */
async function waitReady(proc: Proc, timeoutMs = READY_TIMEOUT_MS): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exited(proc)) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${tail(proc)}`);
    const ok = await fetch(`${proc.url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return performance.now();
    await sleep(POLL_MS);
  }
  throw new Error(`${proc.name}: /ready not 200 within ${timeoutMs} ms:\n${tail(proc)}`);
}

/** `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves once the process is gone. */
async function stopProc(
  proc: Proc,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = STOP_GRACE_MS,
): Promise<void> {
  await stopChild(proc.child, signal, graceMs);
  resources.workers.delete(proc);
}

async function startManagement(env: Record<string, string>, port?: number): Promise<Proc> {
  const management = await spawnProgram(
    "management",
    MANAGEMENT_MAIN,
    { CLUSTER_SECRET: SECRET, NODE_REMOVE_AFTER: "1h", ...env },
    port === undefined ? {} : { port },
  );
  resources.management = management;
  await waitReady(management);
  return management;
}

interface WorkerContext {
  coreDbUrl: string;
  management: () => Proc;
}

async function spawnWorker(ctx: WorkerContext, name: string): Promise<Proc> {
  const port = await freePort();
  const worker = await spawnProgram(
    name,
    WORKER_MAIN,
    {
      CORE_DB_PATH: ctx.coreDbUrl,
      CLUSTER_SECRET: SECRET,
      CLUSTER_MANAGEMENT_URL: ctx.management().url,
      CLUSTER_NODE_NAME: name,
      CLUSTER_NODE_URL: `http://${HOST}:${port}`,
      CLUSTER_TIMEOUT,
    },
    { port },
  );
  resources.workers.add(worker);
  return worker;
}

// ---- HTTP helpers ---------------------------------------------------------------------------

interface LoadAnswer {
  function: { core: { cluster: { load_data_source: { success: boolean; message: string } } } };
}

/** Polls the management node until `predicate` holds for its node list; returns performance.now(). */
async function waitNodes(
  client: ManagementClient,
  predicate: (nodes: NodeInfo[]) => boolean,
  what: string,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last: NodeInfo[] = [];
  while (performance.now() < deadline) {
    last = await client.nodes().then(
      (r) => r.nodes,
      () => last,
    );
    if (predicate(last)) return performance.now();
    await sleep(POLL_MS);
  }
  throw new Error(`timed out waiting for ${what}; nodes: ${JSON.stringify(last)}`);
}

/** Exactly `names` registered and ready. */
function exactlyReady(names: readonly string[]): (nodes: NodeInfo[]) => boolean {
  return (nodes) =>
    nodes.length === names.length && names.every((n) => nodes.some((m) => m.name === n && m.ready));
}

// ---- phase 1: fan-out -----------------------------------------------------------------------

interface Cluster {
  ctx: WorkerContext;
  client: () => ManagementClient;
  /** The cluster's steady work nodes, in start order; workers[0] takes the GraphQL calls. */
  workers: Proc[];
}

/** Grows the cluster to `size` steady work nodes (START_BATCH at a time) and waits until all are ready. */
async function growTo(cluster: Cluster, size: number): Promise<void> {
  const start = performance.now();
  while (cluster.workers.length < size) {
    const batch = Math.min(START_BATCH, size - cluster.workers.length);
    const names = Array.from(
      { length: batch },
      (_, i) => `worker-${String(cluster.workers.length + i + 1).padStart(2, "0")}`,
    );
    const started = await Promise.all(names.map((name) => spawnWorker(cluster.ctx, name)));
    await Promise.all(started.map((w) => waitReady(w)));
    cluster.workers.push(...started);
  }
  await waitNodes(cluster.client(), exactlyReady(cluster.workers.map((w) => w.name)), `${size} ready nodes`);
  log(`cluster at ${size} work node(s), all ready (grew in ${since(start)})`);
}

async function loadViaGraphQL(worker: Proc, size: number): Promise<number> {
  const start = performance.now();
  const data = await graphqlOk<LoadAnswer>(worker.url, LOAD_DATA_SOURCE(DATA_SOURCE));
  const elapsed = performance.now() - start;
  const outcome = data.function.core.cluster.load_data_source;
  const expected = `load_data_source: done on ${size} node(s)`;
  if (!outcome.success || outcome.message !== expected)
    throw new Error(`GraphQL load_data_source on ${size} node(s): ${JSON.stringify(outcome)}`);
  return elapsed;
}

async function loadDirect(client: ManagementClient, size: number): Promise<[number, number]> {
  const start = performance.now();
  const result: ClusterOperationResult = await client.loadDataSource(DATA_SOURCE);
  const elapsed = performance.now() - start;
  if (!result.success || result.nodes.length !== size)
    throw new Error(`direct load_data_source on ${size} node(s): ${JSON.stringify(result)}`);
  return [elapsed, Math.max(...result.nodes.map((n) => n.durationMs))];
}

async function measureFanout(
  cluster: Cluster,
  size: number,
  settings: Settings,
): Promise<Omit<FanoutRow, "graphqlRatio" | "directRatio">> {
  await growTo(cluster, size);
  const entry = cluster.workers[0]!;
  for (let i = 0; i < settings.warmup; i++) {
    await loadViaGraphQL(entry, size);
    await loadDirect(cluster.client(), size);
  }
  const graphql: number[] = [];
  const direct: number[] = [];
  const slowest: number[] = [];
  const start = performance.now();
  // Alternate the two paths so both see the same machine state.
  for (let i = 0; i < settings.iterations; i++) {
    graphql.push(await loadViaGraphQL(entry, size));
    const [total, node] = await loadDirect(cluster.client(), size);
    direct.push(total);
    slowest.push(node);
  }
  const cpuPerOp = await accountCpu(cluster, size, settings.iterations);
  const row = {
    nodes: size,
    graphql: stats(graphql),
    direct: stats(direct),
    slowestNode: stats(slowest),
    cpuPerOp,
  };
  log(
    `${size} node(s): ${settings.iterations} x 2 operations in ${since(start)}: ` +
      `GraphQL p50 ${ms(row.graphql.p50)} ms, direct p50 ${ms(row.direct.p50)} ms` +
      (cpuPerOp ? `; CPU per direct operation ${ms(cpuPerOp.total)} ms` : ""),
  );
  return row;
}

// ---- CPU accounting (Linux /proc) -----------------------------------------------------------

interface CpuSnapshot {
  workers: number;
  management: number;
  postgres: number;
  bench: number;
}

function cpuSnapshot(workers: readonly Proc[]): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    workers: workers.reduce((sum, w) => sum + cpuMsOf(w.child.pid), 0),
    management: cpuMsOf(resources.management?.child.pid),
    postgres: postgresPids(resources.postgres).reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    bench: (usage.user + usage.system) / 1000,
  };
}

/**
 * Runs `operations` direct load_data_source calls back to back and divides the CPU every process used
 * meanwhile by the count: what one fan-out costs the machine. Undefined where /proc is missing.
 */
async function accountCpu(cluster: Cluster, size: number, operations: number): Promise<CpuPerOp | undefined> {
  if (procStat(process.pid) === undefined) return undefined;
  const before = cpuSnapshot(cluster.workers);
  const start = performance.now();
  for (let i = 0; i < operations; i++) await loadDirect(cluster.client(), size);
  const wall = performance.now() - start;
  const after = cpuSnapshot(cluster.workers);
  const per = (key: keyof CpuSnapshot): number => (after[key] - before[key]) / operations;
  const workers = per("workers");
  const management = per("management");
  const postgres = per("postgres");
  const bench = per("bench");
  return {
    workers,
    perWorker: workers / size,
    management,
    postgres,
    bench,
    total: workers + management + postgres + bench,
    wallPerOp: wall / operations,
  };
}

// ---- phase 2: convergence of a joining node -------------------------------------------------

/** ms since spawn of the first log line whose msg starts with `prefix`, from the process's own clock. */
function logMark(proc: Proc, prefix: string): number | undefined {
  for (const line of proc.lines) {
    let entry: { msg?: unknown; time?: unknown };
    try {
      entry = JSON.parse(line) as { msg?: unknown; time?: unknown };
    } catch {
      continue;
    }
    if (typeof entry.msg === "string" && entry.msg.startsWith(prefix) && typeof entry.time === "string")
      return Date.parse(entry.time) - proc.spawnedWallMs;
  }
  return undefined;
}

/** Checks on the joined node itself (node API, signed) that it attached the data source and has the storage. */
async function checkConverged(proc: Proc): Promise<void> {
  const client = createNodeClient({ baseUrl: proc.url, secret: SECRET, timeoutMs: 5_000 });
  const status = await client.dataSourceStatus(DATA_SOURCE);
  const { storages } = await client.storages();
  if (status.status !== "attached" || !storages.some((s) => s.name === STORAGE))
    throw new Error(`${proc.name} ready but not converged: ${JSON.stringify({ status, storages })}`);
}

async function joinOnce(cluster: Cluster, index: number): Promise<JoinSample> {
  const name = `joiner-${String(index + 1).padStart(2, "0")}`;
  const proc = await spawnWorker(cluster.ctx, name);
  const readyAt = await waitReady(proc);
  const managementReadyAt = await waitNodes(
    cluster.client(),
    (nodes) => nodes.some((n) => n.name === name && n.ready),
    `${name} ready at the management node`,
  );
  const rss = rssMb(proc.child.pid);
  await checkConverged(proc);
  await stopProc(proc); // SIGTERM: deregisters, so the next joiner meets the same cluster
  return {
    ready: readyAt - proc.spawnedAt,
    managementReady: managementReadyAt - proc.spawnedAt,
    listening: logMark(proc, "work node listening"),
    registered: logMark(proc, "registered with the management node"),
    applied: logMark(proc, "cluster configuration applied"),
    rssMb: rss,
  };
}

/** Runs `node args` to exit and returns its stdout (for the reference start-up times). */
async function runNode(args: string[]): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`node ${args.join(" ")} exited with ${code}`);
  return { ms: performance.now() - start, stdout };
}

/** Reference start-up costs: an empty Node process, and Node boot + loading the worker's modules. */
async function startupReference(samples: number): Promise<{ bare: Stats; imported: Stats }> {
  const bare: number[] = [];
  const imported: number[] = [];
  const script =
    `await import(${JSON.stringify(WORKER_SERVER)}); ` +
    "console.log(JSON.stringify({ imported: performance.now() }));";
  for (let i = 0; i < samples; i++) {
    bare.push((await runNode(["-e", "0"])).ms);
    const { stdout } = await runNode(["--input-type=module", "-e", script]);
    imported.push((JSON.parse(stdout) as { imported: number }).imported);
  }
  return { bare: stats(bare), imported: stats(imported) };
}

async function measureJoins(cluster: Cluster, settings: Settings): Promise<JoinResult> {
  const samples: JoinSample[] = [];
  for (let i = 0; i < settings.joins; i++) {
    const sample = await joinOnce(cluster, i);
    samples.push(sample);
    log(
      `join ${i + 1}/${settings.joins}: ready ${ms(sample.ready)} ms after spawn ` +
        `(listening ${ms(sample.listening)}, registered ${ms(sample.registered)}, ` +
        `applied ${ms(sample.applied)}, management sees it ready at ${ms(sample.managementReady)}; ` +
        `RSS ${ms(sample.rssMb)} MB)`,
    );
  }
  const reference = await startupReference(Math.min(settings.joins, 5));
  log(
    `reference: empty node process ${ms(reference.bare.p50)} ms, ` +
      `node boot + import worker modules ${ms(reference.imported.p50)} ms (p50)`,
  );
  return {
    samples,
    ready: stats(samples.map((s) => s.ready)),
    managementReady: stats(samples.map((s) => s.managementReady)),
    listening: definedStats(samples.map((s) => s.listening)),
    registered: definedStats(samples.map((s) => s.registered)),
    applied: definedStats(samples.map((s) => s.applied)),
    rssMb: definedStats(samples.map((s) => s.rssMb)),
    nodeBareExit: reference.bare,
    workerModulesImported: reference.imported,
    clusterSize: cluster.workers.length,
  };
}

// ---- phase 3: failure detection -------------------------------------------------------------

/**
 * Starts a victim, waits until the management node has it ready, waits a random part of CHECK (so
 * the failure lands anywhere in the health-check cycle), sends `signal` and times until GET /v1/nodes
 * reports it not ready. Kills and deregisters it afterwards.
 */
async function detectOnce(
  cluster: Cluster,
  name: string,
  signal: "SIGKILL" | "SIGSTOP",
): Promise<{ ms: number; error: string }> {
  const victim = await spawnWorker(cluster.ctx, name);
  await waitReady(victim);
  await waitNodes(
    cluster.client(),
    (nodes) => nodes.some((n) => n.name === name && n.ready),
    `${name} ready`,
  );
  await sleep(Math.random() * CHECK_MS);
  const start = performance.now();
  victim.child.kill(signal);
  let error = "";
  const detectedAt = await waitNodes(
    cluster.client(),
    (nodes) => {
      const node = nodes.find((n) => n.name === name);
      error = node?.error ?? "(removed)";
      return !node?.ready;
    },
    `${name} not ready after ${signal}`,
    DETECT_TIMEOUT_MS,
  );
  if (signal === "SIGSTOP") victim.child.kill("SIGKILL");
  await stopProc(victim, "SIGKILL");
  await cluster.client().deregister(name);
  return { ms: detectedAt - start, error };
}

async function measureDetection(cluster: Cluster, settings: Settings): Promise<DetectResult> {
  const killed: number[] = [];
  const hung: number[] = [];
  const errors = new Set<string>();
  for (let i = 0; i < settings.failures; i++) {
    const { ms: took, error } = await detectOnce(cluster, `victim-${i + 1}`, "SIGKILL");
    killed.push(took);
    errors.add(error.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT"));
    log(`kill -9 ${i + 1}/${settings.failures}: not ready after ${ms(took)} ms`);
  }
  const hungRuns = Math.max(1, Math.ceil(settings.failures / 2));
  for (let i = 0; i < hungRuns; i++) {
    const { ms: took, error } = await detectOnce(cluster, `hung-${i + 1}`, "SIGSTOP");
    hung.push(took);
    errors.add(error.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT"));
    log(`SIGSTOP ${i + 1}/${hungRuns}: not ready after ${ms(took)} ms`);
  }
  return { killed: stats(killed), hung: stats(hung), errors: [...errors] };
}

// ---- report ---------------------------------------------------------------------------------

function describeMachine(): Machine {
  let postgres = "unknown";
  try {
    postgres = execFileSync(join(findPostgresBinDir(), "postgres"), ["--version"], {
      encoding: "utf8",
    }).trim();
  } catch {
    // reported as unknown
  }
  return { ...describeBaseMachine(), postgres };
}

const verdict = (met: boolean): string => (met ? "met" : "MISSED");

function printFanout(rows: FanoutRow[]): void {
  console.log("\nFan-out: load_data_source, latency in ms (client-side)");
  console.log(
    formatTable(
      [
        "nodes",
        "GraphQL p50",
        "p95",
        "max",
        "x 1-node",
        "direct p50",
        "p95",
        "max",
        "x 1-node",
        "slowest node p50",
      ],
      rows.map((r) => [
        String(r.nodes),
        ms(r.graphql.p50),
        ms(r.graphql.p95),
        ms(r.graphql.max),
        r.graphqlRatio.toFixed(2),
        ms(r.direct.p50),
        ms(r.direct.p95),
        ms(r.direct.max),
        r.directRatio.toFixed(2),
        ms(r.slowestNode.p50),
      ]),
    ),
  );
}

function printCpu(rows: FanoutRow[], cores: number): void {
  if (rows.some((r) => !r.cpuPerOp)) return;
  console.log(
    `\nWhere the fan-out time goes: CPU ms per direct load_data_source (all processes, ${cores} cores)`,
  );
  console.log(
    formatTable(
      [
        "nodes",
        "workers",
        "per worker",
        "management",
        "postgres",
        "bench",
        "total",
        `total/${cores}`,
        "wall/op",
      ],
      rows.map((r) => {
        const c = r.cpuPerOp!;
        return [
          String(r.nodes),
          ms(c.workers),
          ms(c.perWorker),
          ms(c.management),
          ms(c.postgres),
          ms(c.bench),
          ms(c.total),
          ms(c.total / cores),
          ms(c.wallPerOp),
        ];
      }),
    ),
  );
}

function printJoin(join: JoinResult): void {
  console.log(`\nConvergence: a fresh work node joining a ${join.clusterSize}-node cluster, ms since spawn`);
  const row = (label: string, s: Stats | undefined): string[] =>
    s ? [label, ms(s.p50), ms(s.p95), ms(s.max)] : [label, "-", "-", "-"];
  console.log(
    formatTable(
      ["milestone", "p50", "p95", "max"],
      [
        row("log: work node listening", join.listening),
        row("log: registered", join.registered),
        row("log: cluster configuration applied", join.applied),
        row("GET /ready 200", join.ready),
        row("management lists it ready", join.managementReady),
        row("(ref) node -e 0, spawn to exit", join.nodeBareExit),
        row("(ref) node boot + import worker modules", join.workerModulesImported),
      ],
    ),
  );
  if (join.rssMb)
    console.log(
      `RSS of the joined node once ready: p50 ${ms(join.rssMb.p50)} MB, max ${ms(join.rssMb.max)} MB`,
    );
}

function printDetection(d: DetectResult): void {
  console.log(
    `\nFailure detection (CHECK=${CHECK_MS}ms TIMEOUT=${TIMEOUT_MS}ms), ms from signal to not ready`,
  );
  const row = (label: string, s: Stats): string[] => [label, String(s.n), ms(s.p50), ms(s.p95), ms(s.max)];
  console.log(
    formatTable(
      ["failure", "runs", "p50", "p95", "max"],
      [row("kill -9 (connection refused)", d.killed), row("SIGSTOP (hung: times out)", d.hung)],
    ),
  );
  console.log(`errors reported: ${d.errors.join(" | ")}`);
}

interface Verdicts {
  fanoutRatioAt10: number | undefined;
  fanoutMet: boolean | undefined;
  joinMet: boolean;
  detectKilledMet: boolean;
  detectHungMet: boolean;
}

function verdicts(rows: FanoutRow[], join: JoinResult, detect: DetectResult): Verdicts {
  const at10 = rows.find((r) => r.nodes === TARGET_FANOUT_NODES);
  return {
    fanoutRatioAt10: at10?.graphqlRatio,
    fanoutMet: at10 ? at10.graphqlRatio <= TARGET_FANOUT_RATIO : undefined,
    joinMet: join.ready.max <= TARGET_JOIN_MS,
    detectKilledMet: detect.killed.max <= TARGET_DETECT_MS,
    detectHungMet: detect.hung.max <= TARGET_DETECT_MS,
  };
}

function printVerdicts(v: Verdicts, rows: FanoutRow[], join: JoinResult, detect: DetectResult): void {
  const at10 = rows.find((r) => r.nodes === TARGET_FANOUT_NODES);
  console.log("\nTargets (DESIGN.md):");
  console.log(
    at10
      ? `  fan-out across ${TARGET_FANOUT_NODES} nodes <= ${TARGET_FANOUT_RATIO}x 1-node (p50): GraphQL ` +
          `${at10.graphqlRatio.toFixed(2)}x, direct ${at10.directRatio.toFixed(2)}x: ${verdict(v.fanoutMet === true)}`
      : `  fan-out across ${TARGET_FANOUT_NODES} nodes: not measured (add 10 to --sizes)`,
  );
  console.log(
    `  joining node ready within ${TARGET_JOIN_MS} ms of spawn: p50 ${ms(join.ready.p50)} ms, ` +
      `max ${ms(join.ready.max)} ms: ${verdict(v.joinMet)}`,
  );
  console.log(
    `  dead node not ready within CHECK + TIMEOUT = ${TARGET_DETECT_MS} ms: kill -9 max ${ms(detect.killed.max)} ms ` +
      `(${verdict(v.detectKilledMet)}), hung max ${ms(detect.hung.max)} ms (${verdict(v.detectHungMet)})\n`,
  );
}

// ---- lifecycle ------------------------------------------------------------------------------

/**
 * Stops every work node (SIGTERM: they deregister), then the management node, then PostgreSQL; after
 * Ctrl-C with a shorter grace before SIGKILL. Safe to call more than once.
 */
const cleanup = teardownOnce(async (graceMs) => {
  for (const worker of resources.workers) worker.child.kill("SIGCONT"); // a stopped victim
  await Promise.all([...resources.workers].map((w) => stopProc(w, "SIGTERM", graceMs)));
  if (resources.management) await stopProc(resources.management, "SIGTERM", graceMs);
  resources.management = undefined;
  await resources.postgres?.stop();
  resources.postgres = undefined;
});

function installSignalHandlers(): void {
  exitOnSignals({
    progress,
    stopping: "work nodes, the management node and PostgreSQL",
    cleanup,
    graceMs: INTERRUPT_GRACE_MS,
    killOnExit: () => {
      for (const worker of resources.workers) worker.child.kill("SIGKILL");
      resources.management?.child.kill("SIGKILL");
    },
  });
}

/** PostgreSQL, the management node (default CHECK/TIMEOUT), the first work node, the seed state. */
async function setUp(): Promise<{ cluster: Cluster; managementDbUrl: string }> {
  let start = performance.now();
  log("starting PostgreSQL (test harness)");
  const pg = await startPostgres();
  resources.postgres = pg;
  const managementDbUrl = await pg.createDatabase("management");
  log(`PostgreSQL ready in ${since(start)} on port ${pg.port}`);

  start = performance.now();
  // Phases 1-2 run with the management node's defaults (CHECK=1m, TIMEOUT=30s): heartbeats every 15 s,
  // so background membership traffic does not grow with the cluster under the fan-out measurement.
  let management = await startManagement({ CORE_DB_PATH: managementDbUrl });
  log(`management node ready in ${since(start)} at ${management.url} (pid ${management.child.pid})`);
  let client = createManagementClient({ baseUrl: management.url, secret: SECRET, timeoutMs: 30_000 });
  const cluster: Cluster = {
    ctx: { coreDbUrl: pg.url, management: () => management },
    client: () => client,
    workers: [],
  };
  // Phase 3 restarts the management node; the closures above follow it.
  restartManagement = async (env) => {
    const port = management.port;
    await stopProc(management);
    management = await startManagement({ CORE_DB_PATH: managementDbUrl, ...env }, port);
    client = createManagementClient({ baseUrl: management.url, secret: SECRET, timeoutMs: 30_000 });
    return management;
  };

  await growTo(cluster, 1);
  const entry = cluster.workers[0]!;
  await graphqlOk(entry.url, ADD_DATA_SOURCE, {
    data: { ...ADD_DATA_SOURCE_VARIABLES_FOR_BENCH },
  });
  await graphqlOk(entry.url, LOAD_DATA_SOURCE(DATA_SOURCE));
  await graphqlOk(entry.url, REGISTER_STORAGE);
  log(`inserted data source '${DATA_SOURCE}', loaded it, registered storage '${STORAGE}'`);
  return { cluster, managementDbUrl };
}

let restartManagement: (env: Record<string, string>) => Promise<Proc> = () =>
  Promise.reject(new Error("management node not started"));

/**
 * The insert_data_sources input for the benchmark's data source (the reference page's shape): a
 * DuckDB view every node can load with no server, so each load really opens, parses and serves it.
 */
const ADD_DATA_SOURCE_VARIABLES_FOR_BENCH = {
  name: DATA_SOURCE,
  type: "duckdb",
  prefix: "bench",
  description: "Fan-out benchmark data source",
  read_only: true,
  as_module: true,
  path: ":memory:",
  catalogs: [
    {
      name: "bench_schema",
      type: "text",
      description: "SDL",
      path: 'type events @view(name: "events", sql: "select 1 as id, \'a\' as name") { id: Int! @pk  name: String }',
    },
  ],
};

function withRatios(rows: Omit<FanoutRow, "graphqlRatio" | "directRatio">[]): FanoutRow[] {
  const base = rows[0];
  return rows.map((r) => ({
    ...r,
    graphqlRatio: base ? r.graphql.p50 / base.graphql.p50 : NaN,
    directRatio: base ? r.direct.p50 / base.direct.p50 : NaN,
  }));
}

async function main(settings: Settings): Promise<number> {
  installSignalHandlers();
  if (settings.profileDir) {
    profileArgs = ["--cpu-prof", `--cpu-prof-dir=${settings.profileDir}`];
    log(`every program runs with --cpu-prof, profiles in ${settings.profileDir}: the numbers are slower`);
  }
  const machine = describeMachine();
  log(`machine: ${machineSummary(machine)}, ${machine.postgres}`);
  log(
    `settings: sizes ${settings.sizes.join(",")}, ${settings.iterations} iterations (+${settings.warmup} warm-up), ` +
      `${settings.joins} joins, ${settings.failures} kills, loopback`,
  );
  const { cluster } = await setUp();

  log("phase 1: fan-out latency of load_data_source");
  const measured = [];
  for (const size of settings.sizes) measured.push(await measureFanout(cluster, size, settings));
  const fanout = withRatios(measured);
  const memory = {
    workerRssMb: stats(cluster.workers.map((w) => rssMb(w.child.pid)).filter((v) => v !== undefined)),
    managementRssMb: rssMb(resources.management?.child.pid),
    workers: cluster.workers.length,
  };
  log(
    `RSS with ${memory.workers} work nodes: worker p50 ${ms(memory.workerRssMb.p50)} MB, ` +
      `max ${ms(memory.workerRssMb.max)} MB; management ${ms(memory.managementRssMb)} MB`,
  );

  log(`phase 2: a fresh work node joins the ${cluster.workers.length}-node cluster, ${settings.joins} times`);
  const join = await measureJoins(cluster, settings);

  log(
    `phase 3: failure detection; restarting the management node with CHECK=${CHECK_MS}ms TIMEOUT=${TIMEOUT_MS}ms`,
  );
  await restartManagement({ CHECK: `${CHECK_MS}ms`, TIMEOUT: `${TIMEOUT_MS}ms` });
  await waitNodes(
    cluster.client(),
    exactlyReady(cluster.workers.map((w) => w.name)),
    "the cluster ready again",
  );
  const detect = await measureDetection(cluster, settings);

  const cleanupStart = performance.now();
  await cleanup();
  log(
    `stopped ${cluster.workers.length} work nodes, the management node and PostgreSQL in ${since(cleanupStart)}`,
  );

  printFanout(fanout);
  printCpu(fanout, machine.cores);
  printJoin(join);
  printDetection(detect);
  console.log(
    `\nRSS after the fan-out runs: ${memory.workers} work nodes p50 ${ms(memory.workerRssMb.p50)} MB, ` +
      `max ${ms(memory.workerRssMb.max)} MB; management node ${ms(memory.managementRssMb)} MB`,
  );
  const v = verdicts(fanout, join, detect);
  printVerdicts(v, fanout, join, detect);
  console.log(`machine: ${machineSummary(machine)}, ${machine.postgres}`);
  console.log(
    JSON.stringify({
      machine,
      settings: { ...settings, checkMs: CHECK_MS, timeoutMs: TIMEOUT_MS, pollMs: POLL_MS },
      fanout,
      join,
      detect,
      memory,
      targets: {
        fanoutRatioAt10Nodes: TARGET_FANOUT_RATIO,
        joinMs: TARGET_JOIN_MS,
        detectMs: TARGET_DETECT_MS,
      },
      verdicts: v,
    }),
  );
  return 0;
}

const settings = parseCommandLine();
try {
  process.exitCode = await main(settings);
} catch (error) {
  if (!progress.interrupted) console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  await cleanup();
  process.exitCode = progress.interrupted ? EXIT_INTERRUPTED : EXIT_FAILURE;
}
