/**
 * The reference's Docker Compose cluster (hugr-clustered-deployment.md, "Docker Compose Cluster
 * Deployment" and "Cluster with Load Balancer (NGINX)") as processes on loopback: PostgreSQL, Redis
 * (the work nodes' L2 cache, behind `requirepass`), the management node, two work nodes and nginx in
 * front of them. Used by standalone.test.ts; to run it by hand: `make build && npx tsx
 * e2e/standalone/start.ts`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import { startRedis, type RedisServer } from "../../worker/test/harness/redis.js";

/** The compose file's CLUSTER_SECRET. */
export const CLUSTER_SECRET = "cluster-secret-key";
/** The compose file's Redis password: `redis-server --requirepass redis_password`, CACHE_L2_PASSWORD. */
export const REDIS_PASSWORD = "redis_password";
export const WORKER_NAMES = ["worker-1", "worker-2"] as const;

const HOST = "127.0.0.1";
const NGINX = "/usr/sbin/nginx";
const TEMPLATE = fileURLToPath(new URL("./nginx.conf.template", import.meta.url));
const PROGRAMS = {
  management: fileURLToPath(new URL("../../operator/dist/main.js", import.meta.url)),
  worker: fileURLToPath(new URL("../../worker/dist/main.js", import.meta.url)),
};
const REDIS_PROGRAMS = ["/usr/bin/redis-server", "/usr/bin/redis-cli"];
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Topology {
  /** nginx, the only entry point clients use (the compose file's port 80). */
  lb: string;
  /** The management node (no GraphQL; the work nodes call it). */
  management: string;
  workers: { name: string; url: string }[];
  /** The shared core database of the work nodes: a PostgreSQL URL, or the prepared DuckDB file. */
  coreDb: string;
  /** The PostgreSQL server of the core database (absent on a DuckDB file), for other databases on it. */
  postgres: PostgresInstance | undefined;
  /** The work nodes' L2 cache: `redis.address` is their CACHE_L2_ADDRESSES, `redis.cli` runs redis-cli. */
  redis: RedisServer;
  /** nginx's access log, in its temp dir. */
  accessLog: string;
  /**
   * Everything the processes wrote so far (their stdout and stderr, nginx's error log and Redis's
   * log file), for failure messages and for checking what was logged.
   */
  logs(): string;
  /**
   * Stops nginx, the work nodes, the management node, then PostgreSQL and Redis, and removes the temp
   * dirs.
   */
  stop(): Promise<void>;
}

export interface TopologyOptions {
  /** Also copy the processes' output to this process's stdout/stderr. */
  echo?: boolean;
  /**
   * A prepared DuckDB core database file the work nodes open read-only, as the reference describes
   * for DuckDB clusters; without it, a private PostgreSQL.
   */
  duckDbFile?: string;
}

interface Service {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Children still running, terminated if this process exits without stop() (e.g. a crashed test run). */
const live = new Set<ChildProcess>();
process.once("exit", () => live.forEach((child) => child.kill("SIGTERM")));

export async function startStandaloneTopology(options: TopologyOptions = {}): Promise<Topology> {
  checkPrerequisites();
  const dir = await mkdtemp(join(tmpdir(), "hugr-standalone-"));
  const services: Service[] = [];
  let pgStarting: Promise<PostgresInstance> | undefined;
  let redisStarting: Promise<RedisServer> | undefined;
  const run = (name: string, file: string, args: string[], env: Record<string, string>): Service => {
    const service = spawnService(name, file, args, env, options.echo ?? false);
    services.push(service);
    return service;
  };
  const stopAll = (match: (name: string) => boolean): Promise<unknown> =>
    Promise.all(services.filter((s) => match(s.name)).map((s) => s.stop()));
  // Reverse start order, as `docker compose down` does: nginx, work nodes, management, then
  // PostgreSQL and Redis.
  const stop = async (): Promise<void> => {
    await stopAll((name) => name === "nginx");
    await stopAll((name) => name.startsWith("worker"));
    await stopAll((name) => name === "management");
    await Promise.all([stopServer(pgStarting), stopServer(redisStarting)]);
    await rm(dir, { recursive: true, force: true });
  };
  const nginxDir = join(dir, "nginx");
  let redisLog: string | undefined;
  const logs = (): string =>
    [
      ...services.map((s) => `--- ${s.name}\n${s.output()}`),
      ...[
        ["nginx error.log", join(nginxDir, "error.log")],
        ["redis server.log", redisLog],
      ].map(([name, file]) => `--- ${name}\n${file ? readIfPresent(file) : ""}`),
    ].join("\n");
  try {
    // The compose file's `redis` service: `redis-server --requirepass redis_password`. Started first,
    // so that the ports below are taken after its own.
    redisStarting = startRedis({ password: REDIS_PASSWORD });
    const redis = await redisStarting;
    redisLog = join(redis.dir, "server.log");
    const [managementPort, lbPort, ...workerPorts] = await freePorts(2 + WORKER_NAMES.length);
    const management = `http://${HOST}:${managementPort}`;
    // depends_on: the work nodes need the management node, PostgreSQL and Redis; nginx needs the work
    // nodes.
    pgStarting = options.duckDbFile === undefined ? startPostgres() : undefined;
    const [pg] = await Promise.all([
      pgStarting,
      waitReady(startManagement(run, dir, managementPort!), `${management}/ready`),
    ]);
    const coreDb = pg?.url ?? options.duckDbFile ?? "";
    const workers = WORKER_NAMES.map((name, i) => ({ name, port: workerPorts[i]! }));
    await Promise.all(
      workers.map(({ name, port }) => {
        const service = run(name, process.execPath, [PROGRAMS.worker], {
          ...workerEnv(name, port, management, coreDb, redis.address),
          ...(options.duckDbFile === undefined ? {} : { CORE_DB_READONLY: "true" }),
        });
        return waitReady(service, `http://${HOST}:${port}/ready`);
      }),
    );
    await waitSubscribed(redis, workers.length, logs);
    await mkdir(nginxDir);
    await writeNginxConf(nginxDir, lbPort!, workerPorts);
    const lb = `http://${HOST}:${lbPort}`;
    const nginxArgs = ["-p", nginxDir, "-e", join(nginxDir, "error.log"), "-c", join(nginxDir, "nginx.conf")];
    await waitReady(run("nginx", NGINX, nginxArgs, {}), `${lb}/health`, join(nginxDir, "error.log"));
    return {
      lb,
      management,
      workers: workers.map(({ name, port }) => ({ name, url: `http://${HOST}:${port}` })),
      coreDb,
      postgres: pg,
      redis,
      accessLog: join(nginxDir, "access.log"),
      logs,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Fails before starting anything when a program is missing: never a silent skip. */
function checkPrerequisites(): void {
  if (!existsSync(NGINX)) {
    throw new Error(
      `${NGINX} not found: the standalone topology's load balancer is nginx: apt-get install nginx`,
    );
  }
  for (const program of REDIS_PROGRAMS) {
    if (!existsSync(program)) {
      throw new Error(
        `${program} not found: the standalone topology's L2 cache is Redis: apt-get install redis-server`,
      );
    }
  }
  for (const program of Object.values(PROGRAMS)) {
    if (!existsSync(program)) throw new Error(`${program} not found: run \`make build\` first`);
  }
}

type Run = (name: string, file: string, args: string[], env: Record<string, string>) => Service;

/**
 * The compose file's `management` service. Like there, no CORE_DB_PATH: the management node keeps its
 * registry in its embedded database, $HUGR_DATA_DIR/management.duckdb (the container's own filesystem there).
 */
function startManagement(run: Run, dir: string, port: number): Service {
  return run("management", process.execPath, [PROGRAMS.management], {
    BIND: `${HOST}:${port}`,
    CLUSTER_SECRET,
    TIMEOUT: "30s",
    CHECK: "1m",
    HUGR_DATA_DIR: join(dir, "management"),
  });
}

/** The compose file's `worker-1`/`worker-2` services, with loopback addresses for the service names. */
function workerEnv(
  name: string,
  port: number,
  management: string,
  coreDb: string,
  redis: string,
): Record<string, string> {
  return {
    // Server Config
    BIND: `${HOST}:${port}`,
    ADMIN_UI: "true",
    // Cluster Config
    CLUSTER_SECRET,
    CLUSTER_MANAGEMENT_URL: management,
    CLUSTER_NODE_NAME: name,
    CLUSTER_NODE_URL: `http://${HOST}:${port}`,
    CLUSTER_TIMEOUT: "5s",
    // Core Database
    CORE_DB_PATH: coreDb,
    // Cache
    CACHE_L1_ENABLED: "true",
    CACHE_L1_MAX_SIZE: "512",
    CACHE_L2_ENABLED: "true",
    CACHE_L2_BACKEND: "redis",
    CACHE_L2_ADDRESSES: redis,
    CACHE_L2_PASSWORD: REDIS_PASSWORD,
  };
}

/**
 * Waits until `count` connections listen on the work nodes' cache invalidation channel
 * (`hugr:<cluster>:invalidations`): every work node reached Redis with the password, so the
 * topology's L2 is in use from the first request on.
 */
async function waitSubscribed(redis: RedisServer, count: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let channels = "";
  let reply = "";
  while (Date.now() < deadline) {
    channels = await redis.cli("pubsub", "channels", "hugr:*:invalidations");
    const channel = channels.split("\n").filter(Boolean);
    if (channel.length === 1) {
      reply = await redis.cli("pubsub", "numsub", channel[0]!);
      if (Number(reply.split("\n")[1]) >= count) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `the work nodes did not subscribe to Redis (channels: ${JSON.stringify(channels)}, numsub: ` +
      `${JSON.stringify(reply)}):\n${logs()}`,
  );
}

/** Stops a harness server once it started; one that failed to start was cleaned up by the harness. */
async function stopServer(starting: Promise<{ stop(): Promise<void> }> | undefined): Promise<void> {
  await starting?.then(
    (server) => server.stop(),
    () => undefined,
  );
}

function readIfPresent(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Renders nginx.conf.template into `dir`; every placeholder must be known and substituted. */
async function writeNginxConf(dir: string, lbPort: number, workerPorts: number[]): Promise<void> {
  const values: Record<string, string> = {
    TEMP_DIR: dir,
    LB_PORT: String(lbPort),
    WORKER_1_PORT: String(workerPorts[0]),
    WORKER_2_PORT: String(workerPorts[1]),
    // See the template: as root, the workers must stay root to use the private temp dir.
    USER_DIRECTIVE: process.getuid?.() === 0 ? "user root;" : "",
  };
  const template = await readFile(TEMPLATE, "utf8");
  const conf = template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`nginx.conf.template: unknown placeholder {{${key}}}`);
    return value;
  });
  await writeFile(join(dir, "nginx.conf"), conf);
}

function spawnService(
  name: string,
  file: string,
  args: string[],
  env: Record<string, string>,
  echo: boolean,
): Service {
  // Own process group: a Ctrl-C in the terminal reaches only this process, which then stops the
  // services in order (work nodes deregister while the management node is still up).
  const child = spawn(file, args, {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let output = "";
  const capture =
    (stream: NodeJS.WriteStream): ((chunk: Buffer) => void) =>
    (chunk) => {
      output += chunk.toString();
      if (echo) stream.write(chunk);
    };
  child.stdout?.on("data", capture(process.stdout));
  child.stderr?.on("data", capture(process.stderr));
  return { name, child, output: () => output, stop: () => stopChild(child) };
}

/** SIGTERM (graceful for the nodes, fast shutdown for nginx), SIGKILL if it does not exit in time. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Polls `url` until it answers 200; fails with the service's output (and `logFile`) if it exits. */
async function waitReady(service: Service, url: string, logFile?: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const exited = service.child.exitCode !== null || service.child.signalCode !== null;
    if (exited) break;
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = logFile ? await readFile(logFile, "utf8").catch(() => "") : "";
  throw new Error(
    `${service.name} did not answer ${url} (exit code ${service.child.exitCode}):\n${service.output()}${log}`,
  );
}

/** `count` distinct loopback ports that were free a moment ago. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  // All held open at once so no two of them get the same port.
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, HOST, resolve))));
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
