/**
 * Test harness: a private, throwaway PostgreSQL server for integration tests.
 *
 * Each call to {@link startPostgres} runs initdb into a fresh temp directory, starts the server on a free
 * loopback port (tuned for speed: no fsync, no full-page writes, async commit) and creates one database.
 * When running as root (as CI does), the server runs as the `postgres` system user, since PostgreSQL
 * refuses to run as root. Missing server binaries are an error with the fix in its message, never a skip.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { appendFile, chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort } from "./net.js";

/** A running private PostgreSQL server. */
export interface PostgresInstance {
  /** URL of the database created at start (`postgres://hugr@127.0.0.1:PORT/hugr_core` by default). */
  url: string;
  port: number;
  /** The temp directory holding the cluster, socket and log; removed by stop(). */
  dataDir: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`) and removes its files. Idempotent. */
  stop(): Promise<void>;
  /** Creates another database on this server and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

/** Options for {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Database created at start; default "hugr_core". */
  database?: string;
  /** The server's max_connections; PostgreSQL's default (100) when absent. */
  maxConnections?: number;
}

/** The system user the server runs as when this process is root. */
interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** What is needed to stop a server, also synchronously at process exit. */
interface Cluster {
  binDir: string;
  /** Temp directory: holds `data/`, the unix socket and `postgres.log`. */
  dir: string;
  user: ServerUser | undefined;
}

const SUPERUSER = "hugr";
const HOST = "127.0.0.1";
const DEFAULT_DATABASE = "hugr_core";
const START_ATTEMPTS = 4;
const READY_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 60_000;
const SERVER_TOOLS = ["initdb", "pg_ctl", "postgres"];

/** Clusters started by this process and not yet stopped. */
const running = new Set<Cluster>();
let exitHookInstalled = false;

/** Starts a private PostgreSQL server and creates `options.database` (default "hugr_core") on it. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresInstance> {
  const binDir = findPostgresBinDir();
  const user = serverUser();
  const dir = await mkdtemp(join(tmpdir(), "hugr-pg-"));
  const cluster: Cluster = { binDir, dir, user };
  try {
    if (user) await chown(dir, user.uid, user.gid);
    await initCluster(cluster, options.maxConnections);
    const port = await startOnFreePort(cluster);
    await waitUntilReady(databaseUrl(port, "postgres"));
    const url = await createDatabase(port, options.database ?? DEFAULT_DATABASE);
    return makeInstance(cluster, port, url);
  } catch (error) {
    await stopCluster(cluster);
    throw error;
  }
}

/**
 * Finds the directory holding initdb, pg_ctl and postgres: `PG_BIN_DIR` if set, else `pg_config --bindir`,
 * else the newest `/usr/lib/postgresql/<version>/bin`. Throws an Error saying how to install them if none.
 */
export function findPostgresBinDir(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) {
    if (hasServerTools(fromEnv)) return fromEnv;
    throw new Error(
      `PG_BIN_DIR=${fromEnv} does not contain the PostgreSQL server programs ${SERVER_TOOLS.join(", ")}. ` +
        "Point PG_BIN_DIR at the directory holding them, or unset it and install the server: " +
        "apt-get install postgresql",
    );
  }
  const candidates = [pgConfigBinDir(), ...debianBinDirs()].filter((d): d is string => d !== undefined);
  const found = candidates.find(hasServerTools);
  if (found) return found;
  throw new Error(
    `PostgreSQL server programs (${SERVER_TOOLS.join(", ")}) not found: looked in PG_BIN_DIR (unset), ` +
      `\`pg_config --bindir\` and /usr/lib/postgresql/*/bin (checked: ${candidates.join(", ") || "none"}). ` +
      "Integration tests need a real PostgreSQL server: apt-get install postgresql " +
      "(or set PG_BIN_DIR to the directory holding initdb and pg_ctl).",
  );
}

/** True when `dir` holds every server program this harness runs. */
function hasServerTools(dir: string): boolean {
  return SERVER_TOOLS.every((tool) => existsSync(join(dir, tool)));
}

/** `pg_config --bindir`, or undefined when pg_config is absent or fails. */
function pgConfigBinDir(): string | undefined {
  try {
    const out = execFileSync("pg_config", ["--bindir"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Debian's `/usr/lib/postgresql/<version>/bin` directories, newest version first. */
function debianBinDirs(): string[] {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((v) => join(root, v, "bin"));
}

/** The `postgres` system user when this process is root (PostgreSQL refuses root); else undefined. */
function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = "postgres";
  try {
    const id = (flag: string): number =>
      Number(
        execFileSync("id", [flag, name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(),
      );
    return { name, uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error(
      "Running as root, and PostgreSQL refuses to run as root, but there is no 'postgres' system user " +
        "to run it as. Install the server package, which creates that user: apt-get install postgresql " +
        "(or run the tests as a non-root user).",
    );
  }
}

/** The command line running `tool` from the cluster's bin dir, as the server user when root. */
function commandLine(cluster: Cluster, tool: string, args: string[]): [string, string[]] {
  const file = join(cluster.binDir, tool);
  if (!cluster.user) return [file, args];
  const runuser = ["/usr/sbin/runuser", "/sbin/runuser"].find((p) => existsSync(p)) ?? "runuser";
  return [runuser, ["-u", cluster.user.name, "--", file, ...args]];
}

/** Runs a server tool; rejects with its output when it fails or exceeds the timeout. */
async function runTool(cluster: Cluster, tool: string, args: string[]): Promise<void> {
  const [file, argv] = commandLine(cluster, tool, args);
  const child = spawn(file, argv, { cwd: cluster.dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", resolve);
    });
    if (code !== 0) throw new Error(`${tool} ${args.join(" ")} exited with ${code}:\n${output.trim()}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs initdb and appends the test settings to postgresql.conf. */
async function initCluster(cluster: Cluster, maxConnections: number | undefined): Promise<void> {
  const data = join(cluster.dir, "data");
  await runTool(cluster, "initdb", [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    SUPERUSER,
    "--no-sync",
    "-E",
    "UTF8",
    "--no-locale",
  ]);
  const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  const settings = [
    `listen_addresses = ${quote(HOST)}`,
    `unix_socket_directories = ${quote(cluster.dir)}`,
    "fsync = off",
    "full_page_writes = off",
    "synchronous_commit = off",
    ...(maxConnections === undefined ? [] : [`max_connections = ${maxConnections}`]),
  ];
  await appendFile(join(data, "postgresql.conf"), `\n# hugr test harness\n${settings.join("\n")}\n`);
}

/** Starts the server on a free port, retrying with a new port since another process may take it first. */
async function startOnFreePort(cluster: Cluster): Promise<number> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      running.add(cluster);
      installExitHook();
      await runTool(cluster, "pg_ctl", pgCtlStartArgs(cluster, port));
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  const log = await readFile(join(cluster.dir, "postgres.log"), "utf8").catch(() => "(no log)");
  throw new Error(
    `PostgreSQL did not start after ${START_ATTEMPTS} attempts: ${String(lastError)}\nserver log:\n${log.slice(-4000)}`,
  );
}

/** Arguments for `pg_ctl start` on `port`, waiting until the server is up. */
function pgCtlStartArgs(cluster: Cluster, port: number): string[] {
  const data = join(cluster.dir, "data");
  const log = join(cluster.dir, "postgres.log");
  return ["start", "-D", data, "-l", log, "-w", "-t", "30", "-s", "-o", `-p ${port}`];
}

/** Polls with a real connection until `url` accepts queries or the timeout passes. */
async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await sql.end({ timeout: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `PostgreSQL at ${url} did not accept connections within ${READY_TIMEOUT_MS} ms: ${String(lastError)}`,
  );
}

/** The connection URL of `database` on the server at `port`. */
function databaseUrl(port: number, database: string): string {
  return `postgres://${SUPERUSER}@${HOST}:${port}/${encodeURIComponent(database)}`;
}

/** The public handle of a started cluster whose start database is at `url`. */
function makeInstance(cluster: Cluster, port: number, url: string): PostgresInstance {
  return {
    url,
    port,
    dataDir: cluster.dir,
    stop: () => stopCluster(cluster),
    createDatabase: (name) => createDatabase(port, name),
  };
}

/** Creates database `name` on the server at `port` and returns its URL. */
async function createDatabase(port: number, name: string): Promise<string> {
  const sql = postgres(databaseUrl(port, "postgres"), { max: 1, onnotice: () => {} });
  try {
    await sql`create database ${sql(name)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  return databaseUrl(port, name);
}

/**
 * Makes the server check `role`'s password (scram-sha-256) on its TCP logins: the harness trusts every
 * local login otherwise, so a wrong password would go unnoticed. Resolves once the reloaded rules are
 * in force (a wrong password is refused).
 */
export async function requirePassword(instance: PostgresInstance, role: string): Promise<void> {
  const hba = join(instance.dataDir, "data", "pg_hba.conf");
  const rules = await readFile(hba, "utf8");
  await writeFile(hba, `host all ${role} ${HOST}/32 scram-sha-256\n${rules}`);
  const admin = postgres(instance.url, { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_reload_conf()`;
  } finally {
    await admin.end({ timeout: 5 });
  }
  // The reload is asynchronous.
  const probeUrl = new URL(instance.url);
  probeUrl.username = role;
  probeUrl.password = "a-wrong-password";
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const probe = postgres(probeUrl.toString(), { max: 1, connect_timeout: 2, onnotice: () => {} });
    const refused = await probe`select 1`.then(
      () => false,
      (error: unknown) => error instanceof postgres.PostgresError && error.code === "28P01",
    );
    await probe.end({ timeout: 0 });
    if (refused) return;
    if (Date.now() > deadline) {
      throw new Error(
        `PostgreSQL still accepts any password of '${role}' ${READY_TIMEOUT_MS} ms after the reload`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops the server immediately (if running) and removes its directory. */
async function stopCluster(cluster: Cluster): Promise<void> {
  if (running.delete(cluster)) {
    await runTool(cluster, "pg_ctl", [
      "stop",
      "-D",
      join(cluster.dir, "data"),
      "-m",
      "immediate",
      "-w",
      "-s",
    ]).catch(
      () => undefined, // not started (e.g. a failed start attempt): nothing to stop
    );
  }
  await rm(cluster.dir, { recursive: true, force: true });
}

/** Registers, once, a synchronous best-effort cleanup of servers left running when the process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const cluster of running) stopClusterSync(cluster);
  });
}

/** Synchronous variant of {@link stopCluster} for the process 'exit' handler; never throws. */
function stopClusterSync(cluster: Cluster): void {
  const [file, argv] = commandLine(cluster, "pg_ctl", [
    "stop",
    "-D",
    join(cluster.dir, "data"),
    "-m",
    "immediate",
  ]);
  try {
    execFileSync(file, argv, { cwd: cluster.dir, stdio: "ignore", timeout: 10_000 });
  } catch {
    // best effort: the server may already be gone
  }
  rmSync(cluster.dir, { recursive: true, force: true });
}
