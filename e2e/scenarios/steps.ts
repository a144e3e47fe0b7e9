/**
 * Building blocks of the scenarios, on top of a {@link ScenarioDriver} only.
 */
import assert from "node:assert/strict";
import type { GraphQLRequest, ScenarioDriver } from "./driver.js";

/** The bits of a custom resource the scenarios read. */
export interface Resource<Spec = unknown, Status = object> {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; finalizers?: string[] };
  spec: Spec;
  status?: Status & { observedGeneration?: number; conditions?: Condition[] };
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** The per-node state of a HugrDataSource or HugrObjectStorage. */
export interface NodeResult {
  node: string;
  status: string;
  error?: string;
}

const SHOWN_CHARS = 2_000;

/** Runs kubectl in the driver's environment and fails with its output unless it exits 0. */
export async function kubectlOk(driver: ScenarioDriver, args: string[], input?: string): Promise<string> {
  const result = await driver.kubectl(args, input);
  if (result.code !== 0) {
    throw new Error(
      `kubectl ${args.join(" ")} exited with ${result.code}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

/** `kubectl get <kind> <name> -n <namespace> -o json`; undefined when it does not exist. */
export async function getResource<T = Resource>(
  driver: ScenarioDriver,
  kind: string,
  name: string,
): Promise<T | undefined> {
  const result = await driver.kubectl(["get", kind, name, "-n", driver.namespace, "-o", "json"]);
  if (result.code !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl get ${kind} ${name} exited with ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

/** Server-side apply of objects (JSON needs no YAML library), as a user would `kubectl apply` them. */
export async function apply(driver: ScenarioDriver, ...objects: object[]): Promise<void> {
  const list = { apiVersion: "v1", kind: "List", items: objects };
  await kubectlOk(
    driver,
    ["apply", "--server-side", "--field-manager=hugr-e2e", "-n", driver.namespace, "-f", "-"],
    JSON.stringify(list),
  );
}

/** `kubectl delete <kind> <name>` without waiting; fine when it is already gone. */
export async function deleteResource(driver: ScenarioDriver, kind: string, name: string): Promise<void> {
  await kubectlOk(driver, [
    "delete",
    kind,
    name,
    "-n",
    driver.namespace,
    "--ignore-not-found",
    "--wait=false",
  ]);
}

/** Waits until `kind/name` no longer exists (its finalizers done). */
export async function waitGone(driver: ScenarioDriver, kind: string, name: string): Promise<void> {
  await waitFor(
    driver,
    `${kind} ${name} to be deleted`,
    async () => ((await getResource(driver, kind, name)) === undefined ? true : undefined),
    () => true,
  );
}

/** The condition of `type`, if the object has it. */
export function condition(object: Resource | undefined, type: string): Condition | undefined {
  return object?.status?.conditions?.find((c) => c.type === type);
}

/**
 * Polls `read` until `ok` holds for what it returns (undefined never does); resolves with that value.
 * On timeout the error carries the last value seen, or the last error, so a failure says why.
 */
export async function waitFor<T>(
  driver: ScenarioDriver,
  what: string,
  read: () => Promise<T | undefined>,
  ok: (value: T) => boolean,
  timeoutMs = driver.timeoutMs,
): Promise<T> {
  let last: T | undefined;
  let lastError: unknown;
  try {
    const took = await driver.eventually(
      async () => {
        try {
          last = await read();
          lastError = undefined;
        } catch (error) {
          lastError = error;
          return false;
        }
        return last !== undefined && ok(last);
      },
      timeoutMs,
      what,
    );
    driver.log?.(`  ${what}: ${took} ms`);
  } catch (error) {
    const seen =
      lastError !== undefined
        ? `last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`
        : `last seen: ${JSON.stringify(summary(last))?.slice(0, SHOWN_CHARS)}`;
    throw new Error(`${error instanceof Error ? error.message : String(error)}; ${seen}`, { cause: error });
  }
  return last as T;
}

/** What a timeout message shows of a value: a resource's name, generation and status only. */
function summary(value: unknown): unknown {
  if (typeof value !== "object" || value === null || !("metadata" in value)) return value;
  const { metadata, status } = value as Resource;
  return { name: metadata.name, generation: metadata.generation, status };
}

/**
 * Sends a GraphQL request (as the admin, to any node, unless `request` says otherwise) and fails on any
 * error; resolves with `data`.
 */
export async function gql<T>(
  driver: ScenarioDriver,
  query: string,
  variables?: Record<string, unknown>,
  request?: GraphQLRequest,
): Promise<T> {
  const body = await driver.graphql(query, variables, request);
  assert.equal(body.errors, undefined, `GraphQL errors: ${JSON.stringify(body.errors)}`);
  assert.ok(body.data, "GraphQL response without data");
  return body.data as T;
}

/** A resource converged: its status is for its current generation and Ready is True. */
export function isReady(object: Resource): boolean {
  return (
    object.status?.observedGeneration === object.metadata.generation &&
    condition(object, "Ready")?.status === "True"
  );
}
