/**
 * Test harness: the real programs as separate processes on loopback, started with the
 * environment a user (or a rendered pod template) would give them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { freePort } from "../../worker/test/harness/net.js";

export { freePort } from "../../worker/test/harness/net.js";
export { graphql } from "../../worker/test/harness/worker.js";

const PROGRAMS = {
  management: fileURLToPath(new URL("../../operator/dist/main.js", import.meta.url)),
  worker: fileURLToPath(new URL("../../worker/dist/main.js", import.meta.url)),
};

export interface RunningProcess {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote so far (JSON log lines). */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code; no-op once exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  env: Record<string, string>;
  port?: number;
  /** Resolve without waiting for /ready (for processes that are expected not to become ready). */
  noWait?: boolean;
}

export async function startManagement(options: StartOptions): Promise<RunningProcess> {
  return start("management", PROGRAMS.management, options);
}

export async function startWorker(name: string, options: StartOptions): Promise<RunningProcess> {
  return start(name, PROGRAMS.worker, options);
}

/** What a work node of a standalone cluster is given, besides its own settings. */
export interface ClusterWorkerOptions {
  management: RunningProcess;
  secret: string;
  coreDb: string;
  /** CLUSTER_TIMEOUT; default 1s. */
  timeout?: string;
  /** More variables (cache, log level...). */
  env?: Record<string, string>;
}

/** A work node of a standalone cluster on a free loopback port, registering with `management`. */
export async function startClusterWorker(
  name: string,
  options: ClusterWorkerOptions,
): Promise<RunningProcess> {
  const port = await freePort();
  return startWorker(name, {
    port,
    env: {
      CORE_DB_PATH: options.coreDb,
      CLUSTER_SECRET: options.secret,
      CLUSTER_MANAGEMENT_URL: options.management.url,
      CLUSTER_NODE_NAME: name,
      CLUSTER_NODE_URL: `http://127.0.0.1:${port}`,
      CLUSTER_TIMEOUT: options.timeout ?? "1s",
      ...options.env,
    },
  });
}

/**
 * Runs a program with `env` (and command-line `args`) until it exits: configuration errors, the
 * worker's commands. Resolves with its code and output.
 */
export async function runToExit(
  program: keyof typeof PROGRAMS,
  env: Record<string, string>,
  { timeoutMs = 20_000, args = [] }: { timeoutMs?: number; args?: readonly string[] } = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [PROGRAMS[program], ...args], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: "pipe",
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

async function start(name: string, program: string, options: StartOptions): Promise<RunningProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [program], {
    env: { PATH: process.env["PATH"] ?? "", BIND: `127.0.0.1:${port}`, LOG_LEVEL: "info", ...options.env },
    stdio: "pipe",
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const running: RunningProcess = {
    name,
    url,
    port,
    child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit") as Promise<[number | null]>;
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
  if (!options.noWait) await waitFor(`${url}/ready`, running);
  return running;
}

/** Polls `url` until it answers 200; fails with the process output if it exits or times out. */
export async function waitFor(url: string, running: RunningProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null)
      throw new Error(`${running.name} exited with ${running.child.exitCode}:\n${running.output()}`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${running.name}: ${url} not ready within ${timeoutMs} ms:\n${running.output()}`);
}

/** Polls `probe` until it returns true. */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}
