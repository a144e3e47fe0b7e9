/**
 * The reference's Docker Compose cluster (hugr-clustered-deployment.md, "Docker Compose Cluster
 * Deployment" and "Cluster with Load Balancer (NGINX)") as processes on loopback: PostgreSQL, the
 * management node, two work nodes and nginx in front of them. Used by standalone.test.ts; to run it by
 * hand: `make build && node e2e/standalone/start.ts`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";

/** The compose file's CLUSTER_SECRET. */
export const CLUSTER_SECRET = "cluster-secret-key";
export const WORKER_NAMES = ["worker-1", "worker-2"] as const;

const HOST = "127.0.0.1";
const NGINX = "/usr/sbin/nginx";
const TEMPLATE = fileURLToPath(new URL("./nginx.conf.template", import.meta.url));
const PROGRAMS = {
  management: fileURLToPath(new URL("../../operator/dist/main.js", import.meta.url)),
  worker: fileURLToPath(new URL("../../worker/dist/main.js", import.meta.url)),
};
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
  /** nginx's access log, in its temp dir. */
  accessLog: string;
  /** Everything the processes wrote so far, for failure messages. */
  logs(): string;
  /** Stops nginx, the work nodes, the management node and PostgreSQL, then removes the temp dirs. */
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
  const run = (name: string, file: string, args: string[], env: Record<string, string>): Service => {
    const service = spawnService(name, file, args, env, options.echo ?? false);
    services.push(service);
    return service;
  };
  const stopAll = (match: (name: string) => boolean): Promise<unknown> =>
    Promise.all(services.filter((s) => match(s.name)).map((s) => s.stop()));
  // Reverse start order, as `docker compose down` does: nginx, work nodes, management, PostgreSQL.
  const stop = async (): Promise<void> => {
    await stopAll((name) => name === "nginx");
    await stopAll((name) => name.startsWith("worker"));
    await stopAll((name) => name === "management");
    await pgStarting?.then(
      (pg) => pg.stop(),
      () => undefined, // failed to start: the harness cleaned up already
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [managementPort, lbPort, ...workerPorts] = await freePorts(2 + WORKER_NAMES.length);
    const management = `http://${HOST}:${managementPort}`;
    // depends_on: the work nodes need the management node and PostgreSQL; nginx needs the work nodes.
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
          ...workerEnv(name, port, management, coreDb),
          ...(options.duckDbFile === undefined ? {} : { CORE_DB_READONLY: "true" }),
        });
        return waitReady(service, `http://${HOST}:${port}/ready`);
      }),
    );
    const nginxDir = join(dir, "nginx");
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
      accessLog: join(nginxDir, "access.log"),
      logs: () => services.map((s) => `--- ${s.name}\n${s.output()}`).join("\n"),
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
function workerEnv(name: string, port: number, management: string, coreDb: string): Record<string, string> {
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
    // Cache. The compose file's CACHE_L2_* (Redis) are left out: this topology has no Redis service.
    CACHE_L1_ENABLED: "true",
    CACHE_L1_MAX_SIZE: "512",
  };
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
