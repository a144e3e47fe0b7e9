/**
 * Test harness: work nodes for integration tests, either in this process (fast; still real HTTP on
 * loopback) or as a separate `node worker/dist/main.js` process (exit codes, signals, logs).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createLogger, parseWorkerConfig, startWorker, type RunningWorker } from "../../src/index.js";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** POSTs a GraphQL request and returns status and parsed body. */
export async function graphql<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<T>["body"] };
}

export interface InProcessWorker {
  url: string;
  worker: RunningWorker;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/** Starts a work node in this process on a free loopback port with the given environment. */
export async function startInProcessWorker(env: Record<string, string>): Promise<InProcessWorker> {
  const config = parseWorkerConfig({
    BIND: "127.0.0.1:0",
    LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
    ...env,
  });
  const worker = await startWorker(config, { logger: createLogger(config.logLevel) });
  return {
    url: worker.url,
    worker,
    gql: (query, variables) => graphql(worker.url, query, variables),
    close: () => worker.close(1_000),
  };
}

const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export interface WorkerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the built `hugr-worker` entry point and resolves with its exit code and output. */
export async function runWorkerToExit(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], {
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

/** Starts the built `hugr-worker` as a process and waits until /ready answers 200. */
export async function spawnWorker(env: Record<string, string>, port: number): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env["PATH"] ?? "", BIND: `127.0.0.1:${port}`, ...env },
    stdio: "pipe",
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url, child, () => output);
  return {
    url,
    child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, "exit") as Promise<[number | null]>;
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}

async function waitForReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`worker did not become ready within 60 s:\n${output()}`);
}

/** A free TCP port on loopback (bind to 0, read, close). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  server.close();
  await once(server, "close");
  return port;
}
