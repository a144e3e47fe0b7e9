/**
 * Test harness for the operator on a real kube-apiserver: the operator runs as its ServiceAccount
 * with exactly the RBAC that config/ ships (so a missing verb fails a test), as a separate process
 * started like a pod would start it; work nodes run as processes with the environment their rendered
 * pod template gives them.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Secret } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import {
  eventually,
  freePort,
  startManagement,
  startWorker,
  type RunningProcess,
} from "../../../e2e/harness/processes.js";
import { kubeconfigYaml, type Envtest } from "./envtest.js";

/** The operator's namespace in the tests, as config/default installs it. */
export const OPERATOR_NAMESPACE = "hugr-system";
const SERVICE_ACCOUNT = "hugr-operator";
const CONFIG_DEFAULT = fileURLToPath(new URL("../../../config/default", import.meta.url));
const RBAC_KINDS = new Set([
  "Namespace",
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
]);

/** Runs kubectl and fails with its output unless it exits 0; resolves with its standard output. */
export async function kubectlOk(env: Envtest, args: string[], input?: string): Promise<string> {
  const result = await env.kubectl(args, input);
  if (result.code !== 0) {
    throw new Error(
      `kubectl ${args.join(" ")} exited with ${result.code}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

/** Creates a namespace and, in it, the Secret `hugr-db` (key `url`) a HugrCluster's coreDB references. */
export async function createNamespaceWithCoreDb(
  env: Envtest,
  namespace: string,
  coreDbUrl: string,
): Promise<void> {
  await kubectlOk(env, ["create", "namespace", namespace]);
  await kubectlOk(env, [
    "create",
    "secret",
    "generic",
    "hugr-db",
    "-n",
    namespace,
    `--from-literal=url=${coreDbUrl}`,
  ]);
}

/** Polls `read` until it gives a value that `ok` accepts (default: any) and resolves with it. */
export async function waitForValue<T>(
  what: string,
  read: () => Promise<T | undefined>,
  ok: (value: T) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<T> {
  let last: T | undefined;
  await eventually(
    async () => {
      last = await read();
      return last !== undefined && ok(last);
    },
    timeoutMs,
    what,
  );
  return last as T;
}

/** Reads an object as JSON; undefined when it does not exist. */
export async function getJson<T = KubernetesObject>(env: Envtest, args: string[]): Promise<T | undefined> {
  const result = await env.kubectl(["get", "-o", "json", ...args]);
  if (result.code !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

/**
 * Installs what config/default installs for the operator's identity (namespace, ServiceAccount,
 * ClusterRole, Role and bindings; not its Deployment: the test runs the process itself) and returns
 * a kubeconfig that authenticates as that ServiceAccount with a token from the TokenRequest API.
 */
export async function operatorKubeconfig(env: Envtest): Promise<string> {
  const rendered = await kubectlOk(env, ["kustomize", CONFIG_DEFAULT]);
  const rbac = parseAllDocuments(rendered)
    .map((doc) => doc.toJS() as { kind?: string })
    .filter((doc) => RBAC_KINDS.has(doc.kind ?? ""));
  await kubectlOk(
    env,
    ["apply", "--server-side", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items: rbac }),
  );
  const token = (
    await kubectlOk(env, ["create", "token", SERVICE_ACCOUNT, "-n", OPERATOR_NAMESPACE, "--duration=24h"])
  ).trim();
  const path = join(env.dir, "operator.kubeconfig");
  await writeFile(path, kubeconfigYaml({ server: env.server, token, caPath: env.caPath }), { mode: 0o600 });
  return path;
}

export interface OperatorProcessOptions {
  kubeconfigPath: string;
  /**
   * POD_NAME: the replica's pod, which it labels when leading; its Lease identity is
   * `<podName>_<random UUID>`, new for every process.
   */
  podName?: string;
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** Resolve before the replica is ready (a standby is never ready). */
  noWait?: boolean;
  /** The port (a restarted replica keeps its URL, as a pod keeps its Service); default a free one. */
  port?: number;
}

/**
 * Starts `node operator/dist/main.js` in Kubernetes mode on a free loopback port, with short leader
 * election and health-check timings so that failover and failure tests take seconds.
 */
export async function startOperatorProcess(options: OperatorProcessOptions): Promise<RunningProcess> {
  const port = options.port ?? (await freePort());
  return startManagement({
    port,
    noWait: options.noWait ?? false,
    env: {
      KUBECONFIG: options.kubeconfigPath,
      POD_NAMESPACE: OPERATOR_NAMESPACE,
      POD_NAME: options.podName ?? "hugr-operator-0",
      OPERATOR_MANAGEMENT_URL: `http://127.0.0.1:${port}`,
      LEADER_ELECTION_LEASE_DURATION: "4s",
      LEADER_ELECTION_RENEW_DEADLINE: "3s",
      LEADER_ELECTION_RETRY_PERIOD: "500ms",
      TIMEOUT: "2s",
      CHECK: "1s",
      ...options.env,
    },
  });
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}
interface Container {
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
}

/** A worker "pod": its name and loopback address (127.0.0.N stands in for the pod IP). */
export interface FakePod {
  name: string;
  ip: string;
}

/**
 * The environment the kubelet would give the worker container of Deployment `namespace/name`:
 * envFrom ConfigMaps and Secrets, then env with the downward API (pod name, pod IP) and $(VAR)
 * references expanded. BIND's empty host (every interface of the pod) becomes the pod's address.
 */
export async function renderedWorkerEnv(
  env: Envtest,
  deployment: { namespace: string; name: string },
  pod: FakePod,
): Promise<Record<string, string>> {
  const object = await getJson<V1Deployment>(env, [
    "deployment",
    deployment.name,
    "-n",
    deployment.namespace,
  ]);
  if (!object) throw new Error(`no Deployment ${deployment.namespace}/${deployment.name}`);
  const container: Container = (object.spec?.template.spec?.containers as Container[] | undefined)?.[0] ?? {};
  const values: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    Object.assign(values, await sourceData(env, deployment.namespace, source));
  }
  for (const variable of container.env ?? []) {
    values[variable.name] = await envValue(env, deployment.namespace, variable, { pod, values });
  }
  if (values["BIND"]?.startsWith(":")) values["BIND"] = `${pod.ip}${values["BIND"]}`;
  return values;
}

async function sourceData(
  env: Envtest,
  namespace: string,
  source: NonNullable<Container["envFrom"]>[number],
): Promise<Record<string, string>> {
  if (source.configMapRef) {
    return (
      (await getJson<V1ConfigMap>(env, ["configmap", source.configMapRef.name, "-n", namespace]))?.data ?? {}
    );
  }
  if (source.secretRef) return secretData(env, namespace, source.secretRef.name);
  return {};
}

/** A Secret's data, decoded. */
export async function secretData(
  env: Envtest,
  namespace: string,
  name: string,
): Promise<Record<string, string>> {
  const secret = await getJson<V1Secret>(env, ["secret", name, "-n", namespace]);
  const data = secret?.data ?? {};
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

async function envValue(
  env: Envtest,
  namespace: string,
  variable: EnvVar,
  context: { pod: FakePod; values: Record<string, string> },
): Promise<string> {
  const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
  if (fieldPath === "metadata.name") return context.pod.name;
  if (fieldPath === "status.podIP") return context.pod.ip;
  if (fieldPath === "metadata.namespace") return namespace;
  const secretRef = variable.valueFrom?.secretKeyRef;
  if (secretRef) return (await secretData(env, namespace, secretRef.name))[secretRef.key] ?? "";
  // $(VAR) refers to a variable defined earlier, as the kubelet expands it.
  return (variable.value ?? "").replace(
    /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
    (all, name: string) => context.values[name] ?? all,
  );
}

/** `kubectl apply --server-side` of `object` (JSON), as `fieldManager` (default "kubectl"). */
export function applyObject(env: Envtest, object: unknown, fieldManager = "kubectl"): Promise<string> {
  return kubectlOk(
    env,
    ["apply", "--server-side", `--field-manager=${fieldManager}`, "-f", "-"],
    JSON.stringify(object),
  );
}

/**
 * The HugrCluster the operator suites start from (`replicas` workers, a stand-in image, the core
 * database of createNamespaceWithCoreDb), applied; once its Deployment exists, one work node per
 * fake pod, started in this process with the Deployment's rendered environment and added to
 * `workers` as it starts (so that a suite's teardown stops those started before a failure).
 */
export async function applyClusterWithWorkers(
  env: Envtest,
  cluster: { namespace: string; name: string },
  pods: readonly FakePod[],
  workers: Map<string, RunningProcess>,
): Promise<void> {
  await applyObject(env, {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrCluster",
    metadata: cluster,
    spec: {
      image: "ghcr.io/example/hugr-worker:1.0.0",
      replicas: pods.length,
      coreDB: { urlSecretRef: { name: "hugr-db", key: "url" } },
    },
  });
  await waitForValue("the Deployment", () =>
    getJson(env, ["deployment", cluster.name, "-n", cluster.namespace]),
  );
  for (const pod of pods) workers.set(pod.name, await startRenderedWorker(env, cluster, pod));
}

/** Starts a work node with the rendered environment of its cluster's Deployment. */
export async function startRenderedWorker(
  env: Envtest,
  deployment: { namespace: string; name: string },
  pod: FakePod,
  options: { noWait?: boolean } = {},
): Promise<RunningProcess> {
  const workerEnv = await renderedWorkerEnv(env, deployment, pod);
  const port = Number(workerEnv["BIND"]?.split(":").pop());
  const running = await startWorker(pod.name, {
    env: { ...workerEnv, HUGR_DATA_DIR: join(env.dir, pod.name) },
    port,
    noWait: true,
  });
  const url = `http://${pod.ip}:${port}`;
  if (!options.noWait) await waitReady(url, running);
  return { ...running, url };
}

async function waitReady(url: string, running: RunningProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null)
      throw new Error(`${running.name} exited with ${running.child.exitCode}:\n${running.output()}`);
    if (
      await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${running.name}: ${url}/ready not ready within ${timeoutMs} ms:\n${running.output()}`);
}
