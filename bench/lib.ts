/**
 * What the benchmark scripts share: progress lines, the description of the machine, tables, teardown on
 * exit and Ctrl-C, child processes, GraphQL over HTTP, CPU accounting from Linux /proc, and (for the load
 * benchmarks bench/worker.ts and bench/query.ts) their command line, autocannon and its result, and the
 * work node's authentication (a secret key and a JWT provider with tokens signed here).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { freePort } from "../worker/test/harness/net.js";
import { startPostgres, type PostgresInstance } from "../worker/test/harness/postgres.js";

/** The address every server under test listens on. */
export const HOST = "127.0.0.1";
/** Exit code of a load benchmark when a request failed. */
export const EXIT_REQUEST_ERRORS = 1;
/** Exit code when something fails (bad arguments, a process that does not start, ...). */
export const EXIT_FAILURE = 2;
/** Exit code after Ctrl-C or SIGTERM. */
export const EXIT_INTERRUPTED = 130;
/** Time a child gets to exit after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 5_000;
/** The built work node. */
export const WORKER_MAIN = fileURLToPath(new URL("../worker/dist/main.js", import.meta.url));
/** Headers of a JSON request that wants a JSON answer. */
export const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" };

// ---- progress and the machine -----------------------------------------------------------------

export interface Progress {
  /** Prints a progress line stamped with the seconds since start (silent once interrupted). */
  log: (message: string) => void;
  /** Seconds since `start` (a performance.now() value), e.g. "1.2 s". */
  since: (start: number) => string;
  /** Silences progress lines, so the output ends with the interruption. */
  interrupt: () => void;
  readonly interrupted: boolean;
}

export function createProgress(prefix: string): Progress {
  const startedAt = performance.now();
  let interrupted = false;
  return {
    log: (message) => {
      if (interrupted) return;
      const elapsed = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(5);
      console.log(`[${prefix} ${elapsed}s] ${message}`);
    },
    since: (start) => `${((performance.now() - start) / 1000).toFixed(1)} s`,
    interrupt: () => {
      interrupted = true;
    },
    get interrupted() {
      return interrupted;
    },
  };
}

/** The machine the numbers come from. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function describeMachine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** `machine` on one line: "CPU, N cores, N GiB, OS, Node vX". */
export function machineSummary(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`;
}

/** A text table: the first column left-aligned, the others right-aligned, two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [format(header), ...rows.map(format)].join("\n");
}

// ---- teardown ---------------------------------------------------------------------------------

/**
 * A benchmark's teardown, run at most once: later calls return the first call's promise. `graceMs` is
 * how long a child gets between SIGTERM and SIGKILL ({@link STOP_GRACE_MS} when omitted).
 */
export interface Teardown {
  (graceMs?: number): Promise<void>;
  /** True once the teardown has been called. */
  readonly started: boolean;
}

export function teardownOnce(stop: (graceMs: number) => Promise<void>): Teardown {
  let running: Promise<void> | undefined;
  const teardown = (graceMs = STOP_GRACE_MS): Promise<void> => (running ??= stop(graceMs));
  return Object.defineProperty(teardown, "started", { get: () => running !== undefined }) as Teardown;
}

/**
 * Ctrl-C / SIGTERM: logs "SIGNAL: stopping `stopping`", silences progress, runs `cleanup` (with
 * `graceMs`, when given), then exits with {@link EXIT_INTERRUPTED}. A signal once the teardown has started
 * exits at once (the harnesses still stop PostgreSQL and the like). On exit, `killOnExit` runs: it should
 * SIGKILL the child processes still there.
 */
export function exitOnSignals(options: {
  progress: Progress;
  stopping: string;
  cleanup: Teardown;
  graceMs?: number;
  killOnExit: () => void;
}): void {
  const { progress, cleanup } = options;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cleanup.started) process.exit(EXIT_INTERRUPTED);
    progress.log(`${signal}: stopping ${options.stopping}`);
    progress.interrupt();
    void cleanup(options.graceMs).finally(() => process.exit(EXIT_INTERRUPTED));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.once("exit", options.killOnExit);
}

/** Sends `signal` to a running child, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = STOP_GRACE_MS,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

// ---- GraphQL over HTTP ------------------------------------------------------------------------

/** POSTs `body` as JSON to `${url}/graphql`, with `headers` (credentials) added. */
export function postGraphQL(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/graphql`, {
    method: "POST",
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * POSTs one GraphQL request (with `headers`, e.g. credentials); throws unless it is HTTP 200 with data
 * and no errors. Returns `data`.
 */
export async function graphqlOk<T = unknown>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<T> {
  const response = await postGraphQL(url, { query, variables }, headers);
  const text = await response.text();
  const body = JSON.parse(text) as { data?: T; errors?: unknown[] };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`${url}/graphql answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return body.data;
}

// ---- CPU accounting (Linux /proc) -------------------------------------------------------------

/** The 1-minute load average (Linux /proc/loadavg): shows another workload sharing the machine. */
export function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ")[0] ?? "?";
  } catch {
    return "?";
  }
}

/** Clock ticks per second, the unit of /proc's CPU times. */
const CLOCK_TICKS_PER_S = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Fields of /proc/PID/stat after the command name: [state, ppid, ..., utime (11), stime (12)]. */
export function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** User + system CPU ms a process has used so far (0 when it is gone). */
export function cpuMsOf(pid: number | undefined): number {
  const fields = pid === undefined ? undefined : procStat(pid);
  if (!fields) return 0;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/**
 * CPU ms a Node process's threads have used so far, by kind (Linux /proc/PID/task; all 0 elsewhere):
 * its main thread (the event loop: JavaScript), the libuv thread pool (`libuv-worker`: file system,
 * DNS, crypto jobs such as WebCrypto's), V8's own threads (`V8Worker`: concurrent GC and compilation)
 * and the rest. Threads that exit between two readings take their CPU with them.
 */
export interface ThreadCpu {
  main: number;
  libuvPool: number;
  v8: number;
  other: number;
}

export function threadCpuMsOf(pid: number | undefined): ThreadCpu {
  const cpu: ThreadCpu = { main: 0, libuvPool: 0, v8: 0, other: 0 };
  if (pid === undefined) return cpu;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return cpu;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
      const kind: keyof ThreadCpu =
        tid === String(pid)
          ? "main"
          : name === "libuv-worker"
            ? "libuvPool"
            : name === "V8Worker"
              ? "v8"
              : "other";
      cpu[kind] += ms;
    } catch {
      // the thread exited meanwhile
    }
  }
  return cpu;
}

/** The postmaster and its children (backends, background processes) of a test harness PostgreSQL. */
export function postgresPids(postgres: PostgresInstance | undefined): number[] {
  const dataDir = postgres?.dataDir;
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

/** Busy CPU ms of the whole machine since boot, summed over its cores (0 when /proc/stat is missing). */
export function machineBusyMs(): number {
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

// ---- load benchmarks: command line ------------------------------------------------------------

const DEFAULT_DURATION_S = 10;
const QUICK_DURATION_S = 2;
const DEFAULT_CONNECTIONS = 32;

/** Command-line settings of a load benchmark. */
export interface LoadSettings {
  durationS: number;
  connections: number;
  /** When set, the worker runs with --cpu-prof and writes its profile here on exit. */
  profileDir: string | undefined;
  /** The work node's core database: the bench's PostgreSQL, or its embedded default (a DuckDB file). */
  coreDb: "postgres" | "duckdb";
  /**
   * The work node's program: this build's, or another build's `worker/dist/main.js` (an earlier
   * commit built in a git worktree), to compare two versions in one sitting.
   */
  workerMain: string;
}

/** A flag only one load benchmark has: its kind and its part of the `--help` usage, e.g. "[--jwt (...)]". */
export interface ExtraFlag {
  type: "boolean" | "string";
  usage: string;
}

/**
 * Parses a load benchmark's command line (--duration, --connections, --quick, --profile-dir,
 * --core-db, --worker-main, --help, and the script's own `extraFlags`; `--help` prints the usage of
 * `command` and exits). `--CHILDMODE PORT` is the script's internal child mode (see
 * {@link spawnChildMode}): `childPort` is set when it is given. `flags` holds the extra flags' values.
 */
export function parseLoadCommandLine(
  command: string,
  childMode: string,
  extraFlags: Record<string, ExtraFlag> = {},
): {
  settings: LoadSettings;
  childPort: number | undefined;
  flags: Record<string, string | boolean | undefined>;
} {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      quick: { type: "boolean", default: false },
      "profile-dir": { type: "string" },
      "core-db": { type: "string" },
      "worker-main": { type: "string" },
      [childMode]: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      ...Object.fromEntries(Object.entries(extraFlags).map(([name, flag]) => [name, { type: flag.type }])),
    },
  });
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  if (values["help"]) {
    const usage = `usage: ${command} `;
    const indent = " ".repeat(usage.length);
    console.log(
      `${usage}[--duration SECONDS (default ${DEFAULT_DURATION_S})] [--connections N (default ${DEFAULT_CONNECTIONS})]\n` +
        `${indent}[--quick (${QUICK_DURATION_S} s per measurement)] [--profile-dir DIR (worker --cpu-prof)]\n` +
        `${indent}[--core-db postgres|duckdb (the work node's core database, default postgres)]\n` +
        `${indent}[--worker-main FILE (another build's worker/dist/main.js, default this one's)]` +
        Object.values(extraFlags)
          .map((flag) => `\n${indent}${flag.usage}`)
          .join(""),
    );
    process.exit(0);
  }
  const defaultDuration = values["quick"] ? QUICK_DURATION_S : DEFAULT_DURATION_S;
  const childPort = text(childMode);
  const coreDb = text("core-db") ?? "postgres";
  if (coreDb !== "postgres" && coreDb !== "duckdb") {
    console.error(`--core-db must be postgres or duckdb, not "${coreDb}"`);
    process.exit(2);
  }
  const workerMain = text("worker-main") ?? WORKER_MAIN;
  if (!existsSync(workerMain)) {
    console.error(`--worker-main: ${workerMain} does not exist (build it first)`);
    process.exit(2);
  }
  const flags = Object.fromEntries(Object.keys(extraFlags).map((name) => [name, values[name]]));
  return {
    settings: {
      durationS: positiveNumber("--duration", text("duration"), defaultDuration),
      connections: Math.round(positiveNumber("--connections", text("connections"), DEFAULT_CONNECTIONS)),
      profileDir: text("profile-dir"),
      coreDb,
      workerMain,
    },
    childPort: childPort === undefined ? undefined : Number(childPort),
    flags,
  };
}

/** `text` as an integer of at least `min`, `fallback` when absent; exits with a message when invalid. */
export function integerFlag(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (Number.isInteger(value) && value >= min) return value;
  console.error(`${flag} needs integers >= ${min}, got ${JSON.stringify(text)}`);
  process.exit(EXIT_FAILURE);
}

/** Resident set size in MB of a process (Linux /proc), or undefined. */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The `p`th percentile (nearest rank) of samples sorted ascending; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** `text` as a positive number, `fallback` when absent; exits with a message when invalid. */
function positiveNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  console.error(`${flag} must be a positive number, got ${JSON.stringify(text)}`);
  process.exit(EXIT_FAILURE);
}

// ---- load benchmarks: processes and teardown --------------------------------------------------

/** The subset of autocannon's histogram summary the benchmarks read (latency in ms). */
interface Histogram {
  p50: number;
  p99: number;
  max: number;
  total: number;
}

/** The subset of autocannon's result object the benchmarks read. */
export interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
}

/** The autocannon options the benchmarks pass. */
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

let autocannon: Autocannon | undefined;

/** autocannon ships CommonJS without type declarations: loaded through require (once, when first used). */
function loadAutocannon(): Autocannon {
  autocannon ??= createRequire(import.meta.url)("autocannon") as Autocannon;
  return autocannon;
}

/** Per-request timeout of the load generator. */
const REQUEST_TIMEOUT_S = 10;
const READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;

/** What a load benchmark starts and has to tear down on exit. */
export interface LoadBench {
  readonly progress: Progress;
  /** Child processes still running: {@link spawnNode} adds them, their exit removes them. */
  readonly children: Set<ChildProcess>;
  postgres: PostgresInstance | undefined;
  /** The load test running, if any. */
  load: AutocannonInstance | undefined;
  /** Data folders of work nodes on their embedded core database, removed at the end. */
  readonly folders: Set<string>;
  /**
   * Stops the load, every child process and PostgreSQL (in that order), then removes the data
   * folders. Safe to call more than once.
   */
  readonly cleanup: Teardown;
}

/** A load benchmark whose progress lines start with `prefix`, with nothing started yet. */
export function createLoadBench(prefix: string): LoadBench {
  const bench: LoadBench = {
    progress: createProgress(prefix),
    children: new Set(),
    postgres: undefined,
    load: undefined,
    folders: new Set(),
    cleanup: teardownOnce(async (graceMs) => {
      bench.load?.stop();
      await Promise.all([...bench.children].map((child) => stopChild(child, "SIGTERM", graceMs)));
      await bench.postgres?.stop();
      bench.postgres = undefined;
      await Promise.all([...bench.folders].map((folder) => rm(folder, { recursive: true, force: true })));
    }),
  };
  return bench;
}

/**
 * Runs a load benchmark's `main` with the Ctrl-C handlers installed and sets the exit code to what it
 * returns; on an error, prints it, tears down and exits with {@link EXIT_FAILURE}.
 */
export async function runLoadBenchmark(bench: LoadBench, main: () => Promise<number>): Promise<void> {
  exitOnSignals({
    progress: bench.progress,
    stopping: "servers and PostgreSQL",
    cleanup: bench.cleanup,
    killOnExit: () => {
      for (const child of bench.children) child.kill("SIGKILL");
    },
  });
  try {
    process.exitCode = await main();
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await bench.cleanup();
    process.exitCode = EXIT_FAILURE;
  }
}

/** Logs the machine and the settings a load benchmark runs with; returns the machine. */
export function logMachineAndSettings(bench: LoadBench, settings: LoadSettings): Machine {
  const machine = describeMachine();
  bench.progress.log(`machine: ${machineSummary(machine)}`);
  bench.progress.log(
    `settings: ${settings.durationS} s per measurement, ${settings.connections} connections, loopback`,
  );
  return machine;
}

/** Starts the test harness's PostgreSQL (stopped with `bench`), logging how long it took. */
export async function startBenchPostgres(bench: LoadBench): Promise<PostgresInstance> {
  const { log, since } = bench.progress;
  const start = performance.now();
  log("starting PostgreSQL (test harness)");
  const postgres = await startPostgres();
  bench.postgres = postgres;
  log(`PostgreSQL ready in ${since(start)} on port ${postgres.port}`);
  return postgres;
}

/** Spawns `node ...args` with a minimal environment plus `env`; its output goes to stderr, prefixed. */
export function spawnNode(
  bench: LoadBench,
  label: string,
  args: string[],
  env: Record<string, string>,
): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  bench.children.add(child);
  child.once("exit", () => bench.children.delete(child));
  const forward = (chunk: Buffer): void => {
    for (const line of chunk.toString().split("\n")) if (line) process.stderr.write(`[${label}] ${line}\n`);
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  return child;
}

/** Polls `probe` until it resolves true; throws if `child` exits first or the timeout passes. */
export async function waitUntil(
  what: string,
  child: ChildProcess,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what}: the server process exited with ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS} ms`);
}

/**
 * Starts the work node (`settings.workerMain`) on a free port and waits for GET /ready 200: over
 * `postgresUrl`, or (`settings.coreDb` "duckdb") on its embedded default in a fresh data folder. With
 * `settings.profileDir`, it runs with --cpu-prof and writes its profile there on exit. `env` is added
 * to its environment (e.g. {@link BenchJwtAuth.env}).
 */
export async function startWorkerProcess(
  bench: LoadBench,
  settings: LoadSettings,
  postgresUrl: string,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const { profileDir } = settings;
  const nodeArgs = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  let coreDb: Record<string, string> = { CORE_DB_PATH: postgresUrl };
  if (settings.coreDb === "duckdb") {
    const dataDir = await mkdtemp(join(os.tmpdir(), "hugr-bench-"));
    bench.folders.add(dataDir);
    coreDb = { HUGR_DATA_DIR: dataDir };
  }
  const child = spawnNode(bench, "worker", [...nodeArgs, settings.workerMain], {
    BIND: `${HOST}:${port}`,
    LOG_LEVEL: "warn",
    ...coreDb,
    ...env,
  });
  const url = `http://${HOST}:${port}`;
  await waitUntil(`${url}/ready`, child, async () => (await fetch(`${url}/ready`)).ok);
  return { url, child };
}

/**
 * Spawns the benchmark script `file` again in its child mode, `--CHILDMODE PORT` on a free port, with
 * `env` (plus PATH); it inherits the loader this process runs under (tsx). Does not wait for it.
 */
export async function spawnChildMode(
  bench: LoadBench,
  label: string,
  file: string,
  childMode: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawnNode(bench, label, [...process.execArgv, file, `--${childMode}`, String(port)], env);
  return { url: `http://${HOST}:${port}`, child };
}

// ---- load benchmarks: authentication ----------------------------------------------------------

/** The JWT signature algorithms a benchmark can sign with; RS256 (RSA 2048) is the default. */
export const JWT_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** `text` (a --jwt-alg value) as a JWT algorithm, RS256 when absent; exits with a message when invalid. */
export function jwtAlgorithmFlag(text: string | boolean | undefined): JwtAlgorithm {
  if (text === undefined) return "RS256";
  const algorithm = JWT_ALGORITHMS.find((alg) => alg === text);
  if (algorithm) return algorithm;
  console.error(`--jwt-alg must be one of ${JWT_ALGORITHMS.join(", ")}, not ${JSON.stringify(text)}`);
  process.exit(EXIT_FAILURE);
}

/** The issuer of the benchmarks' tokens, checked by the work node. */
const JWT_ISSUER = "https://bench.example";

/** A work node's authentication for a benchmark: what to start it with and what to send it. */
export interface BenchAuth {
  /** Added to the work node's environment: SECRET_KEY and AUTH_CONFIG_FILE. */
  env: Record<string, string>;
  /** Headers of the administrator's requests: the secret key. */
  admin: Record<string, string>;
  /**
   * Headers of a user's requests: `Authorization: Bearer` with a token (signed here, once; valid for
   * 2 hours) whose `x-hugr-role` claim grants `role`, `sub` is `userId` and `name` is `userName`.
   */
  bearer(role: string, userId: string, userName: string): Promise<Record<string, string>>;
  algorithm: JwtAlgorithm;
}

/**
 * A secret key and an auth file (AUTH_CONFIG_FILE, in a folder removed with `bench`) with one JWT
 * provider, `bench`: the public key of a key pair generated here for `algorithm`, the issuer
 * checked, role, user id and user name read from the claims `x-hugr-role`, `sub` and `name`.
 * Anonymous requests keep their default (role public) unless `anonymousRole` is given.
 */
export async function createBenchAuth(
  bench: LoadBench,
  algorithm: JwtAlgorithm,
  anonymousRole?: string,
): Promise<BenchAuth> {
  const { publicKey, privateKey } = generateJwtKeyPair(algorithm);
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString().trim();
  const folder = await mkdtemp(join(os.tmpdir(), "hugr-bench-auth-"));
  bench.folders.add(folder);
  const file = join(folder, "auth.yaml");
  const anonymous = anonymousRole ? `anonymous:\n  allowed: true\n  role: ${anonymousRole}\n` : "";
  await writeFile(
    file,
    `${anonymous}jwt:\n  bench:\n    issuer: ${JWT_ISSUER}\n    public-key: |\n` +
      `${pem
        .split("\n")
        .map((line) => `      ${line}`)
        .join("\n")}\n` +
      `    claims: { role: x-hugr-role, user-id: sub, user-name: name }\n`,
  );
  const secretKey = randomBytes(24).toString("hex");
  return {
    env: { SECRET_KEY: secretKey, AUTH_CONFIG_FILE: file },
    admin: { "x-hugr-secret-key": secretKey },
    async bearer(role, userId, userName) {
      const token = await new SignJWT({ "x-hugr-role": role, name: userName })
        .setProtectedHeader({ alg: algorithm, typ: "JWT" })
        .setIssuer(JWT_ISSUER)
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime("2h")
        .sign(privateKey);
      return { authorization: `Bearer ${token}` };
    },
    algorithm,
  };
}

function generateJwtKeyPair(algorithm: JwtAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (algorithm) {
    case "RS256":
      return generateKeyPairSync("rsa", { modulusLength: 2048 });
    case "ES256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "EdDSA":
      return generateKeyPairSync("ed25519");
  }
}

// ---- load benchmarks: load and results --------------------------------------------------------

/**
 * A server under load: its name in the output, its base URL, the GraphQL query it is sent and the
 * headers sent with it besides the JSON ones (credentials).
 */
export interface LoadTarget {
  name: string;
  url: string;
  query: string;
  headers?: Record<string, string>;
}

/** True for a response body without errors (counted by autocannon as a mismatch otherwise). */
function hasNoErrors(body: string): boolean {
  return !body.includes('"errors"');
}

/** Runs autocannon against `target` (POST /graphql) for `durationS` seconds; `bench` can stop it. */
export function runLoad(
  bench: LoadBench,
  target: LoadTarget,
  durationS: number,
  connections: number,
): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    bench.load = loadAutocannon()(
      {
        url: `${target.url}/graphql`,
        method: "POST",
        headers: { ...JSON_HEADERS, ...target.headers },
        body: JSON.stringify({ query: target.query }),
        connections,
        duration: durationS,
        timeout: REQUEST_TIMEOUT_S,
        verifyBody: hasNoErrors,
      },
      (error, result) => {
        bench.load = undefined;
        if (error) reject(error);
        else resolve(result);
      },
    );
  });
}

/**
 * Warms `target` up for `warmupS` seconds, then logs the start of the measurement that follows (for
 * `settings.durationS`, by the caller).
 */
export async function warmUp(
  bench: LoadBench,
  target: LoadTarget,
  settings: LoadSettings,
  warmupS: number,
): Promise<void> {
  const { log } = bench.progress;
  log(`${target.name}: warm-up ${warmupS} s, ${settings.connections} connections`);
  await runLoad(bench, target, warmupS, settings.connections);
  log(`${target.name}: measuring ${settings.durationS} s, ${settings.connections} connections`);
}

/** The numbers a load benchmark reports from one measured run. */
export interface LoadNumbers {
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

/**
 * The numbers of an autocannon result. Throughput is responses / run time: autocannon's own
 * `requests.average` is a mean of 1-s samples and, with 10 or 11 samples (the last one partial) for a
 * 10 s run, is off by up to 10 %.
 */
export function loadNumbers(result: AutocannonResult): LoadNumbers {
  return {
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

/**
 * Measures two targets on the same machine state as far as a noisy machine allows. First `settle`
 * runs on each (a long unmeasured load: a work node's CPU per response keeps falling for some 20 s of
 * load, far beyond a warm-up of a second or two), then `measure` (which does its own warm-up) in the
 * order a, b, b, a, so that a remaining drift (another workload starting or ending) weighs on both
 * alike. Returns both measurements of each, in the order taken.
 */
export async function measureAbba<T, M>(
  measure: (target: T) => Promise<M>,
  a: T,
  b: T,
  settle: (target: T) => Promise<void>,
): Promise<{ a: [M, M]; b: [M, M] }> {
  await settle(a);
  await settle(b);
  const a1 = await measure(a);
  const b1 = await measure(b);
  const b2 = await measure(b);
  const a2 = await measure(a);
  return { a: [a1, a2], b: [b1, b2] };
}

/** How long {@link settleLoad} loads a target: 1.5 x the measured duration, at most 15 s. */
export function settleSeconds(settings: LoadSettings): number {
  return Math.min(15, settings.durationS * 1.5);
}

/** An unmeasured load of `target` for {@link settleSeconds} (see {@link measureAbba}). */
export async function settleLoad(
  bench: LoadBench,
  target: LoadTarget,
  settings: LoadSettings,
): Promise<void> {
  const seconds = settleSeconds(settings);
  bench.progress.log(
    `${target.name}: settling ${seconds} s (not measured), ${settings.connections} connections`,
  );
  await runLoad(bench, target, seconds, settings.connections);
}

/** Responses per second over several measured runs: their responses over their run time. */
export function pooledRequestsPerSecond(runs: readonly LoadNumbers[]): number {
  const requests = runs.reduce((sum, m) => sum + m.requests, 0);
  const duration = runs.reduce((sum, m) => sum + m.durationS, 0);
  return requests / duration;
}

/** Failed requests of any kind in `m`. */
export function failures(m: LoadNumbers): number {
  return m.errors + m.non2xx + m.badBodies;
}

/** The exit code for `failed` failed requests, saying so on stderr when there are any. */
export function requestErrorsExitCode(failed: number): number {
  if (failed > 0) console.error(`${failed} request(s) failed: exiting with ${EXIT_REQUEST_ERRORS}`);
  return failed > 0 ? EXIT_REQUEST_ERRORS : 0;
}

/** The first columns of a load benchmark's results table... */
export const LOAD_TABLE_HEADER = [
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

/** ...and their cells for the measured run `m` of a server. */
export function loadTableCells(m: { name: string } & LoadNumbers): string[] {
  return [
    m.name,
    m.requestsPerSecond.toFixed(0),
    m.p50Ms.toFixed(1),
    m.p99Ms.toFixed(1),
    m.maxMs.toFixed(1),
    String(m.requests),
    String(m.errors),
    String(m.non2xx),
    String(m.badBodies),
  ];
}
