/**
 * Reads from the caches: the operator process talks to a real kube-apiserver
 * through a recording proxy, and the test checks what it asked for. Reconciles of a HugrCluster, a
 * HugrDataSource and a HugrObjectStorage GET none of the objects the operator watches (they come
 * from its informers' caches); only a Secret that no cache holds (unlabelled) is read from the API.
 * (The GraphQL mirror's wait on the watch: mirror.envtest.test.ts.)
 */
import { writeFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProcess } from "../../e2e/harness/processes.js";
import { createEventsDatabase, EVENTS_SDL } from "../../e2e/scenarios/events-source.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import type { Condition, HugrCluster, HugrDataSource, HugrObjectStorage } from "../src/api/v1alpha1/index.js";
import { kubeconfigYaml, startEnvtest, type Envtest } from "./harness/envtest.js";
import {
  applyClusterWithWorkers,
  applyObject,
  createNamespaceWithCoreDb,
  getJson,
  kubectlOk,
  operatorKubeconfig,
  startOperatorProcess,
  waitForValue,
} from "./harness/operator.js";
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from "./harness/recording-proxy.js";

const NAMESPACE = "cached";
const CLUSTER = { namespace: NAMESPACE, name: "demo" };
const POD = { name: "demo-7d4f-0", ip: "127.0.0.41" };
/** The kinds the operator watches in full or by its label, besides Secrets. */
const WATCHED = [
  "hugrclusters",
  "hugrdatasources",
  "hugrobjectstorages",
  "deployments",
  "services",
  "configmaps",
  "horizontalpodautoscalers",
  "poddisruptionbudgets",
];

let env: Envtest;
let pg: PostgresInstance;
let proxy: RecordingProxy;
let operator: RunningProcess;
const workers = new Map<string, RunningProcess>();
let eventsUrl: string;

const apply = (object: unknown): Promise<string> => applyObject(env, object);
const patch = (kind: string, name: string, body: unknown): Promise<string> =>
  kubectlOk(env, ["patch", kind, name, "-n", NAMESPACE, "--type=merge", "-p", JSON.stringify(body)]);

type Reconciled = HugrCluster | HugrDataSource | HugrObjectStorage;
const readyOf = (o: { status?: { conditions?: Condition[] } }): Condition | undefined =>
  o.status?.conditions?.find((c) => c.type === "Ready");
/** The status reports the current generation, Ready. */
const reconciled = (o: HugrDataSource | HugrObjectStorage): boolean =>
  o.status?.observedGeneration === o.metadata.generation && readyOf(o)?.status === "True";
/** The status reports the current generation and the worker (no pod is ever ready: there is no kubelet). */
const clusterReconciled = (o: HugrCluster): boolean =>
  o.status?.observedGeneration === o.metadata.generation && o.status?.registeredNodes === 1;
const read = <T extends Reconciled>(kind: string, name: string): Promise<T | undefined> =>
  getJson<T>(env, [kind, name, "-n", NAMESPACE]);

/** `GET .../namespaces/NS/<plural>/<name>[/<subresource>]`: a read of one object (not a list or a watch). */
function objectGet(request: RecordedRequest): { plural: string; name: string } | undefined {
  if (request.method !== "GET" || request.query.has("watch")) return undefined;
  const match = /\/namespaces\/[^/]+\/([^/]+)\/([^/]+)(?:\/[^/]+)?$/.exec(request.path);
  return match ? { plural: match[1]!, name: match[2]! } : undefined;
}

function objectGets(requests: readonly RecordedRequest[]): string[] {
  return requests.flatMap((r) => {
    const got = objectGet(r);
    return got && r.path.includes(`/namespaces/${NAMESPACE}/`) ? [`${got.plural}/${got.name}`] : [];
  });
}

async function createSecret(name: string, values: Record<string, string>, reload: boolean): Promise<void> {
  const literals = Object.entries(values).map(([key, value]) => `--from-literal=${key}=${value}`);
  await kubectlOk(env, ["create", "secret", "generic", name, "-n", NAMESPACE, ...literals]);
  if (reload) await kubectlOk(env, ["label", "secret", name, "-n", NAMESPACE, "hugr.io/reload=true"]);
}

beforeAll(async () => {
  [env, pg] = await Promise.all([startEnvtest(), startPostgres()]);
  eventsUrl = await createEventsDatabase(pg, "events");
  await env.applyCrds();
  proxy = await startRecordingProxy(env.server, env.caPath);
  // The operator's own identity (its RBAC), through the proxy: plain HTTP, which client-node only
  // accepts with TLS verification off.
  const identity = new KubeConfig();
  identity.loadFromFile(await operatorKubeconfig(env));
  const viaProxy = `${env.dir}/operator-via-proxy.kubeconfig`;
  const token = identity.getCurrentUser()?.token ?? "";
  await writeFile(viaProxy, kubeconfigYaml({ server: proxy.url, token }), { mode: 0o600 });
  operator = await startOperatorProcess({ kubeconfigPath: viaProxy });
  await createNamespaceWithCoreDb(env, NAMESPACE, pg.url);
  await kubectlOk(env, ["label", "secret", "hugr-db", "-n", NAMESPACE, "hugr.io/reload=true"]);
  await applyClusterWithWorkers(env, CLUSTER, [POD], workers);
  await waitForValue(
    "demo reconciled, its worker registered",
    () => read<HugrCluster>("hugrcluster", "demo"),
    clusterReconciled,
  );

  await createSecret("analytics-dsn", { url: eventsUrl }, true);
  await createSecret("minio-credentials", { key: "AKIAEXAMPLEKEY", secret: "very-secret-value" }, false);
  await apply({
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrDataSource",
    metadata: { name: "analytics", namespace: NAMESPACE },
    spec: {
      clusterRef: { name: "demo" },
      type: "postgres",
      pathSecretRef: { name: "analytics-dsn", key: "url" },
      catalogs: [{ name: "analytics_schema", type: "text", path: EVENTS_SDL }],
    },
  });
  await apply({
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrObjectStorage",
    metadata: { name: "minio", namespace: NAMESPACE },
    spec: {
      clusterRef: { name: "demo" },
      type: "s3",
      scope: "my-bucket",
      endpoint: "http://minio:9000",
      useSSL: false,
      credentialsSecretRef: { name: "minio-credentials", keyIDKey: "key", secretKey: "secret" },
    },
  });
  await waitForValue("analytics Ready", () => read<HugrDataSource>("hds", "analytics"), reconciled);
  await waitForValue("minio Ready", () => read<HugrObjectStorage>("hos", "minio"), reconciled);
}, 180_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.stop("SIGKILL")));
  await operator?.stop();
  await proxy?.close();
  await Promise.all([env?.stop(), pg?.stop()]);
});

describe("the operator on its caches", () => {
  it("reconciles every kind without a GET of what it watches; only an unlabelled Secret is read", async () => {
    const from = proxy.requests().length;
    await patch("hugrcluster", "demo", { spec: { adminUI: false } });
    await patch("hds", "analytics", { spec: { description: "Analytics v2" } });
    await patch("hos", "minio", { spec: { region: "eu-west-1" } });
    await waitForValue("demo reconciled", () => read<HugrCluster>("hugrcluster", "demo"), clusterReconciled);
    await waitForValue("analytics reconciled", () => read<HugrDataSource>("hds", "analytics"), reconciled);
    await waitForValue("minio reconciled", () => read<HugrObjectStorage>("hos", "minio"), reconciled);

    const all = proxy.requests();
    // From the start: not one read of a watched object, whatever the operator did.
    expect(objectGets(all).filter((got) => WATCHED.includes(got.split("/")[0]!))).toEqual([]);
    // Since the caches hold them: the Secrets labelled hugr.io/reload=true and the generated cluster
    // secret come from the caches; the unlabelled credentials are read from the API, on every reconcile.
    const secrets = new Set(objectGets(all.slice(from)).filter((got) => got.startsWith("secrets/")));
    expect([...secrets]).toEqual(["secrets/minio-credentials"]);
    // Every status write came back through the watch before its reconcile ended (resources.ts).
    expect(operator.output()).not.toContain("the status written is not in the cache yet");
    // The operator's traffic did pass through the proxy: its lists, watches and status writes.
    const seen = (method: string, path: string, watch = false): boolean =>
      all.some((r) => r.method === method && r.path === path && r.query.has("watch") === watch);
    expect(seen("GET", "/apis/hugr.io/v1alpha1/hugrdatasources")).toBe(true);
    expect(seen("GET", "/apis/hugr.io/v1alpha1/hugrdatasources", true)).toBe(true);
    expect(
      seen("PATCH", `/apis/hugr.io/v1alpha1/namespaces/${NAMESPACE}/hugrdatasources/analytics/status`),
    ).toBe(true);
  });
});
