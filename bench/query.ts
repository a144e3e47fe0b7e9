/**
 * Benchmark: a data source query through the work node's GraphQL against the same question asked in
 * hand-written SQL behind a minimal HTTP server, in the same run and on the same machine (results:
 * docs/benchmarks.md).
 *
 *   npx tsx bench/query.ts [--duration SECONDS] [--connections N] [--quick] [--profile-dir DIR]
 *
 * One private PostgreSQL (test harness) holds the worker's core database and the shop database
 * (worker/test/harness/shop-db.ts). Both servers run as child processes, so neither shares this
 * process's event loop (autocannon, the load generator, runs here):
 *
 *   - graphql: worker/dist/main.js with the shop database registered through `insert_data_sources`
 *     (catalog SHOP_CATALOG) and loaded with `load_data_source`, answering {@link GRAPHQL_QUERY};
 *   - sql: this script in `--serve-sql` mode, a node:http server with a postgres.js pool of the worker's
 *     default size, answering every POST with one prepared, hand-written statement ({@link BASELINE_SQL})
 *     that builds the same tree with json_agg/json_build_object; postgres.js parses the json column and
 *     the server serialises `{ data: { orders } }` with JSON.stringify, as a plain Node service would.
 *
 * Before measuring, both answers are parsed and compared (deep equality); the script fails if they
 * differ. Exits non-zero if any request failed (connection error, timeout, non-2xx, or a body with an
 * `errors` entry), not when the target is missed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, parseArgs } from "node:util";
import postgres from "postgres";
import { freePort } from "../worker/test/harness/net.js";
import { startPostgres, type PostgresInstance } from "../worker/test/harness/postgres.js";
import { SHOP_CATALOG, createShopDatabase } from "../worker/test/harness/shop-db.js";
import { createProgress, describeMachine } from "./lib.js";

const HOST = "127.0.0.1";
const DEFAULT_DURATION_S = 10;
const QUICK_DURATION_S = 2;
const DEFAULT_CONNECTIONS = 32;
const WARMUP_S = 2;
/** Per-request timeout of the load generator. */
const REQUEST_TIMEOUT_S = 10;
const READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;
/** Time a child gets to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;
/** The worker's default DATA_SOURCE_MAX_CONNECTIONS: the baseline's pool gets the same size. */
const POOL_SIZE = 10;
/** GraphQL throughput at least half of the hand-written SQL service's. */
const TARGET_THROUGHPUT_RATIO = 0.5;
const EXIT_REQUEST_ERRORS = 1;
const EXIT_FAILURE = 2;
const EXIT_INTERRUPTED = 130;

const WORKER_MAIN = fileURLToPath(new URL("../worker/dist/main.js", import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);
/** The environment variable passing the shop database URL to the `--serve-sql` child. */
const BASELINE_DSN_ENV = "BENCH_QUERY_DSN";

const SOURCE = "shop";
/** A filtered, ordered, limited list with a many-to-one and a nested one-to-many -> many-to-one. */
const GRAPHQL_QUERY = `{ orders(filter: {status: {eq: "paid"}}, order_by: [{field: "id"}], limit: 20) {
  id total customer { name email }
  items(order_by: [{field: "product_id"}]) { quantity product { title price } } } }`;
/**
 * {@link GRAPHQL_QUERY} by hand: one statement, the JSON tree built by PostgreSQL with correlated
 * subqueries (on these small tables they cost PostgreSQL less than joins: each join subquery built a hash
 * table per order).
 */
const BASELINE_SQL = `select coalesce(json_agg(json_build_object(
    'id', o.id,
    'total', o.total,
    'customer', (select json_build_object('name', c.full_name, 'email', c.email)
                 from customers c where c.id = o.customer_id),
    'items', (select coalesce(json_agg(json_build_object(
                'quantity', i.quantity,
                'product', (select json_build_object('title', p.title, 'price', p.price)
                            from products p where p.id = i.product_id)) order by i.product_id), '[]')
              from order_items i where i.order_id = o.id)
  ) order by o.id), '[]') as orders
from (select id, total, customer_id from orders where status = $1 order by id limit $2) o`;
const BASELINE_PARAMS = ["paid", 20];
/** Rows the query returns on the seeded shop (orders 1, 5, ..., 57 are "paid"). */
const EXPECTED_ORDERS = 15;
const INSERT_SOURCE = `mutation($data: data_sources_mut_input_data!) {
  core { insert_data_sources(data: $data) { name } }
}`;
const LOAD_SOURCE = `mutation { function { core { load_data_source(name: "${SOURCE}") { success message } } } }`;
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
  name: "sql" | "graphql";
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
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
  /** CPU ms per response over the measured run (Linux /proc; undefined elsewhere). */
  cpuPerRequest: CpuPerRequest | undefined;
}

/** CPU ms per response, by process: the server under test, PostgreSQL, the load generator. */
interface CpuPerRequest {
  server: number;
  postgres: number;
  loadGenerator: number;
  /** CPU used by the three / (wall time x cores): 1 means the machine was saturated by the benchmark. */
  machineBusy: number;
  /** CPU used by every other process on the machine, same scale: another workload disturbing the run. */
  othersBusy: number;
}

/** What has to be torn down on exit: child processes, the PostgreSQL instance, a running load test. */
const resources = {
  children: new Set<ChildProcess>(),
  postgres: undefined as PostgresInstance | undefined,
  load: undefined as AutocannonInstance | undefined,
};
const progress = createProgress("bench-query");
const { log, since } = progress;

/** Parses the command line; `--serve-sql PORT` is the internal mode of the baseline child. */
function parseCommandLine(): { settings: Settings; serveSqlPort: number | undefined } {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      quick: { type: "boolean", default: false },
      "profile-dir": { type: "string" },
      "serve-sql": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npx tsx bench/query.ts [--duration SECONDS (default 10)] [--connections N (default 32)]\n" +
        "                              [--quick (2 s per measurement)] [--profile-dir DIR (worker --cpu-prof)]",
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
    serveSqlPort: values["serve-sql"] === undefined ? undefined : Number(values["serve-sql"]),
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

/**
 * Child mode: the baseline. Every POST (its body read and parsed, then ignored) is answered with
 * {@link BASELINE_SQL} as `{ data: { orders } }`, until killed.
 */
async function serveSql(port: number): Promise<void> {
  const dsn = process.env[BASELINE_DSN_ENV];
  if (!dsn) throw new Error(`${BASELINE_DSN_ENV} is not set`);
  // Prepared, like the worker's statements (postgres.js `prepare: true` is its default).
  const sql = postgres(dsn, { max: POOL_SIZE, prepare: true, onnotice: () => undefined });
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        try {
          if (request.method !== "POST") throw new Error(`${request.method} is not supported`);
          JSON.parse(Buffer.concat(chunks).toString("utf8"));
          const [row] = await sql.unsafe<{ orders: unknown }[]>(BASELINE_SQL, BASELINE_PARAMS);
          const body = JSON.stringify({ data: { orders: row?.orders } });
          response.writeHead(200, { "content-type": "application/json" }).end(body);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          response
            .writeHead(500, { "content-type": "application/json" })
            .end(JSON.stringify({ errors: [{ message }] }));
        }
      })();
    });
  });
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

/** Polls `probe` until it resolves true; throws if `child` exits first or the timeout passes. */
async function waitUntil(what: string, child: ChildProcess, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what}: the server process exited with ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS} ms`);
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
  await waitUntil(`${url}/ready`, child, async () => (await fetch(`${url}/ready`)).ok);
  return { name: "graphql", url, child };
}

/** Starts this script in `--serve-sql` mode on a free port and waits until it answers a POST. */
async function startSqlProcess(shopUrl: string): Promise<Target> {
  const port = await freePort();
  // The child runs this same TypeScript file, so it inherits the loader this process runs under (tsx).
  const child = spawnNode("sql", [...process.execArgv, THIS_FILE, "--serve-sql", String(port)], {
    [BASELINE_DSN_ENV]: shopUrl,
  });
  const url = `http://${HOST}:${port}`;
  await waitUntil(url, child, async () => (await post(url, {})).status === 200);
  return { name: "sql", url, child };
}

/** POSTs `body` as JSON to `${url}/graphql`. */
function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/graphql`, { method: "POST", headers: REQUEST_HEADERS, body: JSON.stringify(body) });
}

/** POSTs one GraphQL request; throws unless it is HTTP 200 with data and no errors. Returns `data`. */
async function graphqlOk(url: string, query: string, variables?: Record<string, unknown>): Promise<unknown> {
  const response = await post(url, { query, variables });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: unknown[] };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`${url}/graphql answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return body.data;
}

/** Registers the shop database as data source {@link SOURCE} (catalog SHOP_CATALOG) and loads it. */
async function registerShop(worker: Target, shopUrl: string): Promise<void> {
  const source = {
    name: SOURCE,
    type: "postgres",
    prefix: "",
    description: "bench/query.ts: the test harness's shop database",
    path: shopUrl,
    as_module: false,
    read_only: true,
    catalogs: [{ name: SOURCE, type: "text", path: SHOP_CATALOG }],
  };
  await graphqlOk(worker.url, INSERT_SOURCE, { data: source });
  const data = (await graphqlOk(worker.url, LOAD_SOURCE)) as {
    function: { core: { load_data_source: { success: boolean; message: string } } };
  };
  const result = data.function.core.load_data_source;
  if (!result.success) throw new Error(`load_data_source(${SOURCE}) failed: ${result.message}`);
}

/** The first path where `a` and `b` differ, for the error message. */
function firstDifference(a: unknown, b: unknown, path = "$"): string {
  if (isDeepStrictEqual(a, b)) return "";
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: a list vs not a list`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const inner = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`,
    );
    if (inner) return inner;
  }
  return `${path}: key order or types differ`;
}

/**
 * Asks both servers once and fails loudly unless both answer 200 with the same parsed JSON (deep
 * equality, values compared as JSON numbers and strings) holding {@link EXPECTED_ORDERS} orders.
 * Returns the size of each response body in bytes.
 */
async function verifySameAnswer(
  sqlTarget: Target,
  graphql: Target,
): Promise<{ sql: number; graphql: number }> {
  const body = { query: GRAPHQL_QUERY };
  const [sqlText, graphqlText] = await Promise.all(
    [sqlTarget, graphql].map(async (target) => {
      const response = await post(target.url, body);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${target.name} answered ${response.status}: ${text}`);
      return text;
    }),
  );
  const sqlAnswer = JSON.parse(sqlText!) as { data?: { orders?: unknown[] }; errors?: unknown };
  const graphqlAnswer = JSON.parse(graphqlText!) as { data?: { orders?: unknown[] }; errors?: unknown };
  if (graphqlAnswer.errors) throw new Error(`graphql answered with errors: ${graphqlText!.slice(0, 1000)}`);
  const orders = sqlAnswer.data?.orders?.length;
  if (orders !== EXPECTED_ORDERS)
    throw new Error(`sql answered ${orders} orders, expected ${EXPECTED_ORDERS}`);
  if (!isDeepStrictEqual(graphqlAnswer, sqlAnswer)) {
    throw new Error(
      `GraphQL and SQL answers differ at ${firstDifference(graphqlAnswer, sqlAnswer)}\n` +
        `graphql: ${graphqlText!.slice(0, 600)}\nsql:     ${sqlText!.slice(0, 600)}`,
    );
  }
  return { sql: Buffer.byteLength(sqlText!), graphql: Buffer.byteLength(graphqlText!) };
}

/** True for a response body without errors (counted by autocannon as a mismatch otherwise). */
function hasNoErrors(body: string): boolean {
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
        body: JSON.stringify({ query: GRAPHQL_QUERY }),
        connections,
        duration: durationS,
        timeout: REQUEST_TIMEOUT_S,
        verifyBody: hasNoErrors,
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
 * The numbers this script reports from an autocannon result. Throughput is responses / run time
 * (autocannon's `requests.average` is a mean of 1-s samples, the last one partial).
 */
function toMeasurement(
  name: Target["name"],
  result: AutocannonResult,
  cpuPerRequest: CpuPerRequest | undefined,
): Measurement {
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
    cpuPerRequest,
  };
}

/** Warms `target` up for {@link WARMUP_S}, then measures it for the configured duration. */
async function measure(target: Target, settings: Settings): Promise<Measurement> {
  log(`${target.name}: warm-up ${WARMUP_S} s, ${settings.connections} connections`);
  await runLoad(target, WARMUP_S, settings.connections);
  log(`${target.name}: measuring ${settings.durationS} s, ${settings.connections} connections`);
  const start = performance.now();
  const before = cpuSnapshot(target);
  const load = await runLoad(target, settings.durationS, settings.connections);
  const after = cpuSnapshot(target);
  const wallMs = performance.now() - start;
  const result = toMeasurement(target.name, load, cpuPerRequest(before, after, load.requests.total, wallMs));
  const others = result.cpuPerRequest
    ? `, other processes ${Math.round(result.cpuPerRequest.othersBusy * 100)} % of the CPU`
    : "";
  log(
    `${target.name}: done in ${since(start)}: ${Math.round(result.requestsPerSecond)} req/s` +
      ` (load average ${loadAverage()}${others})`,
  );
  return result;
}

// ---- CPU accounting (Linux /proc), as in bench/fanout.ts ----------------------------------------

/** The 1-minute load average (Linux /proc/loadavg): shows another workload sharing the machine. */
function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ")[0] ?? "?";
  } catch {
    return "?";
  }
}

const CLOCK_TICKS_PER_S = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Fields of /proc/PID/stat after the command name: [state, ppid, ..., utime (11), stime (12)]. */
function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** User + system CPU ms a process has used so far (0 when it is gone). */
function cpuMsOf(pid: number | undefined): number {
  const fields = pid === undefined ? undefined : procStat(pid);
  if (!fields) return 0;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** The postmaster and its children (backends, background processes) of the harness's server. */
function postgresPids(): number[] {
  const dataDir = resources.postgres?.dataDir;
  if (!dataDir) return [];
  try {
    const postmaster = Number(readFileSync(join(dataDir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    const children = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((pid) => procStat(pid)?.[1] === String(postmaster));
    return [postmaster, ...children];
  } catch {
    return [];
  }
}

interface CpuSnapshot {
  server: number;
  postgres: number;
  loadGenerator: number;
  /** Busy CPU ms of the whole machine (/proc/stat: all but idle and iowait). */
  machine: number;
}

/** Busy CPU ms of the whole machine since boot, summed over its cores (0 when /proc/stat is missing). */
function machineBusyMs(): number {
  try {
    const fields = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** CPU ms used so far; undefined where /proc is missing. Backends that exit meanwhile are not counted. */
function cpuSnapshot(target: Target): CpuSnapshot | undefined {
  if (procStat(process.pid) === undefined) return undefined;
  const usage = process.cpuUsage();
  return {
    server: cpuMsOf(target.child.pid),
    postgres: postgresPids().reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    loadGenerator: (usage.user + usage.system) / 1000,
    machine: machineBusyMs(),
  };
}

function cpuPerRequest(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  requests: number,
  wallMs: number,
): CpuPerRequest | undefined {
  if (!before || !after || requests === 0) return undefined;
  const used = (key: keyof CpuSnapshot): number => after[key] - before[key];
  const total = used("server") + used("postgres") + used("loadGenerator");
  const capacity = wallMs * describeMachine().cores;
  return {
    server: used("server") / requests,
    postgres: used("postgres") / requests,
    loadGenerator: used("loadGenerator") / requests,
    machineBusy: total / capacity,
    othersBusy: Math.max(0, used("machine") - total) / capacity,
  };
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
    "CPU ms/req: server",
    "postgres",
    "load gen",
    "busy: bench",
    "others",
  ];
  const cpu = (m: Measurement, key: keyof CpuPerRequest): string => {
    const value = m.cpuPerRequest?.[key];
    if (value === undefined) return "-";
    return key === "machineBusy" || key === "othersBusy" ? `${Math.round(value * 100)} %` : value.toFixed(2);
  };
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
    cpu(m, "server"),
    cpu(m, "postgres"),
    cpu(m, "loadGenerator"),
    cpu(m, "machineBusy"),
    cpu(m, "othersBusy"),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(["", format(header), ...lines.map(format)].join("\n"));
}

/** GraphQL/SQL ratios and whether the throughput target is met. */
function ratios(sqlResult: Measurement, graphql: Measurement) {
  const throughput = graphql.requestsPerSecond / sqlResult.requestsPerSecond;
  const p99 = graphql.p99Ms / sqlResult.p99Ms;
  return { throughput, p99, throughputMet: throughput >= TARGET_THROUGHPUT_RATIO };
}

/** Prints the ratios against the target. */
function printRatios(r: ReturnType<typeof ratios>): void {
  console.log(
    [
      "",
      `throughput graphql/sql: ${r.throughput.toFixed(2)} ` +
        `(target >= ${TARGET_THROUGHPUT_RATIO}: ${r.throughputMet ? "met" : "MISSED"})`,
      `p99 latency graphql/sql: ${r.p99.toFixed(2)}`,
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

/** Starts PostgreSQL with the shop database, the worker (source loaded) and the SQL server; logs each phase. */
async function startTargets(settings: Settings): Promise<{ sql: Target; graphql: Target }> {
  let start = performance.now();
  log("starting PostgreSQL (test harness)");
  const pg = await startPostgres();
  resources.postgres = pg;
  log(`PostgreSQL ready in ${since(start)} on port ${pg.port}`);
  start = performance.now();
  const shopUrl = await createShopDatabase(pg, SOURCE);
  log(`shop database created and seeded in ${since(start)}`);

  start = performance.now();
  const graphql = await startWorkerProcess(pg.url, settings.profileDir);
  log(`worker ready in ${since(start)} at ${graphql.url} (pid ${graphql.child.pid})`);
  start = performance.now();
  await registerShop(graphql, shopUrl);
  log(`data source "${SOURCE}" registered and loaded in ${since(start)}`);

  start = performance.now();
  const sqlTarget = await startSqlProcess(shopUrl);
  log(`hand-written SQL server ready in ${since(start)} at ${sqlTarget.url} (pid ${sqlTarget.child.pid})`);
  return { sql: sqlTarget, graphql };
}

async function main(settings: Settings): Promise<number> {
  installSignalHandlers();
  const machine = describeMachine();
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`,
  );
  log(`settings: ${settings.durationS} s per measurement, ${settings.connections} connections, loopback`);
  log(`load average ${loadAverage()}`);
  const targets = await startTargets(settings);
  const bytes = await verifySameAnswer(targets.sql, targets.graphql);
  log(
    `answers identical: ${EXPECTED_ORDERS} orders, ${bytes.graphql} bytes (graphql) / ${bytes.sql} bytes (sql)`,
  );
  const sqlResult = await measure(targets.sql, settings);
  const graphqlResult = await measure(targets.graphql, settings);
  await cleanup();
  if (settings.profileDir) log(`worker CPU profile written to ${settings.profileDir}`);

  printTable([sqlResult, graphqlResult]);
  const r = ratios(sqlResult, graphqlResult);
  printRatios(r);
  const failed = failures(sqlResult) + failures(graphqlResult);
  const settingsOut = { durationS: settings.durationS, connections: settings.connections, warmupS: WARMUP_S };
  console.log(
    JSON.stringify({
      machine,
      settings: settingsOut,
      bytes,
      sql: sqlResult,
      graphql: graphqlResult,
      ratios: r,
      targets: { throughputRatio: TARGET_THROUGHPUT_RATIO },
    }),
  );
  if (failed > 0) console.error(`${failed} request(s) failed: exiting with ${EXIT_REQUEST_ERRORS}`);
  return failed > 0 ? EXIT_REQUEST_ERRORS : 0;
}

const { settings, serveSqlPort } = parseCommandLine();
if (serveSqlPort !== undefined) {
  await serveSql(serveSqlPort);
} else {
  try {
    process.exitCode = await main(settings);
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await cleanup();
    process.exitCode = EXIT_FAILURE;
  }
}
