/**
 * Benchmark: a data source query through the work node's GraphQL against the same question asked in
 * hand-written SQL behind a minimal HTTP server, in the same run and on the same machine (results:
 * docs/benchmarks.md).
 *
 *   npx tsx bench/query.ts [--duration SECONDS] [--connections N] [--quick] [--profile-dir DIR]
 *                          [--core-db postgres|duckdb] [--worker-main FILE] [--permissions]
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
 * `--permissions`: the cost of a role's row filter. The worker starts with a SECRET_KEY and an
 * AUTH_CONFIG_FILE holding one JWT provider (RS256, a key pair generated per run); the admin (secret
 * key) registers the shop, creates the role `clerk` and gives it one `data-object:query` row on
 * `orders` with the filter {@link CLERK_FILTER}. The same query is then asked with a JWT of each role:
 * "graphql" as admin (no permission rows), "graphql-filtered" as clerk, whose row filter the engine
 * adds to every read of `orders`. The filter lets every paid order through, so all three answers
 * stay identical (checked), while a check before the load proves it filters (the clerk counts fewer
 * orders than the admin). After the baseline, each is loaded unmeasured for 15 s (the worker's CPU
 * per response keeps falling for some 20 s of load), then the two are measured in the order graphql,
 * graphql-filtered, graphql-filtered, graphql, so that a drift of the machine weighs on both alike;
 * reported: each run, then both pooled (throughput, CPU per response).
 *
 * Before measuring, the answers are parsed and compared (deep equality); the script fails if they
 * differ. Exits non-zero if any request failed (connection error, timeout, non-2xx, or a body with an
 * `errors` entry), not when the target is missed.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import postgres from "postgres";
import { SHOP_CATALOG, createShopDatabase } from "../worker/test/harness/shop-db.js";
import {
  HOST,
  createBenchAuth,
  createLoadBench,
  cpuMsOf,
  describeMachine,
  failures,
  formatTable,
  graphqlOk,
  loadAverage,
  loadNumbers,
  loadTableCells,
  logMachineAndSettings,
  machineBusyMs,
  measureAbba,
  settleLoad,
  parseLoadCommandLine,
  pooledRequestsPerSecond,
  postGraphQL,
  postgresPids,
  procStat,
  requestErrorsExitCode,
  runLoad,
  runLoadBenchmark,
  spawnChildMode,
  startBenchPostgres,
  startWorkerProcess,
  waitUntil,
  warmUp,
  LOAD_TABLE_HEADER,
  type BenchAuth,
  type LoadNumbers,
  type LoadSettings,
  type LoadTarget,
} from "./lib.js";

const WARMUP_S = 2;
/** The worker's default DATA_SOURCE_MAX_CONNECTIONS: the baseline's pool gets the same size. */
const POOL_SIZE = 10;
/** GraphQL throughput at least half of the hand-written SQL service's. */
const TARGET_THROUGHPUT_RATIO = 0.5;

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

/** --permissions: the role whose row filter is measured. */
const CLERK_ROLE = "clerk";
/** Its `data-object:query` filter on `orders`: paid and shipped orders, so every order the query asks for. */
const CLERK_FILTER = { status: { in: ["paid", "shipped"] } };
/** Orders on the seeded shop: 60 in all, 30 of them paid or shipped (statuses cycle new, paid, shipped, cancelled). */
const ALL_ORDERS = 60;
const CLERK_ORDERS = 30;
const COUNT_ORDERS = "{ orders_aggregation { _rows_count } }";

/** A server under test, running as a child process. */
interface Target extends LoadTarget {
  /** "graphql-filtered": the worker, asked by a role with a row filter on `orders` (--permissions). */
  name: "sql" | "graphql" | "graphql-filtered";
  child: ChildProcess;
}

/** One measured run against one target. */
type Measurement = { name: Target["name"] } & LoadNumbers & {
    /** CPU ms per response over the measured run (Linux /proc; undefined elsewhere). */
    cpuPerRequest: CpuPerRequest | undefined;
  };

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

const bench = createLoadBench("bench-query");
const { log, since } = bench.progress;

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

/**
 * Starts the work node over the bench's PostgreSQL or its own DuckDB (see startWorkerProcess in lib.ts),
 * with `auth`'s secret key and auth file when given.
 */
async function startWorker(settings: LoadSettings, postgresUrl: string, auth?: BenchAuth): Promise<Target> {
  const { url, child } = await startWorkerProcess(bench, settings, postgresUrl, auth?.env);
  return { name: "graphql", url, query: GRAPHQL_QUERY, child };
}

/** Starts this script in `--serve-sql` mode on a free port and waits until it answers a POST. */
async function startSqlProcess(shopUrl: string): Promise<Target> {
  const { url, child } = await spawnChildMode(bench, "sql", THIS_FILE, "serve-sql", {
    [BASELINE_DSN_ENV]: shopUrl,
  });
  await waitUntil(url, child, async () => (await postGraphQL(url, {})).status === 200);
  return { name: "sql", url, query: GRAPHQL_QUERY, child };
}

/**
 * Registers the shop database as data source {@link SOURCE} (catalog SHOP_CATALOG) and loads it, with
 * `admin`'s headers.
 */
async function registerShop(
  worker: Target,
  shopUrl: string,
  admin: Record<string, string> = {},
): Promise<void> {
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
  await graphqlOk(worker.url, INSERT_SOURCE, { data: source }, admin);
  const data = await graphqlOk<{
    function: { core: { load_data_source: { success: boolean; message: string } } };
  }>(worker.url, LOAD_SOURCE, {}, admin);
  const result = data.function.core.load_data_source;
  if (!result.success) throw new Error(`load_data_source(${SOURCE}) failed: ${result.message}`);
}

/**
 * --permissions: creates the role {@link CLERK_ROLE} with its row filter through the core module (as
 * the admin), and returns the "graphql-filtered" target: the worker asked with a JWT of that role.
 * Checks that the filter is in effect: the clerk counts {@link CLERK_ORDERS} orders, the admin (JWT
 * too, the `graphql` target's headers) {@link ALL_ORDERS}.
 */
async function setUpClerk(graphql: Target, auth: BenchAuth): Promise<Target> {
  await graphqlOk(
    graphql.url,
    `mutation { core { insert_roles(data: {name: "${CLERK_ROLE}", description: "bench/query.ts"}) { name } } }`,
    {},
    auth.admin,
  );
  await graphqlOk(
    graphql.url,
    `mutation($data: role_permissions_mut_input_data!) { core { insert_role_permissions(data: $data) { role } } }`,
    {
      data: {
        role: CLERK_ROLE,
        type_name: "data-object:query",
        field_name: "orders",
        hidden: false,
        disabled: false,
        filter: CLERK_FILTER,
      },
    },
    auth.admin,
  );
  const clerk: Target = {
    ...graphql,
    name: "graphql-filtered",
    headers: await auth.bearer(CLERK_ROLE, "clerk-1", "Bench Clerk"),
  };
  for (const [target, expected] of [
    [graphql, ALL_ORDERS],
    [clerk, CLERK_ORDERS],
  ] as const) {
    const data = await graphqlOk<{ orders_aggregation: { _rows_count: number } }>(
      target.url,
      COUNT_ORDERS,
      {},
      target.headers,
    );
    const count = data.orders_aggregation._rows_count;
    if (count !== expected) throw new Error(`${target.name} counts ${count} orders, expected ${expected}`);
  }
  return clerk;
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
 * Asks the SQL server and each GraphQL target (with its headers) once and fails loudly unless all
 * answer 200 with the same parsed JSON (deep equality, values compared as JSON numbers and strings)
 * holding {@link EXPECTED_ORDERS} orders. Returns the size of the SQL and the (first) GraphQL response
 * bodies in bytes.
 */
async function verifySameAnswer(
  sqlTarget: Target,
  graphqlTargets: readonly Target[],
): Promise<{ sql: number; graphql: number }> {
  const body = { query: GRAPHQL_QUERY };
  const [sqlText, ...graphqlTexts] = await Promise.all(
    [sqlTarget, ...graphqlTargets].map(async (target) => {
      const response = await postGraphQL(target.url, body, target.headers);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${target.name} answered ${response.status}: ${text}`);
      return text;
    }),
  );
  const sqlAnswer = JSON.parse(sqlText!) as { data?: { orders?: unknown[] }; errors?: unknown };
  const orders = sqlAnswer.data?.orders?.length;
  if (orders !== EXPECTED_ORDERS)
    throw new Error(`sql answered ${orders} orders, expected ${EXPECTED_ORDERS}`);
  graphqlTargets.forEach((target, i) => {
    const graphqlText = graphqlTexts[i]!;
    const graphqlAnswer = JSON.parse(graphqlText) as { data?: { orders?: unknown[] }; errors?: unknown };
    if (graphqlAnswer.errors)
      throw new Error(`${target.name} answered with errors: ${graphqlText.slice(0, 1000)}`);
    if (!isDeepStrictEqual(graphqlAnswer, sqlAnswer)) {
      throw new Error(
        `${target.name} and SQL answers differ at ${firstDifference(graphqlAnswer, sqlAnswer)}\n` +
          `${target.name}: ${graphqlText.slice(0, 600)}\nsql:     ${sqlText!.slice(0, 600)}`,
      );
    }
  });
  return { sql: Buffer.byteLength(sqlText!), graphql: Buffer.byteLength(graphqlTexts[0]!) };
}

/** Warms `target` up for {@link WARMUP_S}, then measures it for the configured duration. */
async function measure(target: Target, settings: LoadSettings): Promise<Measurement> {
  await warmUp(bench, target, settings, WARMUP_S);
  const start = performance.now();
  const before = cpuSnapshot(target);
  const load = await runLoad(bench, target, settings.durationS, settings.connections);
  const after = cpuSnapshot(target);
  const wallMs = performance.now() - start;
  const cpu = cpuPerRequest(before, after, load.requests.total, wallMs);
  const result: Measurement = { name: target.name, ...loadNumbers(load), cpuPerRequest: cpu };
  const others = result.cpuPerRequest
    ? `, other processes ${Math.round(result.cpuPerRequest.othersBusy * 100)} % of the CPU`
    : "";
  log(
    `${target.name}: done in ${since(start)}: ${Math.round(result.requestsPerSecond)} req/s` +
      ` (load average ${loadAverage()}${others})`,
  );
  return result;
}

// ---- CPU accounting (Linux /proc) -----------------------------------------------------------

interface CpuSnapshot {
  server: number;
  postgres: number;
  loadGenerator: number;
  /** Busy CPU ms of the whole machine (/proc/stat: all but idle and iowait). */
  machine: number;
}

/** CPU ms used so far; undefined where /proc is missing. Backends that exit meanwhile are not counted. */
function cpuSnapshot(target: Target): CpuSnapshot | undefined {
  if (procStat(process.pid) === undefined) return undefined;
  const usage = process.cpuUsage();
  return {
    server: cpuMsOf(target.child.pid),
    postgres: postgresPids(bench.postgres).reduce((sum, pid) => sum + cpuMsOf(pid), 0),
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

/** Prints the results table: one row per target, with its CPU use per request. */
function printTable(rows: Measurement[]): void {
  const header = [
    ...LOAD_TABLE_HEADER,
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
    ...loadTableCells(m),
    cpu(m, "server"),
    cpu(m, "postgres"),
    cpu(m, "loadGenerator"),
    cpu(m, "machineBusy"),
    cpu(m, "othersBusy"),
  ]);
  console.log(`\n${formatTable(header, lines)}`);
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

/** --permissions: the filtered role's runs against the admin's, pooled (and per pair of neighbouring runs). */
function permissionRatios(admin: [Measurement, Measurement], filtered: [Measurement, Measurement]) {
  const adminRps = pooledRequestsPerSecond(admin);
  const filteredRps = pooledRequestsPerSecond(filtered);
  const mean = (runs: Measurement[], key: "p50Ms" | "p99Ms") =>
    runs.reduce((sum, m) => sum + m[key], 0) / runs.length;
  return {
    adminRequestsPerSecond: adminRps,
    filteredRequestsPerSecond: filteredRps,
    throughput: filteredRps / adminRps,
    /** graphql-filtered/graphql throughput of the first pair (runs 1 and 2) and the second (3 and 4). */
    throughputPerPair: [
      filtered[0].requestsPerSecond / admin[0].requestsPerSecond,
      filtered[1].requestsPerSecond / admin[1].requestsPerSecond,
    ],
    /** Mean p99 of the filtered runs over that of the admin's. */
    p99: mean(filtered, "p99Ms") / mean(admin, "p99Ms"),
    serverCpuMsPerRequest: { admin: pooledCpu(admin, "server"), filtered: pooledCpu(filtered, "server") },
    postgresCpuMsPerRequest: {
      admin: pooledCpu(admin, "postgres"),
      filtered: pooledCpu(filtered, "postgres"),
    },
  };
}

/** CPU ms per response of one process kind over several runs; undefined without /proc. */
function pooledCpu(runs: readonly Measurement[], key: "server" | "postgres"): number | undefined {
  let cpu = 0;
  for (const m of runs) {
    if (!m.cpuPerRequest) return undefined;
    cpu += m.cpuPerRequest[key] * m.requests;
  }
  return cpu / runs.reduce((sum, m) => sum + m.requests, 0);
}

function printPermissionRatios(r: ReturnType<typeof permissionRatios>): void {
  const cpu = (pair: { admin: number | undefined; filtered: number | undefined }): string =>
    pair.admin === undefined || pair.filtered === undefined
      ? "-"
      : `${pair.filtered.toFixed(3)} against ${pair.admin.toFixed(3)} ms ` +
        `(${pair.filtered >= pair.admin ? "+" : ""}${(pair.filtered - pair.admin).toFixed(3)} ms)`;
  console.log(
    [
      `pooled: graphql (admin) ${r.adminRequestsPerSecond.toFixed(0)} req/s, ` +
        `graphql-filtered (${CLERK_ROLE}) ${r.filteredRequestsPerSecond.toFixed(0)} req/s`,
      `throughput graphql-filtered/graphql: ${r.throughput.toFixed(2)} ` +
        `(pairs ${r.throughputPerPair.map((x) => x.toFixed(2)).join(", ")})`,
      `p99 latency graphql-filtered/graphql: ${r.p99.toFixed(2)}`,
      `worker CPU per response: ${cpu(r.serverCpuMsPerRequest)}`,
      `PostgreSQL CPU per response: ${cpu(r.postgresCpuMsPerRequest)}`,
      "",
    ].join("\n"),
  );
}

/**
 * Starts PostgreSQL with the shop database, the worker (source loaded) and the SQL server; logs each
 * phase. With `auth` (--permissions), the worker runs with it, `graphql` asks as admin with a JWT and
 * `filtered` is the clerk's target (see setUpClerk).
 */
async function startTargets(
  settings: LoadSettings,
  auth: BenchAuth | undefined,
): Promise<{ sql: Target; graphql: Target; filtered: Target | undefined }> {
  const pg = await startBenchPostgres(bench);
  let start = performance.now();
  const shopUrl = await createShopDatabase(pg, SOURCE);
  log(`shop database created and seeded in ${since(start)}`);

  start = performance.now();
  const worker = await startWorker(settings, pg.url, auth);
  log(`worker ready in ${since(start)} at ${worker.url} (pid ${worker.child.pid})`);
  start = performance.now();
  await registerShop(worker, shopUrl, auth?.admin);
  log(`data source "${SOURCE}" registered and loaded in ${since(start)}`);
  let graphql = worker;
  let filtered: Target | undefined;
  if (auth) {
    start = performance.now();
    graphql = { ...worker, headers: await auth.bearer("admin", "bench-admin", "Bench Admin") };
    filtered = await setUpClerk(graphql, auth);
    log(
      `role "${CLERK_ROLE}" with a row filter on orders ${JSON.stringify(CLERK_FILTER)} in ${since(start)}: ` +
        `it counts ${CLERK_ORDERS} of the ${ALL_ORDERS} orders`,
    );
  }

  start = performance.now();
  const sqlTarget = await startSqlProcess(shopUrl);
  log(`hand-written SQL server ready in ${since(start)} at ${sqlTarget.url} (pid ${sqlTarget.child.pid})`);
  return { sql: sqlTarget, graphql, filtered };
}

/** The worker's runs: one, or with --permissions graphql, graphql-filtered, graphql-filtered, graphql. */
interface GraphQLRuns {
  graphql: Measurement;
  permissions?: { a: [Measurement, Measurement]; b: [Measurement, Measurement] };
}

async function measureGraphQL(
  graphql: Target,
  filtered: Target | undefined,
  settings: LoadSettings,
): Promise<GraphQLRuns> {
  if (!filtered) return { graphql: await measure(graphql, settings) };
  const permissions = await measureAbba(
    (target) => measure(target, settings),
    graphql,
    filtered,
    (target) => settleLoad(bench, target, settings),
  );
  // graphql/sql from the first graphql run (asked as admin with a JWT, and after the settling load:
  // not the same measurement as without --permissions).
  return { graphql: permissions.a[0], permissions };
}

async function main(settings: LoadSettings, withPermissions: boolean): Promise<number> {
  const machine = logMachineAndSettings(bench, settings);
  log(`load average ${loadAverage()}`);
  const auth = withPermissions ? await createBenchAuth(bench, "RS256") : undefined;
  if (auth)
    log(`authentication: SECRET_KEY and a JWT provider (${auth.algorithm}); every GraphQL request has a JWT`);
  const targets = await startTargets(settings, auth);
  const graphqlTargets = targets.filtered ? [targets.graphql, targets.filtered] : [targets.graphql];
  const bytes = await verifySameAnswer(targets.sql, graphqlTargets);
  log(
    `answers identical: ${EXPECTED_ORDERS} orders, ${bytes.graphql} bytes (${graphqlTargets.map((t) => t.name).join(", ")}) / ${bytes.sql} bytes (sql)`,
  );
  const sqlResult = await measure(targets.sql, settings);
  const runs = await measureGraphQL(targets.graphql, targets.filtered, settings);
  await bench.cleanup();
  if (settings.profileDir) log(`worker CPU profile written to ${settings.profileDir}`);

  const results = runs.permissions
    ? [sqlResult, runs.permissions.a[0], runs.permissions.b[0], runs.permissions.b[1], runs.permissions.a[1]]
    : [sqlResult, runs.graphql];
  printTable(results);
  const r = ratios(sqlResult, runs.graphql);
  printRatios(r);
  const permissionR = runs.permissions && permissionRatios(runs.permissions.a, runs.permissions.b);
  if (permissionR) printPermissionRatios(permissionR);
  const settingsOut = {
    durationS: settings.durationS,
    connections: settings.connections,
    warmupS: WARMUP_S,
    ...(auth && { jwtAlgorithm: auth.algorithm, rowFilter: CLERK_FILTER }),
  };
  console.log(
    JSON.stringify({
      machine,
      settings: settingsOut,
      bytes,
      sql: sqlResult,
      graphql: runs.graphql,
      ...(runs.permissions && { graphqlRuns: runs.permissions.a, graphqlFilteredRuns: runs.permissions.b }),
      ratios: r,
      ...(permissionR && { permissionRatios: permissionR }),
      targets: { throughputRatio: TARGET_THROUGHPUT_RATIO },
    }),
  );
  return requestErrorsExitCode(results.reduce((sum, m) => sum + failures(m), 0));
}

// `--serve-sql PORT` is the internal mode of the baseline child.
const { settings, childPort, flags } = parseLoadCommandLine("npx tsx bench/query.ts", "serve-sql", {
  permissions: {
    type: "boolean",
    usage:
      "[--permissions (also measure the query by a role with a row filter, against admin; both with JWTs)]",
  },
});
if (childPort !== undefined) await serveSql(childPort);
else await runLoadBenchmark(bench, () => main(settings, flags["permissions"] === true));
