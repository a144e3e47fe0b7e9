/**
 * The informer wrapper on a real kube-apiserver: it follows adds, updates and deletes, honours a label
 * selector, recovers when the apiserver is restarted on the same etcd and port, and notices a watch that
 * went silent (a frozen TCP connection) through its watchdog.
 */
import { KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../e2e/harness/processes.js";
import { createKubeClients, loadKubeConfig, type KubeClients } from "../../src/kube/client.js";
import {
  collectionPath,
  startInformer,
  type ChangeType,
  type Informer,
  type InformerOptions,
  type RestartReason,
} from "../../src/kube/informer.js";
import { kubeconfigYaml, startEnvtest, type Envtest } from "../harness/envtest.js";
import { startTcpProxy, type TcpProxy } from "../harness/tcp-proxy.js";

const logger = pino({ level: process.env["TEST_LOG_LEVEL"] ?? "silent" });

let env: Envtest;
let kc: KubeConfig;
let clients: KubeClients;
const informers: Informer<V1ConfigMap>[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  env = await startEnvtest();
  kc = loadKubeConfig({ KUBECONFIG: env.kubeconfigPath });
  clients = createKubeClients(kc);
});

afterAll(async () => {
  for (const informer of informers) await informer.stop();
  for (const proxy of proxies) await proxy.close();
  await env?.stop();
});

async function createNamespace(name: string): Promise<void> {
  await clients.core.createNamespace({ body: { metadata: { name } } });
}

function configMap(
  namespace: string,
  name: string,
  data: Record<string, string>,
  labels?: Record<string, string>,
) {
  return { metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}

/** What an informer reported, and how often it restarted or failed. */
interface Observed {
  changes: [ChangeType, string][];
  restarts: RestartReason[];
  errors: number;
}

function watchConfigMaps(options: Partial<InformerOptions<V1ConfigMap>> & { namespace?: string }): {
  informer: Informer<V1ConfigMap>;
  observed: Observed;
} {
  const observed: Observed = { changes: [], restarts: [], errors: 0 };
  const informer = startInformer<V1ConfigMap>({
    kubeConfig: kc,
    path: collectionPath({ apiVersion: "v1", plural: "configmaps", namespace: options.namespace }),
    logger,
    onChange: (obj, change) => observed.changes.push([change, obj.metadata?.name ?? ""]),
    metrics: {
      onRestart: (reason) => observed.restarts.push(reason),
      onError: () => (observed.errors += 1),
    },
    ...options,
  });
  informers.push(informer);
  return { informer, observed };
}

function seen(observed: Observed, change: ChangeType, name: string): boolean {
  return observed.changes.some(([c, n]) => c === change && n === name);
}

describe("informer", () => {
  it("lists what exists, then follows adds, updates and deletes", async () => {
    const ns = "informer-basic";
    await createNamespace(ns);
    await clients.core.createNamespacedConfigMap({
      namespace: ns,
      body: configMap(ns, "before", { k: "0" }),
    });
    const { informer, observed } = watchConfigMaps({ namespace: ns });
    await informer.synced();
    expect(informer.get(ns, "before")?.data).toEqual({ k: "0" });
    expect(seen(observed, "add", "before")).toBe(true);

    await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "a", { k: "1" }) });
    await eventually(async () => informer.get(ns, "a")?.data?.["k"] === "1", 10_000, "the add of a");
    await clients.core.replaceNamespacedConfigMap({
      namespace: ns,
      name: "a",
      body: configMap(ns, "a", { k: "2" }),
    });
    await eventually(async () => informer.get(ns, "a")?.data?.["k"] === "2", 10_000, "the update of a");
    await clients.core.deleteNamespacedConfigMap({ namespace: ns, name: "a" });
    await eventually(async () => informer.get(ns, "a") === undefined, 10_000, "the delete of a");

    expect(observed.changes.filter(([, name]) => name === "a").map(([change]) => change)).toEqual([
      "add",
      "update",
      "delete",
    ]);
    expect(informer.list(ns).map((cm) => cm.metadata?.name)).toEqual(["before"]);
    expect(informer.healthy()).toBe(true);
    expect(observed.errors).toBe(0);
  });

  it("tells the listeners of an object about its changes, and every listener about a relist", async () => {
    const ns = "informer-subscribe";
    await createNamespace(ns);
    const { informer } = watchConfigMaps({ namespace: ns });
    await informer.synced();
    const heard: string[] = [];
    const hear = (name: string) => () => {
      heard.push(`${name}:${informer.get(ns, name)?.data?.["k"] ?? "absent"}`);
    };
    const stopA = informer.subscribe(ns, "a", hear("a"));
    informer.subscribe(ns, "never", hear("never"));

    await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "b", { k: "0" }) });
    await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "a", { k: "1" }) });
    await eventually(async () => heard.includes("a:1"), 10_000, "the add of a");
    await clients.core.replaceNamespacedConfigMap({
      namespace: ns,
      name: "a",
      body: configMap(ns, "a", { k: "2" }),
    });
    await clients.core.deleteNamespacedConfigMap({ namespace: ns, name: "a" });
    await eventually(async () => heard.includes("a:absent"), 10_000, "the delete of a");
    // b came first: a listener of a hears nothing of it.
    expect(heard).toEqual(["a:1", "a:2", "a:absent"]);

    stopA();
    heard.length = 0;
    const relisted = watchConfigMaps({ namespace: ns, resyncMs: 500 });
    await relisted.informer.synced();
    relisted.informer.subscribe(ns, "never", () => heard.push("relisted"));
    await eventually(async () => heard.includes("relisted"), 10_000, "a relist telling the listener");
    await relisted.informer.stop();
    expect(heard.filter((h) => h.startsWith("a:"))).toEqual([]);
  });

  it("watches all namespaces through a label selector", async () => {
    await createNamespace("informer-sel-1");
    await createNamespace("informer-sel-2");
    const { informer } = watchConfigMaps({ labelSelector: "app.kubernetes.io/managed-by=hugr-operator" });
    await informer.synced();
    const managed = { "app.kubernetes.io/managed-by": "hugr-operator" };
    // Unlabelled first: a watch delivers in resourceVersion order, so once the labelled ones are in,
    // an unlabelled one would have been delivered already had the selector let it through.
    for (const ns of ["informer-sel-1", "informer-sel-2"]) {
      await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "other", {}) });
      await clients.core.createNamespacedConfigMap({
        namespace: ns,
        body: configMap(ns, "managed", {}, managed),
      });
    }
    await eventually(async () => informer.list().length >= 2, 10_000, "both labelled config maps");
    expect(
      informer
        .list()
        .map((cm) => `${cm.metadata?.namespace}/${cm.metadata?.name}`)
        .sort(),
    ).toEqual(["informer-sel-1/managed", "informer-sel-2/managed"]);
    expect(informer.list("informer-sel-1")).toHaveLength(1);
  });

  it("recovers when the apiserver restarts on the same etcd and port", async () => {
    const ns = "informer-restart";
    await createNamespace(ns);
    await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "kept", {}) });
    const { informer, observed } = watchConfigMaps({
      namespace: ns,
      initialBackoffMs: 200,
      maxBackoffMs: 1_000,
    });
    await informer.synced();

    await env.stopApiserver();
    await eventually(async () => observed.errors > 0, 20_000, "the informer to notice the apiserver is gone");
    await env.startApiserver();

    await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "after", { k: "1" }) });
    await eventually(
      async () => informer.get(ns, "after") !== undefined,
      30_000,
      "a config map made after the restart",
    );
    await clients.core.deleteNamespacedConfigMap({ namespace: ns, name: "kept" });
    await eventually(
      async () => informer.get(ns, "kept") === undefined,
      10_000,
      "the delete after the restart",
    );
    expect(observed.restarts).toContain("error");
    expect(informer.healthy()).toBe(true);
  });

  it("restarts a watch that went silent, through its watchdog", async () => {
    const ns = "informer-silent";
    await createNamespace(ns);
    const proxy = await startTcpProxy({ targetPort: Number(new URL(env.server).port) });
    proxies.push(proxy);
    const viaProxy = new KubeConfig();
    viaProxy.loadFromString(
      kubeconfigYaml({ server: `https://127.0.0.1:${proxy.port}`, token: env.token, caPath: env.caPath }),
    );
    const { informer, observed } = watchConfigMaps({
      namespace: ns,
      kubeConfig: viaProxy,
      watchdogMs: 3_000,
    });
    await informer.synced();
    await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "warm-up", {}) });
    await eventually(async () => informer.get(ns, "warm-up") !== undefined, 10_000, "the watch to deliver");

    proxy.freeze();
    expect(proxy.frozenConnections()).toBeGreaterThan(0);
    await clients.core.createNamespacedConfigMap({ namespace: ns, body: configMap(ns, "while-frozen", {}) });
    // Well before client-node's own 30 s inactivity timeout would have reconnected the watch.
    await eventually(
      async () => informer.get(ns, "while-frozen") !== undefined,
      20_000,
      "the object behind the freeze",
    );
    expect(observed.restarts).toContain("watchdog");
    expect(informer.healthy()).toBe(true);
  });

  it("rejects synced() and turns unhealthy when stopped before the first list", async () => {
    const unreachable = new KubeConfig();
    unreachable.loadFromString(kubeconfigYaml({ server: "https://127.0.0.1:1", token: "x" }));
    const { informer } = watchConfigMaps({ namespace: "nowhere", kubeConfig: unreachable });
    await informer.stop();
    await expect(informer.synced()).rejects.toThrow(/stopped before it synced/);
    expect(informer.healthy()).toBe(false);
  });
});
