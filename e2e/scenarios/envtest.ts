/**
 * The scenarios' environment on our machines, where no container runs: a real kube-apiserver and etcd
 * (envtest), the operator as a process under its own ServiceAccount and RBAC, a private PostgreSQL (the
 * core database, and the database `analytics` of the data sources: events-source.ts), and
 * the HugrCluster's work nodes as processes started with the environment its rendered pod template
 * gives them. The harness plays the kubelet: it starts the "pods" and reports the Deployment ready.
 */
import { eventually, graphql, type RunningProcess } from "../harness/processes.js";
import { startEnvtest, type Envtest } from "../../operator/test/harness/envtest.js";
import {
  kubectlOk,
  operatorKubeconfig,
  startOperatorProcess,
  startRenderedWorker,
  createNamespaceWithCoreDb,
} from "../../operator/test/harness/operator.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import { AUTH_SECRET, AUTH_SECRET_KEY, CLUSTER_AUTH, newSecretKey, SECRET_KEY_HEADER } from "./auth.js";
import type { ScenarioDriver } from "./driver.js";
import { createEventsDatabase } from "./events-source.js";

export const ENVTEST_NAMESPACE = "hugr-e2e";
export const ENVTEST_CLUSTER = "demo";
export const ENVTEST_REPLICAS = 2;
/** The workers' image: no kubelet pulls it here, the harness runs worker/dist instead. */
const IMAGE = "hugr-worker:e2e";

export interface ScenarioEnvironment {
  driver: ScenarioDriver;
  stop(): Promise<void>;
}

/** Starts everything and resolves once the HugrCluster's work nodes run and the Deployment is ready. */
export async function startScenarioEnvironment(
  options: { timeoutMs?: number } = {},
): Promise<ScenarioEnvironment> {
  const processes: RunningProcess[] = [];
  let env: Envtest | undefined;
  let pg: PostgresInstance | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    await Promise.all([env?.stop(), pg?.stop()]);
  };
  try {
    [env, pg] = await Promise.all([startEnvtest(), startPostgres()]);
    const dataSourcePath = await createEventsDatabase(pg, "analytics");
    await env.applyCrds();
    const operator = await startOperatorProcess({ kubeconfigPath: await operatorKubeconfig(env) });
    processes.push(operator);
    const secretKey = newSecretKey();
    await createCluster(env, pg.url, secretKey);
    const workers = await startWorkers(env);
    processes.push(...workers);
    await reportDeploymentReady(env);
    const byName = new Map(workers.map((w) => [w.name, w]));
    const admin = { [SECRET_KEY_HEADER]: secretKey };
    const driver: ScenarioDriver = {
      kubectl: (args, input) => env!.kubectl(args, input),
      graphql: async (query, variables, request = {}) => {
        const node = request.node === undefined ? workers[0] : byName.get(request.node);
        if (!node) throw new Error(`no work node ${request.node}`);
        const { status, body } = await graphql(node.url, query, variables, request.headers ?? admin);
        return { ...body, status };
      },
      namespace: ENVTEST_NAMESPACE,
      clusterName: ENVTEST_CLUSTER,
      replicas: ENVTEST_REPLICAS,
      dataSourcePath,
      timeoutMs: options.timeoutMs ?? 30_000,
      eventually,
      logs: () => Promise.resolve(processes.map((p) => p.output()).join("\n")),
    };
    return { driver, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The namespace, its Secrets (the core database's URL; the admin's secret key, labelled for reload
 * so that a change reaches the cluster at once) and the HugrCluster with authentication on.
 */
async function createCluster(env: Envtest, coreDbUrl: string, secretKey: string): Promise<void> {
  await createNamespaceWithCoreDb(env, ENVTEST_NAMESPACE, coreDbUrl);
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: AUTH_SECRET, namespace: ENVTEST_NAMESPACE, labels: { "hugr.io/reload": "true" } },
    stringData: { [AUTH_SECRET_KEY]: secretKey },
  };
  // Through standard input: a secret in kubectl's arguments would show in the process list.
  await kubectlOk(env, ["create", "-f", "-"], JSON.stringify(secret));
  const cluster = {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrCluster",
    metadata: { name: ENVTEST_CLUSTER, namespace: ENVTEST_NAMESPACE },
    spec: {
      image: IMAGE,
      replicas: ENVTEST_REPLICAS,
      coreDB: { urlSecretRef: { name: "hugr-db", key: "url" } },
      auth: CLUSTER_AUTH,
    },
  };
  await kubectlOk(env, ["apply", "--server-side", "-f", "-"], JSON.stringify(cluster));
  await eventually(
    async () =>
      (await env.kubectl(["get", "deployment", ENVTEST_CLUSTER, "-n", ENVTEST_NAMESPACE])).code === 0,
    30_000,
    "the HugrCluster's Deployment",
  );
}

/**
 * The "pods": one work node per replica, on its own loopback address (the pod IP), 127.0.0.61 and up:
 * away from the addresses of the other suites, so that they can run at the same time.
 */
async function startWorkers(env: Envtest): Promise<RunningProcess[]> {
  const deployment = { namespace: ENVTEST_NAMESPACE, name: ENVTEST_CLUSTER };
  return Promise.all(
    Array.from({ length: ENVTEST_REPLICAS }, (_, i) =>
      startRenderedWorker(env, deployment, { name: `${ENVTEST_CLUSTER}-pod-${i}`, ip: `127.0.0.${61 + i}` }),
    ),
  );
}

/** What the Deployment controller and the kubelet would report once the pods are ready. */
async function reportDeploymentReady(env: Envtest): Promise<void> {
  const generation = (
    await kubectlOk(env, [
      "get",
      "deployment",
      ENVTEST_CLUSTER,
      "-n",
      ENVTEST_NAMESPACE,
      "-o",
      "jsonpath={.metadata.generation}",
    ])
  ).trim();
  const replicas = ENVTEST_REPLICAS;
  const status = {
    observedGeneration: Number(generation),
    replicas,
    readyReplicas: replicas,
    updatedReplicas: replicas,
    availableReplicas: replicas,
  };
  await kubectlOk(env, [
    "patch",
    "deployment",
    ENVTEST_CLUSTER,
    "-n",
    ENVTEST_NAMESPACE,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status }),
  ]);
}
