/**
 * Benchmark: the work node's result cache (issue #14, "Measure"; docs/cache.md), each case against a
 * baseline in the same run and on the same machine (results: docs/benchmarks.md, "Cache").
 *
 *   npx tsx bench/cache.ts [--duration SECONDS] [--connections N] [--quick] [--profile-dir DIR]
 *                          [--core-db postgres|duckdb] [--worker-main FILE] [--rounds N]
 *                          [--source duckdb|postgres]
 *
 * The data source (`--source`) is either a DuckDB file written here (200 authors, 20,000 books),
 * opened read-only by every work node at once, asked for the 20 most expensive books since 1950 with
 * their author (a filter, a sort over the table, a limit, a many-to-one relation: an analytical
 * query); or bench/query.ts's question on the test harness's shop database on PostgreSQL (15 paid
 * orders, their customer, their items' products: a small OLTP query). Every server runs as a child
 * process; autocannon, the load generator, runs here. Redis is the test harness's
 * (worker/test/harness/redis.ts): a private `redis-server` with `requirepass` on a free loopback port,
 * without persistence. The servers:
 *
 *   - bare: this script in `--serve-bare` mode, graphql-yoga behind node:http (as bench/worker.ts's
 *     baseline) with the same field, its arguments and the `@cache` directive declared, whose resolver
 *     returns the node's answer held in memory: the same response body, nothing computed;
 *   - node "l1+l2": CACHE_L1_ENABLED and CACHE_L2_ENABLED (Redis), the configuration of a cluster;
 *   - node "l2": CACHE_L1_ENABLED=false and CACHE_L2_ENABLED (Redis): every hit comes from Redis;
 *   - node "off": no cache (both levels off): the data source every time;
 *   - node "miss": like "l1+l2", kept for the misses, so that the thousands of entries they leave in
 *     its L1 do not weigh on the L1 hits measured on "l1+l2".
 *
 * Three comparisons, baseline first:
 *
 *   1. L1 hit: bare against "l1+l2", both asked the query with `@cache(ttl: 3600)` and no variables
 *      (on the node every request after the first is an L1 hit, answered whole: docs/cache.md,
 *      "Whole responses"). Target (issue #14): at least 0.9 of bare's throughput.
 *   2. L2 hit: "off" against "l2". Each request carries a `$nonce` picked at random among 1,000, used
 *      in a filter that lets every row through (`_not: [{title: {eq: $nonce}}]`: no title is a nonce),
 *      so there are 1,000 keys, all written to L2 before the load ({@link fillPool}): on "l2" every
 *      request reads its result from Redis (one key would let concurrent requests share one read:
 *      a node runs concurrent loads of one key once), on "off" from the data source.
 *   3. Miss: "miss" asked the same query without `@cache` against it with `@cache`, each request with
 *      a `$nonce` of its own: the key changes every time, so every request with `@cache` is a miss in
 *      L1 and in L2, then runs the query and stores its result in both. The same answer, the same
 *      statement: only the directive differs.
 *
 * The TTL is an hour so that no entry expires during the run. Before measuring, every target's answer
 * is checked against the others' (deep equality). Every target is then loaded unmeasured once (15 s:
 * a node's CPU per response keeps falling for some 20 s of load), and each round measures every
 * comparison in the order baseline, cached, cached, baseline (each run with its warm-up), so that a
 * drift of the noisy machine weighs on both sides alike. A round's ratio is the cached side's pooled
 * throughput over the baseline's; reported: every run, then per comparison the median and range of
 * the rounds' ratios, CPU per response (the server, Redis), and the cache's hit and miss counters per
 * response (from each node's /metrics: they show that a "hit" run was all hits). When the cache is on,
 * every request also looks its role up through it twice (auth:role:<role>, as hugr caches role
 * permissions): those lookups are in the counters too.
 *
 * Exits non-zero if any request failed (connection error, timeout, non-2xx, or a body with an `errors`
 * entry), not when a target is missed.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { GraphQLScalarType, valueFromASTUntyped } from "graphql";
import type { PostgresInstance } from "../worker/test/harness/postgres.js";
import { startRedis, type RedisServer } from "../worker/test/harness/redis.js";
import { SHOP_CATALOG, createShopDatabase } from "../worker/test/harness/shop-db.js";
import {
  EXIT_FAILURE,
  HOST,
  JSON_HEADERS,
  LOAD_TABLE_HEADER,
  cpuMsOf,
  createLoadBench,
  failures,
  formatTable,
  graphqlOk,
  integerFlag,
  loadAverage,
  loadNumbers,
  loadTableCells,
  logMachineAndSettings,
  machineBusyMs,
  measureAbba,
  parseLoadCommandLine,
  pooledRequestsPerSecond,
  postGraphQL,
  postgresPids,
  requestErrorsExitCode,
  rssMb,
  runLoad,
  runLoadBenchmark,
  settleLoad,
  spawnChildMode,
  startBenchPostgres,
  startWorkerProcess,
  waitUntil,
  type AutocannonResult,
  type LoadNumbers,
  type LoadSettings,
  type LoadTarget,
} from "./lib.js";

const WARMUP_S = 2;
const DEFAULT_ROUNDS = 3;
/** Issue #14: an L1 hit keeps at least 0.9 of bare graphql-yoga's throughput. */
const TARGET_L1_RATIO = 0.9;
/** The `@cache` TTL of the cached queries, in seconds: far longer than the run. */
const CACHE_TTL_S = 3600;
/** Per-request timeout of the load generator for the varying requests (as lib.ts's runLoad). */
const REQUEST_TIMEOUT_S = 10;

const THIS_FILE = fileURLToPath(import.meta.url);
/** The environment variable passing the answer (JSON) to the `--serve-bare` child. */
const BARE_ANSWER_ENV = "BENCH_CACHE_ANSWER";
/** The environment variable naming the data source (its bare schema) to the `--serve-bare` child. */
const BARE_SOURCE_ENV = "BENCH_CACHE_SOURCE";
const REDIS_PASSWORD = "bench-cache-redis-password";

/** The data source's name on every node. */
const SOURCE = "bench";
const AUTHORS = 200;
const BOOKS = 20_000;
/** The DuckDB file's tables; the same data every run. */
const DUCKDB_SQL = [
  "create table authors (id integer primary key, name varchar not null, country varchar)",
  "create table books (id integer primary key, author_id integer not null references authors (id), " +
    "title varchar not null, year integer, price decimal(8, 2))",
  `insert into authors select i, 'Author ' || i, ['NO', 'FR', 'JP', 'BR', null][i % 5 + 1] from range(1, ${AUTHORS + 1}) t(i)`,
  `insert into books select i, i % ${AUTHORS} + 1, 'Book ' || lpad(i::varchar, 5, '0'), 1900 + (i * 7) % 120, ` +
    `round(((i * 7919) % 100000) / 100.0, 2) from range(1, ${BOOKS + 1}) t(i)`,
];
const DUCKDB_CATALOG = `
type authors @table(name: "authors") {
  id: Int! @pk
  name: String!
  country: String
}

type books @table(name: "books") {
  id: Int! @pk
  author_id: Int!
    @field_references(name: "books_author", references_name: "authors", field: "id",
      query: "author", references_query: "books")
  title: String!
  year: Int
  price: Float
}
`;
const INSERT_SOURCE = `mutation($data: data_sources_mut_input_data!) {
  core { insert_data_sources(data: $data) { name } }
}`;
const LOAD_SOURCE = `mutation { function { core { load_data_source(name: "${SOURCE}") { success message } } } }`;
const CACHE = `@cache(ttl: ${CACHE_TTL_S})`;
/** A nonce: no title or status is one, so a filter `_not: [{x: {eq: $nonce}}]` lets every row through. */
const nonce = (id: string): string => `nonce-${id}`;
/** The L2 hits' keys: each request picks one of this many nonces at random, all in L2 beforehand. */
const POOL_KEYS = 1_000;
/** Requests at once while the pool's keys are written to L2. */
const POOL_FILL_CONCURRENCY = 4;
/** bare's prelude: the directive as the worker declares it, and any argument accepted as is. */
const BARE_PRELUDE = `
directive @cache(ttl: Int, key: String, tags: [String!]) on FIELD
scalar Any
`;

/**
 * A data source the nodes read and the query they are asked: `hitQuery` (no variables, one key),
 * `missQuery` (`$nonce` in its filter: a new key per request, the same rows), and bare's schema for
 * the same field and selection.
 */
interface SourceSpec {
  name: "duckdb" | "postgres";
  /** The root field asked, and how many rows it answers. */
  field: string;
  rows: number;
  hitQuery: string;
  missQuery: (cache: string) => string;
  bareSdl: string;
  /** Creates the data and returns the insert_data_sources input. */
  create(postgres: PostgresInstance | undefined): Promise<Record<string, unknown>>;
  /** For the progress line. */
  describe: string;
}

/**
 * DuckDB: the 20 most expensive of the 11,000 books since 1950 with their author (a filter, a sort
 * over the table, a limit and a many-to-one relation), from a file written here and opened
 * read-only by every node. An analytical engine: about 10 to 15 ms of the node's CPU per query here.
 */
const DUCKDB_SOURCE: SourceSpec = (() => {
  const args = `order_by: [{field: "price", direction: DESC}, {field: "id"}], limit: 20`;
  const selection = "{ id title year price author { name country } }";
  return {
    name: "duckdb",
    field: "books",
    rows: 20,
    hitQuery: `{ books(filter: {year: {gte: 1950}}, ${args}) ${CACHE} ${selection} }`,
    missQuery: (cache) =>
      `query($nonce: String!) { books(filter: {year: {gte: 1950}, _not: [{title: {eq: $nonce}}]}, ${args}) ${cache} ${selection} }`,
    bareSdl: `${BARE_PRELUDE}
type authors { name: String!, country: String }
type books { id: Int!, title: String!, year: Int, price: Float, author: authors }
type Query { books(filter: Any, order_by: Any, limit: Int): [books!]! }
`,
    async create() {
      const folder = await mkdtemp(join(os.tmpdir(), "hugr-bench-cache-"));
      bench.folders.add(folder);
      const file = join(folder, "library.duckdb");
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      for (const statement of DUCKDB_SQL) await connection.run(statement);
      connection.closeSync();
      instance.closeSync();
      return {
        type: "duckdb",
        path: file,
        description: `bench/cache.ts: a DuckDB file, ${AUTHORS} authors and ${BOOKS} books`,
        catalogs: [{ name: SOURCE, type: "text", path: DUCKDB_CATALOG }],
      };
    },
    describe: `a DuckDB file with ${AUTHORS} authors and ${BOOKS} books`,
  };
})();

/**
 * PostgreSQL: bench/query.ts's question on the test harness's shop database: 15 paid orders with
 * their customer and their items' products, one statement. A small OLTP query: about 1.5 ms of CPU
 * per query (node and PostgreSQL), so what a miss adds shows.
 */
const POSTGRES_SOURCE: SourceSpec = (() => {
  const args = `order_by: [{field: "id"}], limit: 20`;
  const selection =
    '{ id total customer { name email } items(order_by: [{field: "product_id"}]) { quantity product { title price } } }';
  return {
    name: "postgres",
    field: "orders",
    rows: 15,
    hitQuery: `{ orders(filter: {status: {eq: "paid"}}, ${args}) ${CACHE} ${selection} }`,
    missQuery: (cache) =>
      `query($nonce: String!) { orders(filter: {status: {eq: "paid"}, _not: [{status: {eq: $nonce}}]}, ${args}) ${cache} ${selection} }`,
    bareSdl: `${BARE_PRELUDE}
type customers { name: String!, email: String! }
type products { title: String!, price: Float! }
type order_items { quantity: Int!, product: products }
type orders { id: Int!, total: Float!, customer: customers, items(order_by: Any): [order_items!]! }
type Query { orders(filter: Any, order_by: Any, limit: Int): [orders!]! }
`,
    async create(postgres) {
      if (!postgres) throw new Error("the shop database needs the bench's PostgreSQL");
      return {
        type: "postgres",
        path: await createShopDatabase(postgres, "shop"),
        description: "bench/cache.ts: the test harness's shop database",
        catalogs: [{ name: SOURCE, type: "text", path: SHOP_CATALOG }],
      };
    },
    describe: "the test harness's shop database on PostgreSQL",
  };
})();

const SOURCES = { duckdb: DUCKDB_SOURCE, postgres: POSTGRES_SOURCE };

type NodeName = "l1+l2" | "l2" | "off" | "miss";
const NODES: Record<NodeName, Record<string, string>> = {
  "l1+l2": { CACHE_L1_ENABLED: "true", CACHE_L2_ENABLED: "true" },
  l2: { CACHE_L1_ENABLED: "false", CACHE_L2_ENABLED: "true" },
  off: { CACHE_L1_ENABLED: "false", CACHE_L2_ENABLED: "false" },
  miss: { CACHE_L1_ENABLED: "true", CACHE_L2_ENABLED: "true" },
};

/** A server process: bare, or a work node with its cache configuration. */
interface Server {
  name: "bare" | NodeName;
  url: string;
  child: ChildProcess;
}

type TargetName = "bare" | "l1-hit" | "no-cache" | "l2-hit" | "miss-no-cache" | "miss";

/**
 * What a target's requests vary: nothing (`fixed`: one body, one key), `$nonce` new every request
 * (`unique`: a new key each time), or `$nonce` picked at random among {@link POOL_KEYS} (`pool`).
 */
type Variation = "fixed" | "unique" | "pool";

/** A server and what it is asked. */
interface Target extends LoadTarget {
  name: TargetName;
  server: Server;
  variation: Variation;
}

/** The cache's counters of a node (/metrics), per level. */
interface CacheCounters {
  /** Whole responses answered from L1 (level "local", see docs/cache.md "Whole responses"). */
  responseHits: number;
  l1Hits: number;
  l1Misses: number;
  l2Hits: number;
  l2Misses: number;
}

/** One measured run against one target. */
type Measurement = { name: TargetName } & LoadNumbers & {
    /** CPU ms per response: the server, Redis, PostgreSQL (Linux /proc; undefined elsewhere). */
    serverCpuMsPerRequest: number | undefined;
    redisCpuMsPerRequest: number | undefined;
    postgresCpuMsPerRequest: number | undefined;
    /** CPU used by every other process, over wall time x cores: another workload disturbing the run. */
    othersBusy: number | undefined;
    /** The node's cache counters over the run, per response (undefined for bare). */
    cachePerRequest: CacheCounters | undefined;
  };

interface Comparison {
  id: "l1-hit" | "l2-hit" | "miss";
  baseline: Target;
  cached: Target;
  /** The least cached/baseline throughput asked for, if any. */
  target?: number;
}

const bench = createLoadBench("bench-cache");
const { log, since } = bench.progress;
let redis: RedisServer | undefined;

// ---- the bare server (child mode) -------------------------------------------------------------

/**
 * Child mode: graphql-yoga answering the source's field (BENCH_CACHE_SOURCE) from bare's schema with
 * the rows in BENCH_CACHE_ANSWER, until killed.
 */
async function serveBare(port: number): Promise<void> {
  const answer = process.env[BARE_ANSWER_ENV];
  const spec = SOURCES[process.env[BARE_SOURCE_ENV] as SourceSpec["name"]];
  if (!answer || !spec) throw new Error(`${BARE_ANSWER_ENV} or ${BARE_SOURCE_ENV} is not set`);
  const rows = (JSON.parse(answer) as Record<string, unknown>)[spec.field];
  const { createSchema, createYoga } = await import("graphql-yoga");
  const any = new GraphQLScalarType({
    name: "Any",
    serialize: (value) => value,
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
  });
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: spec.bareSdl,
      resolvers: { Any: any, Query: { [spec.field]: () => rows } },
    }),
  });
  // yoga is a Node request listener that returns a promise; it answers (and reports errors) itself
  const server = createHttpServer((request, response) => void yoga(request, response));
  server.listen(port, HOST);
  await once(server, "listening");
}

// ---- setting up -------------------------------------------------------------------------------

/**
 * Starts a work node with the cache configuration `name` (L2 on the bench's Redis), registers the
 * data source `source` (an insert_data_sources input; unless undefined: a core database shared with a
 * node that did) and loads it.
 */
async function startNode(
  name: NodeName,
  settings: LoadSettings,
  postgresUrl: string,
  source: Record<string, unknown> | undefined,
): Promise<Server> {
  const start = performance.now();
  const env = {
    ...NODES[name],
    CACHE_L2_BACKEND: "redis",
    CACHE_L2_ADDRESSES: redis!.address,
    CACHE_L2_PASSWORD: REDIS_PASSWORD,
  };
  const { url, child } = await startWorkerProcess(bench, settings, postgresUrl, env);
  if (source)
    await graphqlOk(url, INSERT_SOURCE, {
      data: { name: SOURCE, prefix: "", as_module: false, read_only: true, ...source },
    });
  const data = await graphqlOk<{
    function: { core: { load_data_source: { success: boolean; message: string } } };
  }>(url, LOAD_SOURCE);
  const result = data.function.core.load_data_source;
  if (!result.success) throw new Error(`node ${name}: load_data_source failed: ${result.message}`);
  log(`node "${name}" ready, data source loaded, in ${since(start)} at ${url} (pid ${child.pid})`);
  return { name, url, child };
}

/** Starts this script in `--serve-bare` mode with `spec` and `answer`, and waits until it answers. */
async function startBare(spec: SourceSpec, answer: unknown): Promise<Server> {
  const start = performance.now();
  const { url, child } = await spawnChildMode(bench, "bare", THIS_FILE, "serve-bare", {
    [BARE_ANSWER_ENV]: JSON.stringify(answer),
    [BARE_SOURCE_ENV]: spec.name,
  });
  const probe = async () => (await postGraphQL(url, { query: spec.hitQuery })).status === 200;
  await waitUntil(url, child, probe);
  log(`bare graphql-yoga ready in ${since(start)} at ${url} (pid ${child.pid})`);
  return { name: "bare", url, child };
}

let uniqueNonces = 0;
/** A `pool` nonce: number `index`, else one at random. */
const poolNonce = (index = Math.floor(Math.random() * POOL_KEYS)): string => nonce(`pool-${index}`);

/** The next body a target sends: its query, with a `$nonce` as its variation asks. */
function bodyOf(target: Target): { query: string; variables?: Record<string, string> } {
  switch (target.variation) {
    case "fixed":
      return { query: target.query };
    case "unique":
      return { query: target.query, variables: { nonce: nonce(`unique-${uniqueNonces++}`) } };
    case "pool":
      return { query: target.query, variables: { nonce: poolNonce() } };
  }
}

/**
 * Asks `target` once with each of the pool's nonces, a few at a time, so that every one is in its
 * node's cache (L2) before the load.
 */
async function fillPool(target: Target): Promise<void> {
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < POOL_KEYS) {
      const index = next++;
      await graphqlOk(target.url, target.query, { nonce: poolNonce(index) }, target.headers);
    }
  };
  await Promise.all(Array.from({ length: POOL_FILL_CONCURRENCY }, worker));
  log(`${target.name}: the ${POOL_KEYS} keys of the pool asked once (now in L2) in ${since(start)}`);
}

/**
 * Asks every target twice (the second time, a cached target answers from its cache) and fails
 * loudly unless every answer is HTTP 200, without errors, with `spec.rows` rows, and equal to the
 * first (deep equality). Returns the size of the first answer in bytes.
 */
async function verifySameAnswer(spec: SourceSpec, targets: readonly Target[]): Promise<number> {
  let first: { text: string; parsed: unknown } | undefined;
  for (const target of targets) {
    for (let i = 0; i < 2; i++) {
      const { query, variables } = bodyOf(target);
      const body = variables ? { query, variables: { nonce: nonce(`check-${i}`) } } : { query };
      const response = await postGraphQL(target.server.url, body);
      const text = await response.text();
      const parsed = JSON.parse(text) as { data?: Record<string, unknown[]>; errors?: unknown };
      if (response.status !== 200 || parsed.errors || parsed.data?.[spec.field]?.length !== spec.rows)
        throw new Error(`${target.name} answered ${response.status}: ${text.slice(0, 600)}`);
      first ??= { text, parsed };
      if (!isDeepStrictEqual(parsed, first.parsed))
        throw new Error(
          `${target.name} and ${targets[0]!.name} answer differently:\n` +
            `${target.name}: ${text.slice(0, 600)}\n${targets[0]!.name}: ${first.text.slice(0, 600)}`,
        );
    }
  }
  return Buffer.byteLength(first!.text);
}

// ---- load and measurement ---------------------------------------------------------------------

let autocannon:
  | ((
      options: object,
      done: (error: Error | null, result: AutocannonResult) => void,
    ) => {
      stop(): void;
    })
  | undefined;

/**
 * Loads a target whose body varies: as lib.ts's runLoad (which sends one fixed body), with a body
 * made for every request ({@link bodyOf}, through autocannon's `setupRequest`).
 */
function runVaryingLoad(target: Target, durationS: number, connections: number): Promise<AutocannonResult> {
  autocannon ??= createRequire(import.meta.url)("autocannon") as typeof autocannon;
  return new Promise((resolve, reject) => {
    bench.load = autocannon!(
      {
        url: `${target.url}/graphql`,
        method: "POST",
        headers: { ...JSON_HEADERS, ...target.headers },
        body: JSON.stringify(bodyOf(target)),
        requests: [
          {
            setupRequest: (request: object) => ({ ...request, body: JSON.stringify(bodyOf(target)) }),
          },
        ],
        connections,
        duration: durationS,
        timeout: REQUEST_TIMEOUT_S,
        verifyBody: (body: string) => !body.includes('"errors"'),
      },
      (error, result) => {
        bench.load = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

function load(target: Target, durationS: number, settings: LoadSettings): Promise<AutocannonResult> {
  return target.variation === "fixed"
    ? runLoad(bench, target, durationS, settings.connections)
    : runVaryingLoad(target, durationS, settings.connections);
}

/** The redis-server process of the bench (its title is `.../redis-server 127.0.0.1:PORT`); undefined without /proc. */
function redisPid(): number | undefined {
  if (!redis) return undefined;
  const title = new RegExp(`redis-server ${HOST}:${redis.port}\\b`);
  const cmdline = (pid: string): string => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      return ""; // gone meanwhile
    }
  };
  try {
    const pid = readdirSync("/proc").find((entry) => /^\d+$/.test(entry) && title.test(cmdline(entry)));
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined; // no /proc: no Redis CPU
  }
}

/** The cache's hit and miss counters of a node, from its /metrics; undefined for bare. */
async function cacheCounters(server: Server): Promise<CacheCounters | undefined> {
  if (server.name === "bare") return undefined;
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (metric: string, level: string): number => {
    const match = new RegExp(`^${metric}\\{level="${level}"\\} (\\S+)$`, "m").exec(text);
    return match ? Number(match[1]) : 0;
  };
  return {
    responseHits: value("hugr_cache_hits_total", "local"),
    l1Hits: value("hugr_cache_hits_total", "l1"),
    l1Misses: value("hugr_cache_misses_total", "l1"),
    l2Hits: value("hugr_cache_hits_total", "l2"),
    l2Misses: value("hugr_cache_misses_total", "l2"),
  };
}

/**
 * CPU ms used so far by the server, Redis, this process and the whole machine, and by each
 * PostgreSQL process (backends come and go: see {@link postgresMsBetween}).
 */
function cpuSnapshot(target: Target, redisProcess: number | undefined) {
  const usage = process.cpuUsage();
  return {
    server: cpuMsOf(target.server.child.pid),
    redis: cpuMsOf(redisProcess),
    postgres: new Map(postgresPids(bench.postgres).map((pid) => [pid, cpuMsOf(pid)])),
    self: (usage.user + usage.system) / 1000,
    machine: machineBusyMs(),
  };
}

/**
 * PostgreSQL's CPU ms between two snapshots, process by process: a backend that started meanwhile
 * counts from zero; one that ended meanwhile took its CPU with it (a sum over the whole set would
 * subtract it).
 */
function postgresMsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}

/** Warms `target` up for {@link WARMUP_S}, then measures it for the configured duration. */
async function measure(target: Target, settings: LoadSettings): Promise<Measurement> {
  log(`${target.name}: warm-up ${WARMUP_S} s, ${settings.connections} connections`);
  await load(target, WARMUP_S, settings);
  log(`${target.name}: measuring ${settings.durationS} s, ${settings.connections} connections`);
  const redisProcess = redisPid();
  const countersBefore = await cacheCounters(target.server);
  const start = performance.now();
  const before = cpuSnapshot(target, redisProcess);
  const result = await load(target, settings.durationS, settings);
  const after = cpuSnapshot(target, redisProcess);
  const wallMs = performance.now() - start;
  const countersAfter = await cacheCounters(target.server);
  const numbers = loadNumbers(result);
  const used = (key: Exclude<keyof typeof before, "postgres">): number => after[key] - before[key];
  const postgresMs = postgresMsBetween(before.postgres, after.postgres);
  const perRequest = (ms: number): number | undefined =>
    ms > 0 && numbers.requests > 0 ? ms / numbers.requests : undefined;
  const ours = used("server") + used("redis") + postgresMs + used("self");
  const othersBusy =
    used("machine") > 0
      ? Math.max(0, used("machine") - ours) / (wallMs * os.availableParallelism())
      : undefined;
  const cachePerRequest =
    countersBefore && countersAfter && numbers.requests > 0
      ? (Object.fromEntries(
          (Object.keys(countersAfter) as (keyof CacheCounters)[]).map((key) => [
            key,
            (countersAfter[key] - countersBefore[key]) / numbers.requests,
          ]),
        ) as unknown as CacheCounters)
      : undefined;
  const m: Measurement = {
    name: target.name,
    ...numbers,
    serverCpuMsPerRequest: perRequest(used("server")),
    redisCpuMsPerRequest: perRequest(used("redis")),
    // 0 is a value here (an idle core database), not a missing /proc
    postgresCpuMsPerRequest:
      bench.postgres && numbers.requests > 0 ? Math.max(0, postgresMs) / numbers.requests : undefined,
    othersBusy,
    cachePerRequest,
  };
  const others =
    othersBusy === undefined ? "" : `, other processes ${Math.round(othersBusy * 100)} % of the CPU`;
  log(
    `${target.name}: done in ${since(start)}: ${Math.round(m.requestsPerSecond)} req/s ` +
      `(load average ${loadAverage()}${others})`,
  );
  return m;
}

// ---- results ----------------------------------------------------------------------------------

/** One round of a comparison: its ABBA runs and the ratio of their pooled throughputs. */
interface Round {
  baseline: [Measurement, Measurement];
  cached: [Measurement, Measurement];
  ratio: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Pooled CPU ms per response of `key` over `runs`; undefined when a run has none. */
function pooledCpu(
  runs: readonly Measurement[],
  key: "serverCpuMsPerRequest" | "redisCpuMsPerRequest" | "postgresCpuMsPerRequest",
): number | undefined {
  let cpu = 0;
  for (const m of runs) {
    const value = m[key];
    if (value === undefined) return undefined;
    cpu += value * m.requests;
  }
  return cpu / runs.reduce((sum, m) => sum + m.requests, 0);
}

/** The cache counters per response over `runs` (weighted by responses). */
function pooledCounters(runs: readonly Measurement[]): CacheCounters | undefined {
  if (runs.some((m) => !m.cachePerRequest)) return undefined;
  const requests = runs.reduce((sum, m) => sum + m.requests, 0);
  const sum = (key: keyof CacheCounters) =>
    runs.reduce((total, m) => total + m.cachePerRequest![key] * m.requests, 0) / requests;
  return {
    responseHits: sum("responseHits"),
    l1Hits: sum("l1Hits"),
    l1Misses: sum("l1Misses"),
    l2Hits: sum("l2Hits"),
    l2Misses: sum("l2Misses"),
  };
}

/** A comparison's summary over its rounds. */
function summarize(comparison: Comparison, rounds: readonly Round[]) {
  const baselineRuns = rounds.flatMap((r) => r.baseline);
  const cachedRuns = rounds.flatMap((r) => r.cached);
  const ratios = rounds.map((r) => r.ratio);
  const medianRatio = median(ratios);
  const meanOf = (runs: Measurement[], key: "p50Ms" | "p99Ms") =>
    runs.reduce((sum, m) => sum + m[key], 0) / runs.length;
  const side = (runs: Measurement[]) => ({
    name: runs[0]!.name,
    requestsPerSecond: pooledRequestsPerSecond(runs),
    meanP50Ms: meanOf(runs, "p50Ms"),
    meanP99Ms: meanOf(runs, "p99Ms"),
    serverCpuMsPerRequest: pooledCpu(runs, "serverCpuMsPerRequest"),
    redisCpuMsPerRequest: pooledCpu(runs, "redisCpuMsPerRequest"),
    postgresCpuMsPerRequest: pooledCpu(runs, "postgresCpuMsPerRequest"),
    cachePerRequest: pooledCounters(runs),
  });
  return {
    id: comparison.id,
    baseline: side(baselineRuns),
    cached: side(cachedRuns),
    /** cached/baseline throughput per round (pooled ABBA), their median and range. */
    ratios,
    medianRatio,
    minRatio: Math.min(...ratios),
    maxRatio: Math.max(...ratios),
    /** cached/baseline throughput over every run. */
    pooledRatio: pooledRequestsPerSecond(cachedRuns) / pooledRequestsPerSecond(baselineRuns),
    target: comparison.target,
    targetMet: comparison.target === undefined ? undefined : medianRatio >= comparison.target,
  };
}

function printTable(rows: Measurement[]): void {
  const ms = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(3));
  const counters = (c: CacheCounters | undefined) =>
    c
      ? `${c.responseHits.toFixed(2)} ${c.l1Hits.toFixed(2)}/${c.l1Misses.toFixed(2)} ${c.l2Hits.toFixed(2)}/${c.l2Misses.toFixed(2)}`
      : "-";
  console.log(
    `\n${formatTable(
      [
        ...LOAD_TABLE_HEADER,
        "CPU ms/req: server",
        "redis",
        "postgres",
        "per req: response hits, L1 hit/miss, L2 hit/miss",
        "others",
      ],
      rows.map((m) => [
        ...loadTableCells(m),
        ms(m.serverCpuMsPerRequest),
        ms(m.redisCpuMsPerRequest),
        ms(m.postgresCpuMsPerRequest),
        counters(m.cachePerRequest),
        m.othersBusy === undefined ? "-" : `${Math.round(m.othersBusy * 100)} %`,
      ]),
    )}`,
  );
}

function printSummary(s: ReturnType<typeof summarize>): void {
  const ms = (value: number | undefined) => (value === undefined ? "-" : `${value.toFixed(3)} ms`);
  const side = (x: ReturnType<typeof summarize>["baseline"]) =>
    `${x.name} ${x.requestsPerSecond.toFixed(0)} req/s (p50 ${x.meanP50Ms.toFixed(1)} ms, p99 ` +
    `${x.meanP99Ms.toFixed(1)} ms; CPU per response: server ${ms(x.serverCpuMsPerRequest)}, ` +
    `redis ${ms(x.redisCpuMsPerRequest)}, postgres ${ms(x.postgresCpuMsPerRequest)})`;
  const target = s.target === undefined ? "" : ` (target >= ${s.target}: ${s.targetMet ? "met" : "MISSED"})`;
  console.log(
    [
      `${s.id}: ${s.cached.name}/${s.baseline.name} throughput median ${s.medianRatio.toFixed(2)}, ` +
        `range ${s.minRatio.toFixed(2)} to ${s.maxRatio.toFixed(2)} ` +
        `(rounds ${s.ratios.map((r) => r.toFixed(2)).join(", ")}; all runs pooled ${s.pooledRatio.toFixed(2)})${target}`,
      `  ${side(s.baseline)}`,
      `  ${side(s.cached)}`,
    ].join("\n"),
  );
}

// ---- main -------------------------------------------------------------------------------------

/**
 * Starts Redis, PostgreSQL when the core database or the data source needs it, the data source's
 * data, the four work nodes (the source loaded on each) and bare (with the answer of "off").
 */
async function startServers(settings: LoadSettings, spec: SourceSpec) {
  let start = performance.now();
  redis = await startRedis({ password: REDIS_PASSWORD });
  log(`redis-server (test harness, requirepass) ready in ${since(start)} at ${redis.address}`);

  const postgres =
    settings.coreDb === "postgres" || spec.name === "postgres" ? await startBenchPostgres(bench) : undefined;
  start = performance.now();
  const source = await spec.create(postgres);
  log(`data source: ${spec.describe}, created in ${since(start)}`);

  // On PostgreSQL the nodes share one core database: the first registers the source for all.
  const shared = settings.coreDb === "postgres";
  const nodes = {} as Record<NodeName, Server>;
  for (const [i, name] of (Object.keys(NODES) as NodeName[]).entries())
    nodes[name] = await startNode(name, settings, postgres?.url ?? "", shared && i > 0 ? undefined : source);

  const answer = await graphqlOk(nodes.off.url, spec.hitQuery);
  const bare = await startBare(spec, answer);
  return { bare, nodes };
}

/** Stops the bench's Redis, once. */
async function stopRedis(): Promise<void> {
  const server = redis;
  redis = undefined;
  await server?.stop();
}

/**
 * Runs the benchmark; whatever happens, stops the servers, then Redis (a harness server would keep
 * this process alive).
 */
async function main(settings: LoadSettings, spec: SourceSpec, rounds: number): Promise<number> {
  try {
    return await run(settings, spec, rounds);
  } finally {
    await bench.cleanup();
    await stopRedis();
  }
}

async function run(settings: LoadSettings, spec: SourceSpec, rounds: number): Promise<number> {
  const machine = logMachineAndSettings(bench, settings);
  log(`load average ${loadAverage()}; ${rounds} rounds; data source ${spec.name}`);
  const { bare, nodes } = await startServers(settings, spec);

  const target = (
    name: TargetName,
    server: Server,
    query: string,
    variation: Variation = "fixed",
  ): Target => ({
    name,
    url: server.url,
    query,
    server,
    variation,
  });
  const comparisons: Comparison[] = [
    {
      id: "l1-hit",
      baseline: target("bare", bare, spec.hitQuery),
      cached: target("l1-hit", nodes["l1+l2"], spec.hitQuery),
      target: TARGET_L1_RATIO,
    },
    {
      id: "l2-hit",
      baseline: target("no-cache", nodes.off, spec.missQuery(CACHE), "pool"),
      cached: target("l2-hit", nodes.l2, spec.missQuery(CACHE), "pool"),
    },
    {
      id: "miss",
      baseline: target("miss-no-cache", nodes.miss, spec.missQuery(""), "unique"),
      cached: target("miss", nodes.miss, spec.missQuery(CACHE), "unique"),
    },
  ];
  const targets = comparisons.flatMap((c) => [c.baseline, c.cached]);
  const bytes = await verifySameAnswer(spec, targets);
  log(
    `answers identical: ${spec.rows} ${spec.field}, ${bytes} bytes (${targets.map((t) => t.name).join(", ")})`,
  );
  for (const t of targets) if (t.variation === "pool" && t.server.name === "l2") await fillPool(t);

  const settled = new Set<TargetName>();
  const settle = async (t: Target): Promise<void> => {
    if (settled.has(t.name)) return;
    settled.add(t.name);
    await settleLoad(bench, t, settings);
  };
  const results = new Map<Comparison["id"], Round[]>(comparisons.map((c) => [c.id, []]));
  const table: Measurement[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const c of comparisons) {
      log(
        `round ${round}/${rounds}: ${c.id} (${c.baseline.name}, ${c.cached.name}, ${c.cached.name}, ${c.baseline.name})`,
      );
      const abba = await measureAbba((t) => measure(t, settings), c.baseline, c.cached, settle);
      const ratio = pooledRequestsPerSecond(abba.b) / pooledRequestsPerSecond(abba.a);
      results.get(c.id)!.push({ baseline: abba.a, cached: abba.b, ratio });
      table.push(abba.a[0], abba.b[0], abba.b[1], abba.a[1]);
      log(`round ${round}/${rounds}: ${c.id}: ${c.cached.name}/${c.baseline.name} ${ratio.toFixed(2)}`);
    }
  }
  const rss = Object.fromEntries(
    [bare, ...Object.values(nodes)].map((s) => [s.name, rssMb(s.child.pid)?.toFixed(0) ?? "?"]),
  );
  const l1Bytes = await Promise.all(
    Object.values(nodes).map(async (s) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return [s.name, /^hugr_cache_l1_entries (\S+)$/m.exec(text)?.[1] ?? "?"] as const;
    }),
  );
  log(
    `RSS at the end, MB: ${Object.entries(rss)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}; L1 entries: ${l1Bytes.map(([k, v]) => `${k} ${v}`).join(", ")}`,
  );
  await bench.cleanup();
  await stopRedis();
  if (settings.profileDir) log(`work node CPU profiles written to ${settings.profileDir}`);

  printTable(table);
  console.log("");
  const summaries = comparisons.map((c) => summarize(c, results.get(c.id)!));
  for (const s of summaries) printSummary(s);
  console.log("");
  console.log(
    JSON.stringify({
      machine,
      settings: {
        durationS: settings.durationS,
        connections: settings.connections,
        warmupS: WARMUP_S,
        rounds,
      },
      source: { name: spec.name, describe: spec.describe, rows: spec.rows, bytes },
      queries: { hit: spec.hitQuery, miss: spec.missQuery(CACHE) },
      runs: table,
      comparisons: summaries,
    }),
  );
  return requestErrorsExitCode(table.reduce((sum, m) => sum + failures(m), 0));
}

// `--serve-bare PORT` is the internal mode of the bare server child.
const { settings, childPort, flags } = parseLoadCommandLine("npx tsx bench/cache.ts", "serve-bare", {
  rounds: {
    type: "string",
    usage: `[--rounds N (baseline, cached, cached, baseline per comparison, N times; default ${DEFAULT_ROUNDS})]`,
  },
  source: {
    type: "string",
    usage: "[--source duckdb|postgres (the data source: a DuckDB file, default, or the shop database)]",
  },
});
const rounds = integerFlag("--rounds", flags["rounds"] as string | undefined, DEFAULT_ROUNDS, 1);
const sourceName = (flags["source"] as string | undefined) ?? "duckdb";
if (sourceName !== "duckdb" && sourceName !== "postgres") {
  console.error(`--source must be duckdb or postgres, not ${JSON.stringify(sourceName)}`);
  process.exit(EXIT_FAILURE);
}
if (childPort !== undefined) await serveBare(childPort);
else await runLoadBenchmark(bench, () => main(settings, SOURCES[sourceName], rounds));
