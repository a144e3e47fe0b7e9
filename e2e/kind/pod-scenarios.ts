/**
 * The scenarios only real pods can show, run by the kind suite after the shared ones (e2e/scenarios):
 * probes, the Deployment controller, the Service spreading traffic over ready pods, preStop and SIGTERM,
 * the HorizontalPodAutoscaler on metrics-server, rollouts within the PodDisruptionBudget, the query
 * cache shared through Redis, killed processes and pods, a lost operator leader, a restarted PostgreSQL,
 * and what the cluster shows of its secrets. Every load goes through the workers' Service from a pod in
 * the cluster (load/load-generator.ts) and is bounded in requests and seconds.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { CLUSTER_NODES_VIEW } from "../cluster/reference-cluster-queries.js";
import { AUTH_SECRET, AUTH_SECRET_KEY } from "../scenarios/auth.js";
import type { Scenario, ScenarioDriver } from "../scenarios/driver.js";
import { EVENTS_ROWS, eventsIn, eventsQuery } from "../scenarios/events-source.js";
import { analyticsDataSource, ANALYTICS } from "../scenarios/scenarios.js";
import {
  apply,
  deleteResource,
  getResource,
  gql,
  isReady,
  kubectlOk,
  waitFor,
  type Resource,
} from "../scenarios/steps.js";
import type { LoadSummary } from "./load/load-generator.js";

/** What the pod scenarios need beyond the shared driver. */
export interface PodScenarioDriver extends ScenarioDriver {
  /** The operator's namespace (its pods, Lease and Events). */
  operatorNamespace: string;
  /** Sends SIGKILL to the main process of a pod's container, from its node (as the OOM killer would). */
  killContainerProcess(namespace: string, pod: string, container: string): Promise<void>;
  /** Records a measured time for docs/benchmarks.md (printed in the summary). */
  measure(what: string, ms: number): void;
}

/** The operator's TIMEOUT and CHECK as e2e/kind/run.sh installs the chart (its defaults). */
const OPERATOR_TIMEOUT_MS = 30_000;
const OPERATOR_CHECK_MS = 60_000;
/** The chart's leader election lease duration and retry period. */
const LEASE_DURATION_MS = 15_000;
const RETRY_PERIOD_MS = 2_000;
const WORKER_CONTAINER = "worker";
const OPERATOR_CONTAINER = "operator";
const LOAD_CONFIG_MAP = "e2e-load-generator";
const LOAD_SCRIPT = new URL("./load/load-generator.ts", import.meta.url);
const WORKER_PORT = 15000;
/** The Deployment, Service and Secret of the workers' L2 cache that e2e/kind/run.sh creates. */
const REDIS = "redis";
/** The connection name of a worker's invalidation subscription (worker/src/cache/redis.ts). */
const CACHE_BUS_CONNECTION = "hugr-cache-bus";

interface PodStatus {
  phase?: string;
  podIP?: string;
  conditions?: { type: string; status: string }[];
  containerStatuses?: { name: string; ready: boolean; restartCount: number; containerID?: string }[];
}
type Pod = Resource<
  { containers: { name: string; securityContext?: Record<string, unknown> }[] },
  PodStatus
> & {
  metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { securityContext?: Record<string, unknown> };
};
interface DeploymentStatus {
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
}
type Deployment = Resource<{ replicas?: number }, DeploymentStatus>;
interface ClusterSpec {
  image: string;
  replicas?: number;
  env?: { name: string; value?: string }[];
  autoscaling?: Record<string, unknown>;
}
type HugrCluster = Resource<
  ClusterSpec,
  { registeredNodes?: number; nodes?: { name: string; ready: boolean }[] }
>;
interface HpaStatus {
  currentReplicas?: number;
  desiredReplicas?: number;
  currentMetrics?: unknown[];
}
type Hpa = Resource<unknown, HpaStatus>;
interface ClusterNode {
  name: string;
  url: string;
  ready: boolean;
}

function workerSelector(driver: ScenarioDriver): string {
  return `app.kubernetes.io/instance=${driver.clusterName},app.kubernetes.io/name=hugr-worker`;
}

async function listPods(driver: ScenarioDriver, namespace: string, selector: string): Promise<Pod[]> {
  const out = await kubectlOk(driver, ["get", "pods", "-n", namespace, "-l", selector, "-o", "json"]);
  return (JSON.parse(out) as { items: Pod[] }).items;
}

/** The worker pods that are not being deleted. */
async function workerPods(driver: ScenarioDriver): Promise<Pod[]> {
  const pods = await listPods(driver, driver.namespace, workerSelector(driver));
  return pods.filter((p) => !p.metadata.deletionTimestamp);
}

function podReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

async function clusterNodes(driver: ScenarioDriver): Promise<ClusterNode[]> {
  const data = await gql<{ core: { cluster: { cluster_nodes: ClusterNode[] } } }>(driver, CLUSTER_NODES_VIEW);
  return data.core.cluster.cluster_nodes;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

/**
 * The cluster at `replicas` and settled: that many worker pods, all Ready through their probes, the
 * HugrCluster Ready with exactly them registered, and `core.cluster.cluster_nodes` listing exactly
 * them, each with its pod's address. Resolves with the pods.
 */
async function converged(
  driver: ScenarioDriver,
  replicas: number,
  timeoutMs = driver.timeoutMs,
): Promise<Pod[]> {
  let pods: Pod[] = [];
  await waitFor(
    driver,
    `${replicas} worker pods Ready, registered and listed in cluster_nodes`,
    async () => {
      pods = await workerPods(driver);
      const hc = await getResource<HugrCluster>(driver, "hc", driver.clusterName);
      const nodes = await clusterNodes(driver);
      return { pods: pods.map((p) => [p.metadata.name, podReady(p), p.status?.podIP]), hc, nodes };
    },
    ({ hc, nodes }) =>
      pods.length === replicas &&
      pods.every(podReady) &&
      hc !== undefined &&
      isReady(hc) &&
      hc.status?.registeredNodes === replicas &&
      sameNames(
        nodes.map((n) => n.name),
        pods.map((p) => p.metadata.name),
      ) &&
      nodes.every((n) => n.ready && pods.some((p) => n.url === `http://${p.status?.podIP}:15000`)),
    timeoutMs,
  );
  return pods;
}

async function hugrCluster(driver: ScenarioDriver): Promise<HugrCluster> {
  const hc = await getResource<HugrCluster>(driver, "hc", driver.clusterName);
  assert.ok(hc, `HugrCluster ${driver.clusterName} not found`);
  return hc;
}

/** `kubectl scale hc <cluster> --replicas=N`, as a user scales it. */
async function scaleCluster(driver: ScenarioDriver, replicas: number): Promise<void> {
  await kubectlOk(driver, [
    "scale",
    "hc",
    driver.clusterName,
    "-n",
    driver.namespace,
    `--replicas=${replicas}`,
  ]);
}

async function patchCluster(driver: ScenarioDriver, patch: object): Promise<void> {
  await kubectlOk(driver, [
    "patch",
    "hc",
    driver.clusterName,
    "-n",
    driver.namespace,
    "--type=merge",
    "-p",
    JSON.stringify(patch),
  ]);
}

/** A bounded load through the workers' Service, from a pod of the worker image; see load-generator.ts. */
interface Load {
  name: string;
  /**
   * Waits for the load to end (ends it at once with `stop`: SIGTERM, which it answers by finishing the
   * requests in flight); resolves with its summary and removes its pod.
   */
  result(options?: { stop: boolean }): Promise<LoadSummary>;
  /** Removes the load's pod if it is still there (a scenario that failed before its result). */
  discard(): Promise<void>;
}

async function startLoad(
  driver: ScenarioDriver,
  options: { query: string; rate: number; durationS: number; cpu?: string },
): Promise<Load> {
  const hc = await hugrCluster(driver);
  await apply(driver, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: LOAD_CONFIG_MAP, namespace: driver.namespace },
    data: { "load-generator.ts": await readFile(LOAD_SCRIPT, "utf8") },
  });
  const name = `e2e-load-${randomBytes(3).toString("hex")}`;
  await apply(driver, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: driver.namespace, labels: { "app.kubernetes.io/name": "e2e-load" } },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "load",
          image: hc.spec.image,
          imagePullPolicy: "IfNotPresent",
          command: ["node", "/load/load-generator.ts"],
          env: [
            { name: "TARGET_URL", value: `http://${driver.clusterName}:15000/graphql` },
            { name: "QUERY", value: options.query },
            { name: "RATE", value: String(options.rate) },
            { name: "DURATION_S", value: String(options.durationS) },
            // The cluster's admin, as the scenarios' own requests: from the Secret, never in the spec.
            {
              name: "HUGR_SECRET_KEY",
              valueFrom: { secretKeyRef: { name: AUTH_SECRET, key: AUTH_SECRET_KEY } },
            },
          ],
          resources: { requests: { cpu: options.cpu ?? "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
          volumeMounts: [{ name: "script", mountPath: "/load", readOnly: true }],
        },
      ],
      volumes: [{ name: "script", configMap: { name: LOAD_CONFIG_MAP } }],
    },
  });
  driver.log?.(
    `  load ${name}: ${options.rate} requests/s for ${options.durationS} s through svc/${driver.clusterName}`,
  );
  const discard = (): Promise<void> => deleteResource(driver, "pod", name);
  return {
    name,
    discard,
    async result({ stop } = { stop: false }): Promise<LoadSummary> {
      try {
        if (stop) {
          // pid 1 of its container is the generator, which handles SIGTERM.
          await driver.kubectl(["exec", "-n", driver.namespace, name, "--", "sh", "-c", "kill -TERM 1"]);
        }
        await waitFor(
          driver,
          `load ${name} finished`,
          () => getResource<Pod>(driver, "pod", name),
          (pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed",
          (options.durationS + 120) * 1000,
        );
        const logs = await kubectlOk(driver, ["logs", "-n", driver.namespace, name]);
        const line = logs.split("\n").find((l) => l.startsWith("LOAD-SUMMARY "));
        assert.ok(line, `load ${name} printed no summary:\n${logs.slice(-2000)}`);
        const summary = JSON.parse(line.slice("LOAD-SUMMARY ".length)) as LoadSummary;
        driver.log?.(
          `  load ${name}: ${summary.ok}/${summary.sent} ok, ${summary.failed} failed, p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms`,
        );
        return summary;
      } finally {
        await discard();
      }
    },
  };
}

function assertNoFailures(summary: LoadSummary, during: string): void {
  assert.equal(summary.sent, summary.ok + summary.failed, "every request answered or failed");
  assert.equal(
    summary.failed,
    0,
    `${summary.failed} requests failed during ${during}: ${summary.failures.join("\n")}`,
  );
}

const CORE_QUERY = "{ core { data_sources { name } } }";

/** 1. Real pods: probes, registration, the registry, and GraphQL through the Service from inside the cluster. */
const workersOnPods: Scenario = {
  name: "worker pods are Ready through their probes, registered, and exactly the pods in cluster_nodes",
  async run(driver) {
    const pods = await converged(driver, driver.replicas);
    for (const pod of pods) {
      const worker = pod.status?.containerStatuses?.find((c) => c.name === WORKER_CONTAINER);
      assert.ok(worker?.ready, `${pod.metadata.name}: container ${WORKER_CONTAINER} not ready`);
    }
    const load = await startLoad(driver, { query: CLUSTER_NODES_VIEW, rate: 5, durationS: 4 });
    assertNoFailures(await load.result(), "the reference's cluster_nodes query through the Service");
  },
};

/** redis-cli in the Redis pod, authenticated by the pod's REDISCLI_AUTH: the password never passes here. */
async function redisCli(driver: ScenarioDriver, ...args: string[]): Promise<string> {
  const out = await kubectlOk(driver, [
    "exec",
    "-n",
    driver.namespace,
    `deploy/${REDIS}`,
    "--",
    "redis-cli",
    ...args,
  ]);
  return out.trim();
}

/** How many cached results carrying a tag Redis holds: the members of the tag's set that exist. */
const STORED_WITH_TAG = `local n = 0
for _, tag in ipairs(redis.call('KEYS', ARGV[1])) do
  for _, key in ipairs(redis.call('ZRANGE', tag, 0, -1)) do n = n + redis.call('EXISTS', key) end
end
return n`;

async function storedWithTag(driver: ScenarioDriver, tag: string): Promise<number> {
  return Number(await redisCli(driver, "eval", STORED_WITH_TAG, "0", `hugr:*:t:${tag}`));
}

/** The pod IPs with a worker's invalidation subscription open on Redis. */
async function cacheSubscribers(driver: ScenarioDriver): Promise<string[]> {
  return (await redisCli(driver, "client", "list"))
    .split("\n")
    .filter((line) => line.includes(` name=${CACHE_BUS_CONNECTION} `) && / sub=[1-9]/.test(line))
    .map((line) => / addr=([\d.]+):\d+ /.exec(line)?.[1] ?? line);
}

/** SQL on the analytics database, in the PostgreSQL pod: a change the engine does not see. */
async function behindTheEngine(driver: ScenarioDriver, sql: string): Promise<void> {
  await kubectlOk(driver, [
    "exec",
    "-n",
    driver.namespace,
    "deploy/postgres",
    "--",
    "psql",
    "-v",
    "ON_ERROR_STOP=1",
    "--username=analytics",
    "--dbname=analytics",
    "--command",
    sql,
  ]);
}

/** The sum of a metric's samples with these labels on a worker pod's /metrics (through the API server). */
async function podMetric(
  driver: ScenarioDriver,
  pod: string,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const path = `/api/v1/namespaces/${driver.namespace}/pods/${pod}:${WORKER_PORT}/proxy/metrics`;
  let sum = 0;
  for (const line of (await kubectlOk(driver, ["get", "--raw", path])).split("\n")) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (sample?.[1] !== name) continue;
    const own = new Map([...(sample[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([label, value]) => own.get(label) === value)) sum += Number(sample[3]);
  }
  return sum;
}

/**
 * 2. The query cache on real pods: L1 in each worker, L2 on the Redis of e2e/kind/run.sh (requirepass,
 * the password from a Secret). A row changed behind the engine tells a cached answer (the old row) from
 * a database read (the new one).
 */
function sharedCache(driver: PodScenarioDriver): Scenario {
  const first = EVENTS_ROWS[0]!;
  const rename = (name: string): Promise<void> =>
    behindTheEngine(driver, `UPDATE events SET name = '${name}' WHERE id = ${first.id}`);
  /** The L2 errors of the pods so far: a Redis command slower than the workers' timeout counts one. */
  const l2Errors = async (pods: readonly string[]): Promise<number> =>
    (await Promise.all(pods.map((pod) => podMetric(driver, pod, "hugr_cache_l2_errors_total", {})))).reduce(
      (a, b) => a + b,
      0,
    );

  /** Loaded on `loader`, served by `reader` from L2, then dropped on both by a write and by invalidate. */
  async function sharedAndDropped(loader: string, reader: string): Promise<void> {
    // A tag of its own: nothing an earlier attempt or run cached answers this query.
    const tag = `e2e-l2-${randomBytes(4).toString("hex")}`;
    const query = `{ an_events(filter: { id: { eq: ${first.id} } }) @cache(ttl: 600, tags: ["${tag}"]) { id name } }`;
    const nameOn = async (pod: string): Promise<string | undefined> =>
      (await gql<{ an_events: { name: string }[] }>(driver, query, undefined, { node: pod })).an_events[0]
        ?.name;
    const stored = (count: number): Promise<number> =>
      waitFor(
        driver,
        `${count} result(s) tagged ${tag} in Redis`,
        () => storedWithTag(driver, tag),
        (n) => n === count,
      );

    assert.equal(await nameOn(loader), first.name, "read from the database");
    // The loading pod writes the result to Redis after answering.
    await stored(1);
    await rename("changed behind the engine");
    const l2Hits = await podMetric(driver, reader, "hugr_cache_hits_total", { level: "l2" });
    assert.equal(await nameOn(loader), first.name, `${loader} answers from its L1`);
    assert.equal(await nameOn(reader), first.name, `${reader}, which never asked, answers from L2`);
    assert.ok(
      (await podMetric(driver, reader, "hugr_cache_hits_total", { level: "l2" })) > l2Hits,
      `${reader} counted an L2 hit`,
    );

    // A write through the engine on one pod: dropped from Redis before it is answered, from the other
    // pod's L1 when the writer's message arrives over Redis pub/sub (well within the TTL).
    const written = "written through GraphQL";
    const update = await gql<{ update_an_events: { affected_rows: number } }>(
      driver,
      `mutation { update_an_events(filter: { id: { eq: ${first.id} } }, data: { name: "${written}" }) { affected_rows } }`,
      undefined,
      { node: loader },
    );
    assert.equal(update.update_an_events.affected_rows, 1);
    assert.equal(await storedWithTag(driver, tag), 0, "the result left in Redis after the write");
    assert.equal(await nameOn(loader), written, `${loader} read its own write`);
    await waitFor(
      driver,
      `${reader} to drop its L1 copy`,
      () => nameOn(reader),
      (name) => name === written,
    );

    // The invalidate function on the other pod drops the tag on every pod.
    await stored(1);
    const again = "changed behind the engine again";
    await rename(again);
    assert.equal(await nameOn(loader), written, `${loader} answers from its cache`);
    const invalidated = await gql<{
      function: { core: { cache: { invalidate: { success: boolean; message: string } } } };
    }>(
      driver,
      "query ($tags: [String!]) { function { core { cache { invalidate(tags: $tags) { success message } } } } }",
      { tags: [tag] },
      { node: reader },
    );
    assert.equal(invalidated.function.core.cache.invalidate.success, true);
    assert.equal(await storedWithTag(driver, tag), 0, "the result left in Redis after invalidate");
    assert.equal(await nameOn(reader), again);
    await waitFor(
      driver,
      `${loader} to drop its L1 copy`,
      () => nameOn(loader),
      (name) => name === again,
    );
  }

  /**
   * An L2 operation that fails (a Redis command slower than the workers' 500 ms timeout, on a machine
   * busy enough) is skipped by design (docs/cache.md, Faults): a failure with L2 errors counted on the
   * pods meanwhile, and only such a one, is tried again (three times in all), with the row put back.
   */
  async function despiteL2Faults(pods: readonly string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const errors = await l2Errors(pods);
      try {
        return await sharedAndDropped(pods[0]!, pods[1]!);
      } catch (error) {
        const faults = (await l2Errors(pods)) - errors;
        if (faults === 0 || attempt === 3) throw error;
        driver.log?.(`  attempt ${attempt}: ${faults} L2 error(s) on the pods meanwhile; once more`);
        await rename(first.name);
      }
    }
  }

  return {
    name: "cache: an answer one pod loaded is served by another from Redis (L2), a write and invalidate drop it on every pod, the Redis password shows nowhere",
    async run() {
      const pods = await converged(driver, driver.replicas);
      assert.ok(pods.length >= 2, "two worker pods");
      await waitFor(
        driver,
        "every worker pod subscribed to the cache invalidations on Redis",
        () => cacheSubscribers(driver),
        (ips) => pods.every((p) => ips.includes(p.status?.podIP ?? "")),
      );
      const names = pods.map((p) => p.metadata.name);
      await apply(driver, analyticsDataSource(driver));
      try {
        await waitFor(
          driver,
          `HugrDataSource ${ANALYTICS} loaded on every pod`,
          () => getResource<Resource<unknown, { loaded?: number }>>(driver, "hds", ANALYTICS),
          (hds) => isReady(hds) && hds.status?.loaded === driver.replicas,
        );
        await despiteL2Faults(names);

        const noAuth = await driver.kubectl([
          "exec",
          "-n",
          driver.namespace,
          `deploy/${REDIS}`,
          "--",
          "env",
          "-u",
          "REDISCLI_AUTH",
          "redis-cli",
          "ping",
        ]);
        assert.match(noAuth.stdout + noAuth.stderr, /NOAUTH/, "Redis answers a client without the password");
        await assertShownNowhere(driver, [
          ["the Redis password", await secretValue(driver, driver.namespace, REDIS, "password")],
        ]);
      } finally {
        await rename(first.name);
        await deleteResource(driver, "hds", ANALYTICS);
      }
    },
  };
}

/** 3. kubectl scale up and down while a steady load goes through the Service. */
function scaleUnderLoad(driver: PodScenarioDriver): Scenario {
  return {
    name: "kubectl scale hc up and down: pods register and deregister with no failed request through the Service",
    async run() {
      await converged(driver, driver.replicas);
      const load = await startLoad(driver, { query: CORE_QUERY, rate: 10, durationS: 150 });
      const scale = async (replicas: number): Promise<void> => {
        const begin = Date.now();
        await scaleCluster(driver, replicas);
        await converged(driver, replicas);
        driver.measure(`kubectl scale to ${replicas}: converged`, Date.now() - begin);
      };
      try {
        await scale(driver.replicas + 1);
        await scale(1);
        await scale(driver.replicas);
        assertNoFailures(await load.result({ stop: true }), "scaling up and down");
      } finally {
        await load.discard();
        // Back to the size the next scenarios expect, also after a failure (they wait to converge).
        await scaleCluster(driver, driver.replicas);
      }
    },
  };
}

/** 4. The real HPA, fed by metrics-server, scales the workers under a CPU load and back. */
function autoscaling(driver: PodScenarioDriver): Scenario {
  const hpaName = driver.clusterName;
  const readHpa = (): Promise<Hpa | undefined> => getResource<Hpa>(driver, "hpa", hpaName);
  const readDeployment = (): Promise<Deployment | undefined> =>
    getResource<Deployment>(driver, "deployment", driver.clusterName);
  return {
    name: "autoscaling: the HPA adds pods under load, they register and serve, and it scales back down",
    async run() {
      const min = driver.replicas;
      const max = driver.replicas + 2;
      await converged(driver, min);
      await patchCluster(driver, {
        spec: {
          autoscaling: {
            enabled: true,
            minReplicas: min,
            maxReplicas: max,
            targetCPUUtilizationPercentage: 50,
            behavior: {
              scaleUp: { stabilizationWindowSeconds: 0 },
              scaleDown: {
                stabilizationWindowSeconds: 15,
                policies: [{ type: "Percent", value: 100, periodSeconds: 5 }],
              },
            },
          },
        },
      });
      let load: Load | undefined;
      try {
        await waitFor(
          driver,
          "the HPA reads the workers' CPU from metrics-server",
          readHpa,
          (hpa) => (hpa.status?.currentMetrics?.length ?? 0) > 0,
          180_000,
        );
        const began = Date.now();
        load = await startLoad(driver, { query: CORE_QUERY, rate: 60, durationS: 120, cpu: "100m" });
        let lowestSeen = Number.MAX_SAFE_INTEGER;
        const scaledUp = await waitFor(
          driver,
          `the HPA scales the workers above ${min}`,
          async () => ({ replicas: (await readDeployment())?.spec.replicas ?? 0 }),
          ({ replicas }) => replicas > min,
          180_000,
        );
        driver.measure("autoscaling: load start -> HPA scales up", Date.now() - began);
        const target = scaledUp.replicas;
        await waitFor(
          driver,
          `${target} worker pods Ready`,
          async () => {
            const deployment = await readDeployment();
            // The operator must never set the replicas back while the HPA owns them.
            lowestSeen = Math.min(lowestSeen, deployment?.spec.replicas ?? 0);
            return (await workerPods(driver)).filter(podReady).length;
          },
          (ready) => ready >= target,
          180_000,
        );
        driver.measure("autoscaling: load start -> new pods Ready", Date.now() - began);
        await waitFor(
          driver,
          `${target} nodes registered and serving`,
          async () => {
            const nodes = await clusterNodes(driver);
            const hc = await getResource<HugrCluster>(driver, "hc", driver.clusterName);
            return { nodes, registered: hc?.status?.registeredNodes ?? 0 };
          },
          ({ nodes, registered }) => registered >= target && nodes.filter((n) => n.ready).length >= target,
          180_000,
        );
        driver.measure("autoscaling: load start -> new pods registered and serving", Date.now() - began);
        assert.ok(
          lowestSeen >= target,
          `the Deployment's replicas went back to ${lowestSeen} while the HPA wanted ${target}`,
        );
        const summary = await load.result({ stop: true });
        assertNoFailures(summary, "the autoscaling load");
        const ended = Date.now();
        await waitFor(
          driver,
          `the HPA scales back to ${min} after the load`,
          async () => (await readDeployment())?.spec.replicas ?? 0,
          (replicas) => replicas === min,
          300_000,
        );
        driver.measure("autoscaling: load end -> HPA scales back down", Date.now() - ended);
        await converged(driver, min, 180_000);
      } finally {
        await load?.discard();
        await patchCluster(driver, { spec: { autoscaling: { enabled: false }, replicas: driver.replicas } });
        await converged(driver, driver.replicas, 180_000);
      }
    },
  };
}

/**
 * Waits for a rollout of the workers to finish while checking it never has fewer Ready pods than
 * replicas (maxUnavailable 0, within the PodDisruptionBudget), and that every pod is new.
 */
async function rolledOut(driver: ScenarioDriver, before: readonly string[]): Promise<void> {
  let fewestReady = Number.MAX_SAFE_INTEGER;
  await waitFor(
    driver,
    "the workers rolled onto the new pod template",
    async () => {
      const pods = await workerPods(driver);
      fewestReady = Math.min(fewestReady, pods.filter(podReady).length);
      return pods;
    },
    (pods) =>
      pods.length === driver.replicas && pods.every((p) => podReady(p) && !before.includes(p.metadata.name)),
    240_000,
  );
  assert.ok(fewestReady >= driver.replicas, `only ${fewestReady} ready workers during the rollout`);
  await converged(driver, driver.replicas);
}

/** 5. A change to the HugrCluster, then a rotated reload-labelled Secret, each roll the pods safely. */
const rollingChange: Scenario = {
  name: "rolling change: an env value and a rotated Secret roll the pods one at a time, every source loaded before Ready",
  async run(driver) {
    await apply(driver, analyticsDataSource(driver));
    await waitFor(
      driver,
      `HugrDataSource ${ANALYTICS} Ready`,
      () => getResource(driver, "hds", ANALYTICS),
      isReady,
    );
    const where = { field: "an_events" };
    assert.deepEqual(eventsIn(await gql(driver, eventsQuery(where)), where), EVENTS_ROWS);
    const pdb = await getResource(driver, "pdb", driver.clusterName);
    assert.ok(pdb, `the PodDisruptionBudget ${driver.clusterName} exists`);
    let load: Load | undefined;
    try {
      // Every request reads the data source: a pod Ready before it loaded the source would fail some.
      load = await startLoad(driver, { query: eventsQuery(where), rate: 10, durationS: 200 });

      const hc = await hugrCluster(driver);
      const env = (hc.spec.env ?? []).filter((e) => e.name !== "E2E_ROLL");
      let before = (await workerPods(driver)).map((p) => p.metadata.name);
      await patchCluster(driver, {
        spec: { env: [...env, { name: "E2E_ROLL", value: randomBytes(4).toString("hex") }] },
      });
      await rolledOut(driver, before);

      // The core database URL, the same database under a longer name: a rotation that keeps working.
      const secret = JSON.parse(
        await kubectlOk(driver, ["get", "secret", "hugr-db", "-n", driver.namespace, "-o", "json"]),
      ) as { data: Record<string, string>; metadata: { labels?: Record<string, string> } };
      assert.equal(
        secret.metadata.labels?.["hugr.io/reload"],
        "true",
        "the Secret hugr-db is labelled for reload",
      );
      const url = new URL(Buffer.from(secret.data["url"]!, "base64").toString());
      url.hostname = url.hostname.endsWith(".cluster.local")
        ? url.hostname.replace(/\.cluster\.local$/, "")
        : `${url.hostname}.cluster.local`;
      before = (await workerPods(driver)).map((p) => p.metadata.name);
      await kubectlOk(driver, [
        "patch",
        "secret",
        "hugr-db",
        "-n",
        driver.namespace,
        "--type=merge",
        "-p",
        JSON.stringify({ data: { url: Buffer.from(url.toString()).toString("base64") } }),
      ]);
      await rolledOut(driver, before);
      assertNoFailures(await load.result({ stop: true }), "two rollouts");
    } finally {
      await load?.discard();
      await deleteResource(driver, "hds", ANALYTICS);
    }
  },
};

/** 6a. A deleted pod and a killed worker process: the operator notices, the pod is replaced or restarted. */
function workerFaults(driver: PodScenarioDriver): Scenario {
  return {
    name: "faults: a deleted worker pod is replaced and a killed worker restarts, both registered again",
    async run() {
      const pods = await converged(driver, driver.replicas);
      const victim = pods[0]!.metadata.name;
      let begin = Date.now();
      await kubectlOk(driver, ["delete", "pod", victim, "-n", driver.namespace, "--wait=false"]);
      const after = await converged(driver, driver.replicas);
      assert.ok(!after.some((p) => p.metadata.name === victim), `${victim} still listed`);
      driver.measure("deleted worker pod -> replacement registered", Date.now() - begin);

      const target = after[0]!;
      const restarts =
        target.status?.containerStatuses?.find((c) => c.name === WORKER_CONTAINER)?.restartCount ?? 0;
      begin = Date.now();
      await driver.killContainerProcess(driver.namespace, target.metadata.name, WORKER_CONTAINER);
      await waitFor(
        driver,
        `${target.metadata.name} not ready after kill -9`,
        async () => {
          const pod = await getResource<Pod>(driver, "pod", target.metadata.name);
          const hc = await getResource<HugrCluster>(driver, "hc", driver.clusterName);
          const node = hc?.status?.nodes?.find((n) => n.name === target.metadata.name);
          const restarted =
            (pod?.status?.containerStatuses?.find((c) => c.name === WORKER_CONTAINER)?.restartCount ?? 0) >
            restarts;
          return { restarted, nodeReady: node?.ready ?? false };
        },
        // The kubelet restarts it at once; the operator may also see it down before it is back.
        ({ restarted, nodeReady }) => restarted || !nodeReady,
        OPERATOR_CHECK_MS + OPERATOR_TIMEOUT_MS,
      );
      await converged(driver, driver.replicas);
      const pod = await getResource<Pod>(driver, "pod", target.metadata.name);
      const restartCount =
        pod?.status?.containerStatuses?.find((c) => c.name === WORKER_CONTAINER)?.restartCount ?? 0;
      assert.ok(
        restartCount > restarts,
        `${target.metadata.name} was not restarted (restarts ${restartCount})`,
      );
      driver.measure("kill -9 of a worker -> restarted and registered", Date.now() - begin);
    },
  };
}

/** 6b. The leading operator crashes, then its pod is deleted: a new term each time, reconciles go on. */
function leaderLost(driver: PodScenarioDriver): Scenario {
  const ns = driver.operatorNamespace;
  const leaders = async (): Promise<string[]> =>
    (await listPods(driver, ns, "app.kubernetes.io/name=hugr-operator,hugr.io/leader=true"))
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name);
  const holder = async (): Promise<string> =>
    kubectlOk(driver, ["get", "lease", "hugr-operator", "-n", ns, "-o", "jsonpath={.spec.holderIdentity}"]);
  /** One pod labelled leader, holding a term other than `before`; resolves with the pod and the time. */
  const newTerm = async (before: string, begin: number): Promise<[string, number]> => {
    const [pod] = await waitFor(
      driver,
      "a new operator term, its pod alone labelled leader",
      async () => ((await holder()) === before ? undefined : await leaders()),
      (pods) => pods.length === 1,
      LEASE_DURATION_MS + 4 * RETRY_PERIOD_MS + driver.timeoutMs,
    );
    return [pod!, Date.now() - begin];
  };
  const reconciles = async (): Promise<void> => {
    await scaleCluster(driver, driver.replicas + 1);
    await converged(driver, driver.replicas + 1);
    await scaleCluster(driver, driver.replicas);
    await converged(driver, driver.replicas);
  };
  return {
    name: "faults: the leading operator crashes, then its pod is killed: a new leader within the lease, reconciles go on",
    async run() {
      const [crashed] = await waitFor(driver, "an operator leader", leaders, (l) => l.length === 1);
      let term = await holder();
      let begin = Date.now();
      // A crash: the Lease is not released, so the next term starts only when it expires.
      await driver.killContainerProcess(ns, crashed!, OPERATOR_CONTAINER);
      const [afterCrash, crashMs] = await newTerm(term, begin);
      driver.measure("operator leader crashed (kill -9) -> new leader", crashMs);
      driver.log?.(
        `  ${afterCrash} leads ${crashMs} ms after the crash of ${crashed} (lease ${LEASE_DURATION_MS} ms)`,
      );
      await reconciles();

      term = await holder();
      begin = Date.now();
      // The leader's pod deleted at once: the standby takes over.
      await kubectlOk(driver, ["delete", "pod", afterCrash, "-n", ns, "--grace-period=0", "--force"]);
      const [standby, deleteMs] = await newTerm(term, begin);
      assert.notEqual(standby, afterCrash, "the deleted pod still leads");
      driver.measure("operator leader pod deleted -> standby leads", deleteMs);
      await reconciles();
    },
  };
}

/** 6c. PostgreSQL stops and starts again (its data kept): workers and the operator recover. */
function postgresRestarted(driver: PodScenarioDriver): Scenario {
  return {
    name: "faults: PostgreSQL restarts and the workers and the operator recover",
    async run() {
      await converged(driver, driver.replicas);
      const [postgresPod] = await listPods(driver, driver.namespace, "app=postgres");
      assert.ok(postgresPod, "the PostgreSQL pod");
      const restarts = postgresPod.status?.containerStatuses?.[0]?.restartCount ?? 0;
      const begin = Date.now();
      // PostgreSQL is the container's main process: stopping it restarts the container, keeping its emptyDir.
      await kubectlOk(driver, [
        "exec",
        "-n",
        driver.namespace,
        postgresPod.metadata.name,
        "--",
        "pg_ctl",
        "stop",
        "--mode=immediate",
      ]).catch(() => undefined); // the exec's connection may drop as the container stops
      await waitFor(
        driver,
        "PostgreSQL restarted and Ready",
        () => getResource<Pod>(driver, "pod", postgresPod.metadata.name),
        (pod) => (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) > restarts && podReady(pod),
        180_000,
      );
      await apply(driver, analyticsDataSource(driver));
      try {
        await waitFor(
          driver,
          `HugrDataSource ${ANALYTICS} Ready after the restart`,
          () => getResource(driver, "hds", ANALYTICS),
          isReady,
        );
        const where = { field: "an_events" };
        await waitFor(
          driver,
          "the workers serve the data source again",
          async () => eventsIn(await gql(driver, eventsQuery(where)), where),
          (rows) => JSON.stringify(rows) === JSON.stringify(EVENTS_ROWS),
        );
        await converged(driver, driver.replicas);
        driver.measure("PostgreSQL restart -> cluster serving again", Date.now() - begin);
      } finally {
        await deleteResource(driver, "hds", ANALYTICS);
      }
    },
  };
}

/** A key of a Secret, decoded. */
async function secretValue(
  driver: ScenarioDriver,
  namespace: string,
  name: string,
  key: string,
): Promise<string> {
  const out = await kubectlOk(driver, [
    "get",
    "secret",
    name,
    "-n",
    namespace,
    "-o",
    `jsonpath={.data.${key}}`,
  ]);
  return Buffer.from(out, "base64").toString();
}

/**
 * Fails when a secret shows in any resource (but Secrets), in an Event, or in a log of the operator, the
 * workers or Redis.
 */
async function assertShownNowhere(
  driver: PodScenarioDriver,
  secrets: [what: string, value: string][],
): Promise<void> {
  const shown = await Promise.all([
    kubectlOk(driver, [
      "get",
      "hugrclusters,hugrdatasources,hugrobjectstorages,deployments,replicasets,pods,services,configmaps,hpa,pdb,leases",
      "-A",
      "-o",
      "yaml",
    ]),
    kubectlOk(driver, ["get", "events", "-A", "-o", "yaml"]),
    driver.logs?.() ?? Promise.resolve(""),
    kubectlOk(driver, ["logs", "-n", driver.namespace, `deploy/${REDIS}`, "--tail=-1"]),
  ]);
  const places = ["every resource", "the Events", "the operator's and the workers' logs", "Redis's log"];
  for (const [what, value] of secrets) {
    assert.ok(value.length >= 8, `${what} is read (${value.length} characters)`);
    for (const [i, where] of places.entries()) {
      assert.ok(!shown[i]!.includes(value), `${what} shows in ${where}`);
    }
  }
}

/** 7. What runs is locked down, and nothing shows a secret. */
function security(driver: PodScenarioDriver): Scenario {
  return {
    name: "security: non-root, read-only root file system, the chart's RBAC, and no secret in any resource, Event or log",
    async run() {
      const workers = await converged(driver, driver.replicas);
      const operators = await listPods(
        driver,
        driver.operatorNamespace,
        "app.kubernetes.io/name=hugr-operator",
      );
      for (const [pod, namespace] of [
        ...workers.map((p) => [p, driver.namespace] as const),
        ...operators.map((p) => [p, driver.operatorNamespace] as const),
      ]) {
        const name = pod.metadata.name;
        const uid = await kubectlOk(driver, ["exec", "-n", namespace, name, "--", "id", "-u"]);
        assert.equal(uid.trim(), "65532", `${name} runs as ${uid.trim()}`);
        const write = await driver.kubectl([
          "exec",
          "-n",
          namespace,
          name,
          "--",
          "touch",
          "/app/e2e-write-test",
        ]);
        assert.notEqual(write.code, 0, `${name}: the root file system is writable`);
        assert.match(write.stderr, /Read-only file system/, `${name}: ${write.stderr}`);
      }

      const account = `system:serviceaccount:${driver.operatorNamespace}:hugr-operator`;
      for (const forbidden of [
        ["*", "*"],
        ["create", "clusterrolebindings"],
        ["delete", "nodes"],
        ["create", "pods/exec"],
      ]) {
        const result = await driver.kubectl(["auth", "can-i", ...forbidden, "-A", `--as=${account}`]);
        assert.equal(result.stdout.trim(), "no", `the operator may ${forbidden.join(" ")}`);
      }

      const secrets: [string, string][] = [
        ["the PostgreSQL password", await secretValue(driver, driver.namespace, "postgres", "password")],
        ["the core database URL", await secretValue(driver, driver.namespace, "hugr-db", "url")],
        [
          "the cluster secret",
          await secretValue(
            driver,
            driver.namespace,
            `${driver.clusterName}-cluster-secret`,
            "cluster-secret",
          ),
        ],
        ["the admin's secret key", await secretValue(driver, driver.namespace, AUTH_SECRET, AUTH_SECRET_KEY)],
        ["the Redis password", await secretValue(driver, driver.namespace, REDIS, "password")],
      ];
      await assertShownNowhere(driver, secrets);
    },
  };
}

/** The pod scenarios, in the order the kind suite runs them after the shared ones. */
export function podScenarios(driver: PodScenarioDriver): Scenario[] {
  return [
    workersOnPods,
    sharedCache(driver),
    scaleUnderLoad(driver),
    rollingChange,
    workerFaults(driver),
    leaderLost(driver),
    postgresRestarted(driver),
    autoscaling(driver),
    security(driver),
  ];
}
