/**
 * Benchmark: the work node's GraphQL throughput and latency on a core query, against a bare graphql-yoga
 * server answering a static query, in the same run and on the same machine (targets: /work/shared/DESIGN.md,
 * "Targets"; results: docs/benchmarks.md).
 *
 *   npx tsx bench/worker.ts [--duration SECONDS] [--connections N] [--quick] [--profile-dir DIR]
 *                           [--core-db postgres|duckdb] [--worker-main FILE] [--jwt [--jwt-alg ALG]]
 *
 * Both servers run as child processes, so neither shares this process's event loop (autocannon, the load
 * generator, runs here). The worker serves the core module over a private PostgreSQL started by the test
 * harness (or, `--core-db duckdb`, on its embedded DuckDB default) and seeded through the worker's own
 * `insert_data_sources` mutation. `--worker-main` runs another build (an earlier commit's), so that
 * two versions are compared by running the script for each, alternately, in one sitting.
 *
 * `--jwt`: the cost of authentication. The worker starts with a SECRET_KEY and an AUTH_CONFIG_FILE
 * holding one JWT provider (a key pair generated per run, RS256 unless `--jwt-alg ES256|EdDSA`) and
 * anonymous requests as admin; it is seeded with the secret key. Its core query is then measured on
 * the same process anonymously ("worker") and with `Authorization: Bearer` and a token granting admin
 * ("worker-jwt"), so both run as the same role and only the authentication differs. Each is first
 * loaded unmeasured for 15 s (the worker's CPU per response keeps falling for some 20 s of load), then
 * they are measured in the order worker, worker-jwt, worker-jwt, worker (each with its warm-up), so
 * that a drift of the machine weighs on both alike. Reported: each run, then both pooled (responses
 * over run time, the worker's CPU per response) against the target of at most 10 % throughput lost
 * to JWT authentication.
 *
 * Exits non-zero if any request failed (connection error, timeout, non-2xx, or a GraphQL `errors`
 * entry), not when a target is missed.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import os from "node:os";
import { fileURLToPath } from "node:url";
import {
  HOST,
  cpuMsOf,
  threadCpuMsOf,
  createBenchAuth,
  createLoadBench,
  failures,
  formatTable,
  graphqlOk,
  jwtAlgorithmFlag,
  loadAverage,
  loadNumbers,
  loadTableCells,
  logMachineAndSettings,
  machineBusyMs,
  postgresPids,
  measureAbba,
  settleLoad,
  parseLoadCommandLine,
  pooledRequestsPerSecond,
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
  type BenchAuth,
  type ThreadCpu,
  type LoadNumbers,
  type LoadSettings,
  type LoadTarget,
} from "./lib.js";

const WARMUP_S = 1;
const SEED_DATA_SOURCES = 10;
/** DESIGN.md targets: worker req/s >= 0.6 x bare, worker p99 <= 2 x bare. */
const TARGET_THROUGHPUT_RATIO = 0.6;
const TARGET_P99_RATIO = 2;
/** The issue's target for --jwt: JWT authentication costs at most 10 % of the anonymous throughput. */
const TARGET_JWT_THROUGHPUT_RATIO = 0.9;

const THIS_FILE = fileURLToPath(import.meta.url);

const BARE_SDL = "type Query { hello: String }";
const BARE_QUERY = "{ hello }";
const CORE_QUERY = "{ core { data_sources { name type prefix path catalogs { name type path } } } }";
const SEED_MUTATION = `mutation seed($data: data_sources_mut_input_data!) {
  core { insert_data_sources(data: $data) { name } }
}`;

/** A server under test, running as a child process ("worker-jwt": the worker, asked with a JWT). */
interface Target extends LoadTarget {
  name: "bare" | "worker" | "worker-jwt";
  child: ChildProcess;
}

/** One measured run against one target. */
type Measurement = { name: Target["name"] } & LoadNumbers & {
    /** CPU ms the server's process used over the measured run (Linux /proc; else undefined). */
    serverCpuMs: number | undefined;
    /** The same per response. */
    serverCpuMsPerRequest: number | undefined;
    /** The server's CPU ms over the run by thread: its event loop, the libuv pool, V8's threads. */
    serverThreadsMs: ThreadCpu | undefined;
    /**
     * With --profile-dir: the measured run's start and end on the monotonic clock in µs, the clock of
     * the worker's .cpuprofile timestamps (Linux), to cut the run out of the profile.
     */
    monotonicUs?: [number, number];
    /**
     * CPU used by every process on the machine but the server, PostgreSQL and this one (the load
     * generator), over wall time x cores: another workload disturbing the run (Linux /proc).
     */
    othersBusy: number | undefined;
  };

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

/**
 * Starts the work node over the bench's PostgreSQL or its own DuckDB (see startWorkerProcess in lib.ts),
 * with `auth`'s secret key and auth file when given.
 */
async function startWorker(settings: LoadSettings, postgresUrl: string, auth?: BenchAuth): Promise<Target> {
  const { url, child } = await startWorkerProcess(bench, settings, postgresUrl, auth?.env);
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

/**
 * Inserts the seed data sources through the worker's GraphQL API (with `admin`'s headers) and checks
 * that the core query, asked with each of `askers`' headers, sees them all.
 */
async function seedWorker(
  worker: Target,
  admin: Record<string, string> = {},
  askers: Record<string, string>[] = [{}],
): Promise<void> {
  for (let i = 0; i < SEED_DATA_SOURCES; i++)
    await graphqlOk(worker.url, SEED_MUTATION, seedVariables(i), admin);
  for (const headers of askers) {
    const data = await graphqlOk<{ core: { data_sources: unknown[] } }>(worker.url, CORE_QUERY, {}, headers);
    const count = data.core.data_sources.length;
    if (count !== SEED_DATA_SOURCES)
      throw new Error(`expected ${SEED_DATA_SOURCES} data sources, got ${count}`);
  }
}

/** Warms `target` up for {@link WARMUP_S}, then measures it for the configured duration. */
async function measure(target: Target, settings: LoadSettings): Promise<Measurement> {
  await warmUp(bench, target, settings, WARMUP_S);
  const start = performance.now();
  const before = cpuSnapshot(target);
  const startUs = process.hrtime.bigint() / 1000n;
  const load = await runLoad(bench, target, settings.durationS, settings.connections);
  const endUs = process.hrtime.bigint() / 1000n;
  const after = cpuSnapshot(target);
  const wallMs = performance.now() - start;
  const numbers = loadNumbers(load);
  const serverCpuMs = after.server - before.server > 0 ? after.server - before.server : undefined;
  const serverCpuMsPerRequest =
    serverCpuMs !== undefined && numbers.requests > 0 ? serverCpuMs / numbers.requests : undefined;
  const ours = after.server - before.server + (after.postgres - before.postgres) + (after.self - before.self);
  const machine = after.machine - before.machine;
  const othersBusy =
    machine > 0 ? Math.max(0, machine - ours) / (wallMs * os.availableParallelism()) : undefined;
  const threads = (kind: keyof ThreadCpu) => after.threads[kind] - before.threads[kind];
  const result: Measurement = {
    name: target.name,
    ...numbers,
    serverCpuMs,
    serverCpuMsPerRequest,
    serverThreadsMs:
      serverCpuMs === undefined
        ? undefined
        : {
            main: threads("main"),
            libuvPool: threads("libuvPool"),
            v8: threads("v8"),
            other: threads("other"),
          },
    othersBusy,
    ...(settings.profileDir && { monotonicUs: [Number(startUs), Number(endUs)] }),
  };
  const others =
    othersBusy === undefined ? "" : `, other processes ${Math.round(othersBusy * 100)} % of the CPU`;
  log(
    `${target.name}: done in ${since(start)}: ${Math.round(result.requestsPerSecond)} req/s ` +
      `(load average ${loadAverage()}${others})`,
  );
  return result;
}

/**
 * CPU ms used so far by the server (and by its threads), PostgreSQL, this process, and the whole
 * machine (0 without /proc).
 */
function cpuSnapshot(target: Target): {
  server: number;
  threads: ThreadCpu;
  postgres: number;
  self: number;
  machine: number;
} {
  const usage = process.cpuUsage();
  return {
    server: cpuMsOf(target.child.pid),
    threads: threadCpuMsOf(target.child.pid),
    postgres: postgresPids(bench.postgres).reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    self: (usage.user + usage.system) / 1000,
    machine: machineBusyMs(),
  };
}

/** The server's CPU ms per response on threads of `kind`, for the table. */
function perRequest(m: Measurement, kind: keyof ThreadCpu): string {
  return m.serverThreadsMs && m.requests > 0 ? (m.serverThreadsMs[kind] / m.requests).toFixed(3) : "-";
}

/**
 * Prints the results table: one row per target, with its server's CPU per response, of which its
 * main thread's and its libuv pool's, and the share of the machine other processes used.
 */
function printTable(rows: Measurement[]): void {
  console.log(
    `\n${formatTable(
      [...LOAD_TABLE_HEADER, "server CPU ms/req", "main thread", "libuv pool", "others"],
      rows.map((m) => [
        ...loadTableCells(m),
        m.serverCpuMsPerRequest?.toFixed(3) ?? "-",
        perRequest(m, "main"),
        perRequest(m, "libuvPool"),
        m.othersBusy === undefined ? "-" : `${Math.round(m.othersBusy * 100)} %`,
      ]),
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

/** The worker's CPU ms per response over several runs (on threads of `kind` only); undefined without /proc. */
function pooledCpuMsPerRequest(runs: readonly Measurement[], kind?: keyof ThreadCpu): number | undefined {
  let cpu = 0;
  for (const m of runs) {
    if (m.serverCpuMs === undefined || !m.serverThreadsMs) return undefined;
    cpu += kind ? m.serverThreadsMs[kind] : m.serverCpuMs;
  }
  return cpu / runs.reduce((sum, m) => sum + m.requests, 0);
}

/**
 * JWT/anonymous on the same worker, from the pooled runs of each (and per pair of neighbouring runs,
 * to show how far they agree), and whether the JWT target is met.
 */
function jwtRatios(anonymous: [Measurement, Measurement], jwt: [Measurement, Measurement]) {
  const anonymousRps = pooledRequestsPerSecond(anonymous);
  const jwtRps = pooledRequestsPerSecond(jwt);
  const throughput = jwtRps / anonymousRps;
  const cpuAnonymous = pooledCpuMsPerRequest(anonymous);
  const cpuJwt = pooledCpuMsPerRequest(jwt);
  const mean = (runs: Measurement[], key: "p50Ms" | "p99Ms") =>
    runs.reduce((sum, m) => sum + m[key], 0) / runs.length;
  return {
    anonymousRequestsPerSecond: anonymousRps,
    jwtRequestsPerSecond: jwtRps,
    throughput,
    /** worker-jwt/worker throughput of the first pair (runs 1 and 2) and the second (3 and 4). */
    throughputPerPair: [
      jwt[0].requestsPerSecond / anonymous[0].requestsPerSecond,
      jwt[1].requestsPerSecond / anonymous[1].requestsPerSecond,
    ],
    /** Mean p99 of the JWT runs over that of the anonymous runs. */
    p99: mean(jwt, "p99Ms") / mean(anonymous, "p99Ms"),
    anonymousCpuMsPerRequest: cpuAnonymous,
    jwtCpuMsPerRequest: cpuJwt,
    /** Worker CPU ms per response, JWT minus anonymous. */
    cpuMsPerRequest: cpuAnonymous !== undefined && cpuJwt !== undefined ? cpuJwt - cpuAnonymous : undefined,
    cpuRatio: cpuAnonymous !== undefined && cpuJwt !== undefined ? cpuJwt / cpuAnonymous : undefined,
    /** The same difference by thread kind. */
    cpuMsPerRequestByThread: Object.fromEntries(
      (["main", "libuvPool", "v8", "other"] as const).map((kind) => {
        const a = pooledCpuMsPerRequest(anonymous, kind);
        const b = pooledCpuMsPerRequest(jwt, kind);
        return [kind, a === undefined || b === undefined ? undefined : b - a];
      }),
    ) as Record<keyof ThreadCpu, number | undefined>,
    throughputMet: throughput >= TARGET_JWT_THROUGHPUT_RATIO,
  };
}

function printJwtRatios(r: ReturnType<typeof jwtRatios>, auth: BenchAuth): void {
  const ms = (value: number | undefined) => (value === undefined ? "-" : `${value.toFixed(3)} ms`);
  const signed = (value: number | undefined) =>
    value === undefined ? "-" : `${value >= 0 ? "+" : ""}${value.toFixed(3)} ms`;
  const byThread = r.cpuMsPerRequestByThread;
  const cpu =
    r.cpuMsPerRequest === undefined || r.cpuRatio === undefined
      ? "-"
      : `${ms(r.jwtCpuMsPerRequest)} against ${ms(r.anonymousCpuMsPerRequest)}: ` +
        `${signed(r.cpuMsPerRequest)} (x ${r.cpuRatio.toFixed(2)}; main thread ${signed(byThread.main)}, ` +
        `libuv pool ${signed(byThread.libuvPool)}, V8 threads ${signed(byThread.v8)}, other ${signed(byThread.other)})`;
  console.log(
    [
      `pooled: worker ${r.anonymousRequestsPerSecond.toFixed(0)} req/s, worker-jwt ${r.jwtRequestsPerSecond.toFixed(0)} req/s`,
      `throughput worker-jwt/worker (${auth.algorithm} against anonymous): ${r.throughput.toFixed(2)} ` +
        `(pairs ${r.throughputPerPair.map((x) => x.toFixed(2)).join(", ")}; ` +
        `target >= ${TARGET_JWT_THROUGHPUT_RATIO}: ${r.throughputMet ? "met" : "MISSED"})`,
      `p99 latency worker-jwt/worker: ${r.p99.toFixed(2)}`,
      `worker CPU per response, worker-jwt against worker: ${cpu}`,
      "",
    ].join("\n"),
  );
}

/**
 * Starts PostgreSQL, the worker (seeded; with `auth` when given) and the bare server; logs each phase
 * with its duration.
 */
async function startTargets(
  settings: LoadSettings,
  auth: BenchAuth | undefined,
): Promise<{ bare: Target; worker: Target; workerJwt: Target | undefined }> {
  const postgres = await startBenchPostgres(bench);

  let start = performance.now();
  const worker = await startWorker(settings, postgres.url, auth);
  // Before any data source exists: the resident memory of an idle node (DESIGN.md: under 150 MB).
  log(
    `worker ready in ${since(start)} at ${worker.url} (pid ${worker.child.pid}), ` +
      `idle RSS ${rssMb(worker.child.pid)?.toFixed(1) ?? "?"} MB`,
  );
  let workerJwt: Target | undefined;
  start = performance.now();
  if (auth) {
    workerJwt = {
      ...worker,
      name: "worker-jwt",
      headers: await auth.bearer("admin", "bench-user", "Bench User"),
    };
    await seedWorker(worker, auth.admin, [{}, workerJwt.headers!]);
  } else {
    await seedWorker(worker);
  }
  log(`seeded ${SEED_DATA_SOURCES} data sources with a catalog each in ${since(start)}`);

  start = performance.now();
  const bare = await startBareProcess();
  await graphqlOk(bare.url, BARE_QUERY);
  log(`bare graphql-yoga ready in ${since(start)} at ${bare.url} (pid ${bare.child.pid})`);
  return { bare, worker, workerJwt };
}

/** The worker's runs: one, or with --jwt worker, worker-jwt, worker-jwt, worker. */
type WorkerRuns = {
  worker: Measurement;
  jwt?: { a: [Measurement, Measurement]; b: [Measurement, Measurement] };
};

async function measureWorker(
  worker: Target,
  workerJwt: Target | undefined,
  settings: LoadSettings,
): Promise<WorkerRuns> {
  if (!workerJwt) return { worker: await measure(worker, settings) };
  const jwt = await measureAbba(
    (target) => measure(target, settings),
    worker,
    workerJwt,
    (target) => settleLoad(bench, target, settings),
  );
  // worker/bare from the first worker run (after the settling load: a more warmed-up worker than
  // without --jwt, where it gets a 1 s warm-up).
  return { worker: jwt.a[0], jwt };
}

async function main(settings: LoadSettings, jwt: JwtOption | undefined): Promise<number> {
  const machine = logMachineAndSettings(bench, settings);
  log(`load average ${loadAverage()}`);
  const auth = jwt && (await createBenchAuth(bench, jwt.algorithm, "admin"));
  if (auth)
    log(`authentication: SECRET_KEY and a JWT provider (${auth.algorithm}); anonymous requests are admin`);
  const { bare, worker, workerJwt } = await startTargets(settings, auth);
  const bareResult = await measure(bare, settings);
  const runs = await measureWorker(worker, workerJwt, settings);
  await bench.cleanup();
  if (settings.profileDir) log(`worker CPU profile written to ${settings.profileDir}`);

  const results = runs.jwt
    ? [bareResult, runs.jwt.a[0], runs.jwt.b[0], runs.jwt.b[1], runs.jwt.a[1]]
    : [bareResult, runs.worker];
  printTable(results);
  const r = ratios(bareResult, runs.worker);
  printRatios(r);
  const jwtR = runs.jwt && jwtRatios(runs.jwt.a, runs.jwt.b);
  if (jwtR && auth) printJwtRatios(jwtR, auth);
  const targets = {
    throughputRatio: TARGET_THROUGHPUT_RATIO,
    p99Ratio: TARGET_P99_RATIO,
    ...(jwtR && { jwtThroughputRatio: TARGET_JWT_THROUGHPUT_RATIO }),
  };
  const settingsOut = {
    durationS: settings.durationS,
    connections: settings.connections,
    warmupS: WARMUP_S,
    ...(auth && { jwtAlgorithm: auth.algorithm }),
  };
  console.log(
    JSON.stringify({
      machine,
      settings: settingsOut,
      bare: bareResult,
      worker: runs.worker,
      ...(runs.jwt && { workerRuns: runs.jwt.a, workerJwtRuns: runs.jwt.b }),
      ratios: r,
      ...(jwtR && { jwtRatios: jwtR }),
      targets,
    }),
  );
  return requestErrorsExitCode(results.reduce((sum, m) => sum + failures(m), 0));
}

/** --jwt: measure the worker with a JWT too, signed with this algorithm. */
interface JwtOption {
  algorithm: ReturnType<typeof jwtAlgorithmFlag>;
}

// `--serve-bare PORT` is the internal mode of the bare server child.
const { settings, childPort, flags } = parseLoadCommandLine("npx tsx bench/worker.ts", "serve-bare", {
  jwt: {
    type: "boolean",
    usage: "[--jwt (also measure the worker's core query with a JWT, against anonymous)]",
  },
  "jwt-alg": {
    type: "string",
    usage: "[--jwt-alg RS256|ES256|EdDSA (the tokens' signature, default RS256; implies --jwt)]",
  },
});
// --jwt-alg alone implies --jwt.
const jwt: JwtOption | undefined =
  flags["jwt"] || flags["jwt-alg"] !== undefined
    ? { algorithm: jwtAlgorithmFlag(flags["jwt-alg"]) }
    : undefined;
if (childPort !== undefined) await serveBare(childPort);
else await runLoadBenchmark(bench, () => main(settings, jwt));
