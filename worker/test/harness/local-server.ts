/**
 * Test harness: a server program (redis-server, memcached) run as a child process on a loopback port
 * with its files in a temp directory, for harness/redis.ts and harness/memcached.ts.
 *
 * Like harness/postgres.ts: a free port (retried with another when the server cannot take it), a
 * readiness probe with a deadline, stop() that ends the process and removes its directory, and a
 * process 'exit' hook that kills whatever a test left running, so no server outlives the run.
 * Missing programs are an error naming the Debian package, never a skip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./net.js";

export const HOST = "127.0.0.1";

/** How to run one kind of server. */
export interface ServerProgram {
  /** Program name, looked up in /usr/bin, /usr/sbin, /usr/local/bin. */
  program: string;
  /** Debian package providing it (named in the error when it is missing). */
  debianPackage: string;
  /** Command-line arguments for a server on `port` keeping its files in `dir`. */
  args(port: number, dir: string): string[];
  /** Resolves once the server on `port` answers; rejects (quickly) while it does not yet. */
  probe(port: number): Promise<void>;
}

/** A running server. */
export interface LocalServer {
  port: number;
  /** Temp directory of its files (and `server.log`); removed by stop(). */
  dir: string;
  /** Kills the process at once (SIGKILL, as a crash) and waits for its exit; the directory stays. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after kill), waiting until it answers. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): it keeps its connections and data but answers nothing. */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
  /** Ends the process (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 4;
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** Processes started by this module and not yet exited. */
const running = new Set<ChildProcess>();
/** Directories not yet removed. */
const directories = new Set<string>();
let exitHookInstalled = false;

/** Starts `server` on a free loopback port in a new temp directory. */
export async function startLocalServer(server: ServerProgram, dirPrefix: string): Promise<LocalServer> {
  const file = findProgram(server);
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  directories.add(dir);
  installExitHook();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      const child = await launch(file, server, port, dir);
      return handle(file, server, port, dir, child);
    } catch (error) {
      lastError = error;
    }
  }
  await removeDir(dir);
  throw new Error(`${server.program} did not start after ${START_ATTEMPTS} attempts`, { cause: lastError });
}

function handle(
  file: string,
  server: ServerProgram,
  port: number,
  dir: string,
  first: ChildProcess,
): LocalServer {
  let child: ChildProcess | undefined = first;
  return {
    port,
    dir,
    async kill() {
      if (child) await end(child, "SIGKILL");
      child = undefined;
    },
    async restart() {
      if (child) throw new Error(`${server.program} on port ${port} is still running`);
      child = await launch(file, server, port, dir);
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async stop() {
      if (child) await end(child, "SIGTERM");
      child = undefined;
      await removeDir(dir);
    },
  };
}

/** Spawns the server and waits until it answers; kills it and rejects if it exits or never answers. */
async function launch(file: string, server: ServerProgram, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(file, server.args(port, dir), { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(new Error(`${server.program} exited (${code ?? signal}) before answering:\n${output}`)),
    );
  });
  try {
    await Promise.race([waitUntilReady(server, port), exited]);
    return child;
  } catch (error) {
    await end(child, "SIGKILL");
    const log = await readFile(join(dir, "server.log"), "utf8").catch(() => "");
    throw new Error(
      `${server.program} on port ${port} did not start${log ? `; its log:\n${log.slice(-4000)}` : ""}`,
      {
        cause: error,
      },
    );
  }
}

async function waitUntilReady(server: ServerProgram, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await server.probe(port);
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `${server.program} on port ${port} did not answer within ${READY_TIMEOUT_MS} ms: ${String(lastError)}`,
  );
}

/** Sends `signal` and waits for the exit, escalating to SIGKILL after a timeout. */
async function end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGCONT"); // a paused process would not act on SIGTERM
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

async function removeDir(dir: string): Promise<void> {
  directories.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

function findProgram(server: ServerProgram): string {
  const candidates = ["/usr/bin", "/usr/sbin", "/usr/local/bin"].map((dir) => join(dir, server.program));
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  throw new Error(
    `${server.program} not found (looked in ${candidates.join(", ")}). The cache integration tests run a ` +
      `real server: apt-get install ${server.debianPackage}`,
  );
}

/** Kills, once, every server still running when the process exits, and removes their directories. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
    for (const dir of directories) rmSync(dir, { recursive: true, force: true });
  });
}
