/**
 * Test harness: work nodes in this process (fast; still real HTTP on loopback) and a GraphQL client.
 * Nodes as separate processes are started by e2e/harness/processes.ts.
 */
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
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
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
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface InProcessWorkerOptions {
  /** Receives the node's JSON log lines (default stdout); set LOG_LEVEL in the env to get any. */
  logDestination?: { write(line: string): void };
}

/** Starts a work node in this process on a free loopback port with the given environment. */
export async function startInProcessWorker(
  env: Record<string, string>,
  options: InProcessWorkerOptions = {},
): Promise<InProcessWorker> {
  const config = parseWorkerConfig({
    BIND: "127.0.0.1:0",
    LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
    ...env,
  });
  const logger = createLogger(config.logLevel, "worker", options.logDestination ?? process.stdout);
  const worker = await startWorker(config, { logger });
  return {
    url: worker.url,
    worker,
    gql: (query, variables, headers) => graphql(worker.url, query, variables, headers),
    close: () => worker.close(1_000),
  };
}

export { freePort } from "./net.js";
