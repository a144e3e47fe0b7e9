/**
 * Runs the end-to-end scenarios (e2e/scenarios) against a hugr cluster on a real Kubernetes cluster:
 * kubectl as it is on PATH (with KUBECONFIG as set), GraphQL through `kubectl port-forward` to the
 * HugrCluster's Service (or to one worker pod, when a scenario names it), as the cluster's admin: the
 * secret key of the Secret `hugr-auth` that its spec.auth.secretKeySecretRef names (e2e/scenarios/
 * auth.ts), read once at the start. e2e/kind/run.sh sets everything up first and calls it as
 *
 *   npx tsx e2e/kind/run-scenarios.ts [name-filter...]
 *
 * The shared scenarios (e2e/scenarios) run first, then those only real pods can show (pod-scenarios.ts).
 * Arguments keep only the scenarios whose name contains one of them. The environment:
 *
 *   KUBECTL                 kubectl command (default kubectl)
 *   E2E_NAMESPACE           the HugrCluster's namespace (default hugr-e2e)
 *   E2E_CLUSTER             the HugrCluster (default demo)
 *   E2E_REPLICAS            its spec.replicas (default 2)
 *   E2E_DATA_SOURCE_PATH    PostgreSQL DSN, without credentials, that the workers reach, of a
 *                           database with the table `events` of e2e/scenarios/events-source.ts
 *                           (default postgres://analytics@postgres.<namespace>.svc:5432/analytics)
 *   E2E_OPERATOR_NAMESPACE  the operator's namespace, for its logs (default hugr-system)
 *   E2E_TIMEOUT_MS          how long one convergence may take (default 120000)
 *   DOCKER                  docker command, to kill a container's process from its kind node (default docker)
 *
 * Exits 0 when every scenario passed, 1 otherwise.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { readSecretKey, SECRET_KEY_HEADER } from "../scenarios/auth.js";
import type { GraphQLRequest, GraphQLResult, KubectlResult } from "../scenarios/driver.js";
import { runScenarios } from "../scenarios/run.js";
import { SCENARIOS } from "../scenarios/scenarios.js";
import { podScenarios, type PodScenarioDriver } from "./pod-scenarios.js";

const env = process.env;
const KUBECTL = env["KUBECTL"] ?? "kubectl";
const DOCKER = env["DOCKER"] ?? "docker";
const NAMESPACE = env["E2E_NAMESPACE"] ?? "hugr-e2e";
const CLUSTER = env["E2E_CLUSTER"] ?? "demo";
const REPLICAS = Number(env["E2E_REPLICAS"] ?? "2");
const DATA_SOURCE_PATH =
  env["E2E_DATA_SOURCE_PATH"] ?? `postgres://analytics@postgres.${NAMESPACE}.svc:5432/analytics`;
const OPERATOR_NAMESPACE = env["E2E_OPERATOR_NAMESPACE"] ?? "hugr-system";
const TIMEOUT_MS = Number(env["E2E_TIMEOUT_MS"] ?? "120000");
/** A single kubectl call (not a wait) that takes longer than this is stuck. */
const KUBECTL_TIMEOUT_MS = 120_000;
const GRAPHQL_TIMEOUT_MS = 60_000;
const POLL_MS = 500;
const WORKER_PORT = 15000;

const started = Date.now();
function log(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[e2e ${seconds}s] ${message}\n`);
}

/** Runs kubectl; resolves with its exit code and output, never rejects for a non-zero code. */
function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return run(KUBECTL, args, input);
}

/** Runs a command; resolves with its exit code and output, never rejects for a non-zero code. */
async function run(command: string, args: string[], input?: string): Promise<KubectlResult> {
  const child = spawn(command, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), KUBECTL_TIMEOUT_MS);
  const exited = once(child, "close") as Promise<[number | null]>;
  if (child.stdin) {
    // kubectl may exit before reading its input (a refused argument): its exit code tells, not EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  }
  try {
    const [code] = await exited;
    return { code: code ?? -1, stdout, stderr };
  } catch (error) {
    return { code: -1, stdout, stderr: `${stderr}${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `kubectl port-forward <target> :15000` (the Service `svc/<cluster>`, or one worker `pod/<name>`):
 * kubectl picks a free local port and says which. A port-forward dies with the pod it picked (a
 * rolled worker), so it is started again when needed.
 */
class PortForward {
  private child: ChildProcess | undefined;
  private port: number | undefined;

  constructor(private readonly target: string) {}

  async url(): Promise<string> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null || !this.port) {
      this.port = await this.start();
    }
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops the current port-forward; the next url() starts another. */
  reset(): void {
    this.child?.kill("SIGTERM");
    this.child = undefined;
    this.port = undefined;
  }

  private async start(): Promise<number> {
    this.reset();
    const args = ["port-forward", "-n", NAMESPACE, this.target, `:${WORKER_PORT}`, "--address", "127.0.0.1"];
    const child = spawn(KUBECTL, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kubectl ${args.join(" ")}: no port after 30 s`)),
        30_000,
      );
      lines.on("line", (line) => {
        const match = /^Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`kubectl ${args.join(" ")} exited with ${code}: ${stderr}`));
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`kubectl ${args.join(" ")}: ${error.message}`));
      });
    });
    log(`port-forward ${this.target} -> 127.0.0.1:${port}`);
    return port;
  }
}

/** Port-forwards by target: the Service's, and one per worker pod a scenario asked by name. */
const forwards = new Map<string, PortForward>();

function forwardTo(target: string): PortForward {
  let forward = forwards.get(target);
  if (!forward) forwards.set(target, (forward = new PortForward(target)));
  return forward;
}

/** The cluster admin's credential: the secret key of the Secret the HugrCluster's spec.auth names. */
let adminHeaders: Record<string, string> = {};

async function post(
  forward: PortForward,
  query: string,
  variables: Record<string, unknown> | undefined,
  headers: Record<string, string>,
): Promise<GraphQLResult> {
  const response = await fetch(`${await forward.url()}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(GRAPHQL_TIMEOUT_MS),
  });
  const text = await response.text();
  try {
    return { ...(JSON.parse(text) as GraphQLResult), status: response.status };
  } catch {
    throw new Error(`POST /graphql answered ${response.status} with no JSON: ${text.slice(0, 500)}`);
  }
}

/**
 * GraphQL through a port-forward: to the Service, or to the worker pod `request.node`; as the
 * cluster's admin unless `request.headers` says otherwise. A request whose connection failed (the
 * port-forward's pod went away) is sent once more through a new port-forward.
 */
async function graphql(
  query: string,
  variables?: Record<string, unknown>,
  request: GraphQLRequest = {},
): Promise<GraphQLResult> {
  const forward = forwardTo(request.node === undefined ? `svc/${CLUSTER}` : `pod/${request.node}`);
  const headers = request.headers ?? adminHeaders;
  try {
    return await post(forward, query, variables, headers);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error; // fetch's network errors are TypeErrors
    log(
      `GraphQL request failed (${(error.cause as Error | undefined)?.message ?? error.message}); reconnecting`,
    );
    forward.reset();
    return post(forward, query, variables, headers);
  }
}

async function eventually(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const begin = Date.now();
  while (Date.now() - begin < timeoutMs) {
    if (await probe().catch(() => false)) return Date.now() - begin;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** Everything the operator's and the workers' containers logged (kubectl logs shows 10 lines by default). */
async function logs(): Promise<string> {
  const selectors: [string, string][] = [
    [OPERATOR_NAMESPACE, "app.kubernetes.io/name=hugr-operator"],
    [NAMESPACE, `app.kubernetes.io/instance=${CLUSTER},app.kubernetes.io/name=hugr-worker`],
  ];
  const results = await Promise.all(
    selectors.map(([namespace, selector]) =>
      kubectl(["logs", "-n", namespace, "-l", selector, "--tail=-1", "--prefix", "--max-log-requests=20"]),
    ),
  );
  for (const result of results) {
    if (result.code !== 0) throw new Error(`kubectl logs exited with ${result.code}: ${result.stderr}`);
  }
  return results.map((r) => r.stdout).join("\n");
}

/**
 * SIGKILL to a container's main process, sent from its kind node (a container of the docker that runs
 * kind): inside the pod the process is pid 1 of its namespace, which ignores a SIGKILL sent from there.
 */
async function killContainerProcess(namespace: string, pod: string, container: string): Promise<void> {
  const read = await kubectl(["get", "pod", pod, "-n", namespace, "-o", "json"]);
  if (read.code !== 0) throw new Error(`kubectl get pod ${pod}: ${read.stderr}`);
  const object = JSON.parse(read.stdout) as {
    spec: { nodeName: string };
    status: { containerStatuses?: { name: string; containerID?: string }[] };
  };
  const id = object.status.containerStatuses
    ?.find((c) => c.name === container)
    ?.containerID?.replace(/^\w+:\/\//, "");
  if (!id) throw new Error(`pod ${pod} has no running container ${container}`);
  const script = `kill -9 "$(crictl inspect --output go-template --template '{{.info.pid}}' ${id})"`;
  const result = await run(DOCKER, ["exec", object.spec.nodeName, "sh", "-c", script]);
  if (result.code !== 0)
    throw new Error(`kill -9 of ${pod}/${container} on ${object.spec.nodeName}: ${result.stderr}`);
  log(`  kill -9 of the main process of ${pod}/${container} (container ${id.slice(0, 12)})`);
}

const measured: [what: string, ms: number][] = [];

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const driver: PodScenarioDriver = {
    kubectl,
    graphql,
    namespace: NAMESPACE,
    clusterName: CLUSTER,
    replicas: REPLICAS,
    dataSourcePath: DATA_SOURCE_PATH,
    timeoutMs: TIMEOUT_MS,
    eventually,
    logs,
    log,
    operatorNamespace: OPERATOR_NAMESPACE,
    killContainerProcess,
    measure: (what, ms) => {
      measured.push([what, ms]);
      log(`  measured: ${what}: ${(ms / 1000).toFixed(1)} s`);
    },
  };
  const all = [...SCENARIOS, ...podScenarios(driver)];
  const scenarios = all.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  if (scenarios.length === 0) {
    log(
      `no scenario matches ${JSON.stringify(filters)}; the scenarios:\n${all.map((s) => `  ${s.name}`).join("\n")}`,
    );
    return 1;
  }
  log(`${scenarios.length} scenario(s) against HugrCluster ${NAMESPACE}/${CLUSTER} (${REPLICAS} nodes)`);
  try {
    adminHeaders = { [SECRET_KEY_HEADER]: await readSecretKey(driver) };
    const outcomes = await runScenarios(driver, scenarios);
    const failed = outcomes.filter((o) => !o.ok);
    log(`${outcomes.length - failed.length} passed, ${failed.length} failed`);
    for (const outcome of failed) log(`  failed: ${outcome.name}`);
    for (const [what, ms] of measured) log(`  measured: ${what}: ${(ms / 1000).toFixed(1)} s`);
    return failed.length === 0 ? 0 : 1;
  } finally {
    for (const forward of forwards.values()) forward.reset();
  }
}

// Exit at once: nothing left running (a keep-alive socket) may hold the process open.
process.exit(await main());
