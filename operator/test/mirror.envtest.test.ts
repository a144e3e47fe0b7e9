/**
 * The GraphQL mirror's wait for a reconcile, on a real kube-apiserver: it applies the resource, then
 * listens to the watch of the operator's cache. The test plays the reconciler (it writes the status,
 * or removes the finalizer) once it sees the mirror's change, and checks through a recording proxy
 * that the mirror read nothing from the API while it waited.
 */
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { DataSourceDefinition } from "@hugr/protocol";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUGR_DATA_SOURCE_RESOURCE, type HugrDataSource } from "../src/api/v1alpha1/index.js";
import { createClusterMirror, type ClusterMirror } from "../src/resource-mirror/index.js";
import {
  collectionPath,
  createCachedReader,
  createKubeClients,
  patchStatus,
  rfc3339,
  startInformer,
  type CachedReader,
  type Informer,
  type KubeClients,
} from "../src/kube/index.js";
import { OperationRefused } from "../src/management-api/index.js";
import { kubeconfigYaml, startEnvtest, type Envtest } from "./harness/envtest.js";
import { kubectlOk } from "./harness/operator.js";
import { startRecordingProxy, type RecordingProxy } from "./harness/recording-proxy.js";

const NAMESPACE = "mirror";
const HDS = {
  apiVersion: `${HUGR_DATA_SOURCE_RESOURCE.group}/${HUGR_DATA_SOURCE_RESOURCE.version}`,
  plural: HUGR_DATA_SOURCE_RESOURCE.plural,
};
const logger = pino({ level: process.env["TEST_LOG_LEVEL"] ?? "silent" });

let env: Envtest;
let proxy: RecordingProxy;
/** As the test (the reconciler's part), straight to the apiserver. */
let admin: KubeClients;
/** As the mirror, through the proxy. */
let mirrorClients: KubeClients;
let informer: Informer<KubernetesObject>;
let cache: CachedReader;

function kubeConfig(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}

beforeAll(async () => {
  env = await startEnvtest();
  await env.applyCrds();
  await kubectlOk(env, ["create", "namespace", NAMESPACE]);
  proxy = await startRecordingProxy(env.server, env.caPath);
  const direct = kubeConfig(kubeconfigYaml({ server: env.server, token: env.token, caPath: env.caPath }));
  admin = createKubeClients(direct);
  mirrorClients = createKubeClients(kubeConfig(kubeconfigYaml({ server: proxy.url, token: env.token })));
  const ref = { ...HDS, namespace: NAMESPACE };
  informer = startInformer<KubernetesObject>({
    kubeConfig: direct,
    path: collectionPath(ref),
    onChange: () => undefined,
    logger,
  });
  cache = createCachedReader([{ ref, informer }]);
  await informer.synced();
});

afterAll(async () => {
  await informer?.stop();
  await proxy?.close();
  await env?.stop();
});

const mirror = (timeoutMs: number): ClusterMirror =>
  createClusterMirror({
    clients: mirrorClients,
    cache,
    cluster: { namespace: NAMESPACE, name: "demo" },
    timeoutMs,
  });

const definition = (name: string): DataSourceDefinition => ({
  name,
  type: "postgres",
  prefix: name,
  description: "",
  path: "postgres://reader@db:5432/events",
  as_module: false,
  self_defined: false,
  read_only: false,
  disabled: false,
  catalogs: [],
});

/** What the reconciler writes: Ready for the resource's generation, loaded on `node`. */
async function reconcile(source: HugrDataSource, node: string): Promise<void> {
  const generation = source.metadata.generation ?? 0;
  await patchStatus(admin.customObjects, HUGR_DATA_SOURCE_RESOURCE, source, {
    observedGeneration: generation,
    loaded: 1,
    total: 1,
    nodes: [{ node, status: "attached" }],
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "Loaded",
        message: "loaded on 1 of 1 ready nodes",
        observedGeneration: generation,
        lastTransitionTime: rfc3339(new Date()),
      },
    ],
  });
}

/** A promise's outcome so far, without waiting for it. */
function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  tracked.catch(() => undefined);
  return { settled: () => done, promise: tracked };
}

/** The resource, once the cache holds it in a state that `until` accepts. */
async function resource(
  name: string,
  until: (o: HugrDataSource) => boolean = () => true,
): Promise<HugrDataSource> {
  const key = { namespace: NAMESPACE, name };
  const seen = await cache.waitFor<HugrDataSource>(HDS, key, (o) => o !== undefined && until(o), 10_000);
  if (!seen.met || !seen.object) throw new Error(`${name} did not reach the expected state in the cache`);
  return seen.object;
}

describe("the mirror's wait for a reconcile", () => {
  it("answers with the reconcile's result once its status arrives through the watch, reading nothing meanwhile", async () => {
    const from = proxy.requests().length;
    const put = track(mirror(60_000).putDataSource(definition("analytics")));
    const created = await resource("analytics");
    // The mirror has applied the resource; no status yet, so it is still waiting.
    expect(put.settled()).toBe(false);
    await reconcile(created, "node-a");
    await expect(put.promise).resolves.toEqual({
      success: true,
      message: "loaded on 1 of 1 ready nodes",
      nodes: [{ node: "node-a", success: true, error: "", durationMs: 0 }],
    });
    // Before its apply the mirror reads the API (which resource serves the name); after it, nothing:
    // the status came through the watch.
    const asked = proxy.requests().slice(from);
    const applied = asked.findLastIndex(
      (r) => r.method === "PATCH" && r.path.endsWith("/hugrdatasources/analytics"),
    );
    expect(applied).toBeGreaterThanOrEqual(0);
    expect(asked.slice(applied + 1)).toEqual([]);
  });

  it("fails with RECONCILE_TIMEOUT when no reconcile answers in time; the change stays", async () => {
    const refused = await mirror(300)
      .putDataSource(definition("slow"))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(OperationRefused);
    expect(refused).toMatchObject({ code: "RECONCILE_TIMEOUT" });
    expect((refused as Error).message).toMatch(
      /HugrDataSource 'slow' was changed, but its reconcile did not finish within 300 ms/,
    );
    expect(await resource("slow")).toBeDefined();
  });

  it("answers a deletion once the clean-up removed the finalizer and the watch reported it gone", async () => {
    await kubectlOk(
      env,
      ["apply", "--server-side", "-f", "-"],
      JSON.stringify({
        apiVersion: "hugr.io/v1alpha1",
        kind: "HugrDataSource",
        metadata: { name: "doomed", namespace: NAMESPACE, finalizers: ["hugr.io/cleanup"] },
        spec: { clusterRef: { name: "demo" }, type: "postgres", path: "postgres://reader@db:5432/events" },
      }),
    );
    await resource("doomed");
    const removal = track(mirror(60_000).deleteDataSource("doomed"));
    await resource("doomed", (o) => o.metadata.deletionTimestamp !== undefined);
    expect(removal.settled()).toBe(false);
    await kubectlOk(env, [
      "patch",
      "hds",
      "doomed",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await expect(removal.promise).resolves.toMatchObject({ success: true });
  });
});
