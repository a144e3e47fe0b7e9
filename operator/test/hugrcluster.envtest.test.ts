/**
 * The HugrCluster reconciler on a real kube-apiserver, with the operator running as a separate process
 * under its own ServiceAccount and RBAC (config/), and work nodes started with the environment of the
 * rendered pod template (there is no kubelet: the test plays its part, including Deployment status).
 */
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1PodDisruptionBudget,
  V1Service,
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { createManagementClient } from "@hugr/protocol";
import type { Condition, HugrCluster } from "../src/api/v1alpha1/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type RunningProcess } from "../../e2e/harness/processes.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import { startEnvtest, type Envtest } from "./harness/envtest.js";
import {
  getJson,
  kubectlOk,
  operatorKubeconfig,
  secretData,
  startOperatorProcess,
  startRenderedWorker,
  createNamespaceWithCoreDb,
  waitForValue,
} from "./harness/operator.js";

const IMAGE = "ghcr.io/example/hugr-worker:1.0.0";

let env: Envtest;
let pg: PostgresInstance;
let kubeconfigPath: string;
let operator: RunningProcess;
const processes: RunningProcess[] = [];

function cluster(namespace: string, name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrCluster",
    metadata: { name, namespace },
    spec: { image: IMAGE, replicas: 2, coreDB: { urlSecretRef: { name: "hugr-db", key: "url" } }, ...spec },
  });
}

const get = <T = KubernetesObject>(args: string[]): Promise<T | undefined> => getJson<T>(env, args);

function condition(object: HugrCluster | undefined, type: string): Condition | undefined {
  return object?.status?.conditions?.find((c) => c.type === type);
}

/** Sum of the operator's successful reconciles, from its /metrics. */
async function reconciles(process: RunningProcess): Promise<number> {
  const text = await (await fetch(`${process.url}/metrics`)).text();
  const matches = text.matchAll(
    /^hugr_operator_reconciles_total\{[^}]*result="(?:success|requeue)"[^}]*\} (\d+)/gm,
  );
  return [...matches].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Waits until the operator has finished at least one more reconcile than `before`. */
async function anotherReconcile(before: number): Promise<void> {
  await eventually(async () => (await reconciles(operator)) > before, 30_000, "another reconcile");
}

beforeAll(async () => {
  [env, pg] = await Promise.all([startEnvtest(), startPostgres()]);
  await env.applyCrds();
  kubeconfigPath = await operatorKubeconfig(env);
  operator = await startOperatorProcess({ kubeconfigPath });
  await createNamespaceWithCoreDb(env, "team-a", pg.url);
  await kubectlOk(env, ["apply", "--server-side", "-f", "-"], cluster("team-a", "demo"));
}, 180_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
  await operator?.stop();
  await Promise.all([env?.stop(), pg?.stop()]);
});

describe("a HugrCluster", () => {
  it("generates the cluster secret and renders the workers' configuration, secrets apart", async () => {
    await waitForValue("the Deployment", () => get<V1Deployment>(["deployment", "demo", "-n", "team-a"]));
    const generated = await secretData(env, "team-a", "demo-cluster-secret");
    expect(generated["cluster-secret"]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const workerSecret = await secretData(env, "team-a", "demo-worker");
    expect(workerSecret).toEqual({ CLUSTER_SECRET: generated["cluster-secret"], CORE_DB_PATH: pg.url });
    const configMap = await get<V1ConfigMap>(["configmap", "demo-worker", "-n", "team-a"]);
    expect(configMap?.data).toMatchObject({
      CLUSTER_MANAGEMENT_URL: `${operator.url}/clusters/team-a/demo`,
      ADMIN_UI: "true",
      BIND: ":15000",
    });
    expect(JSON.stringify(configMap?.data)).not.toContain(generated["cluster-secret"]);
    const events = await kubectlOk(env, ["get", "events", "-n", "team-a", "-o", "json"]);
    expect(events).toContain("ClusterSecretGenerated");
    expect(events).not.toContain(generated["cluster-secret"]);
  });

  it("renders the Deployment with probes and a graceful stop", async () => {
    const deployment = await waitForValue("the Deployment", () =>
      get<V1Deployment>(["deployment", "demo", "-n", "team-a"]),
    );
    expect(deployment.spec?.replicas).toBe(2);
    const template = deployment.spec!.template;
    expect(template.metadata?.annotations?.["hugr.io/config-checksum"]).toMatch(/^[0-9a-f]{64}$/);
    const container = template.spec!.containers[0]!;
    expect(container.image).toBe(IMAGE);
    expect(container.envFrom).toEqual([
      { configMapRef: { name: "demo-worker" } },
      { secretRef: { name: "demo-worker" } },
    ]);
    expect(container.readinessProbe?.httpGet?.path).toBe("/ready");
    expect(container.livenessProbe?.httpGet?.path).toBe("/health");
    const preStopSeconds = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStopSeconds).toBeGreaterThan(0);
    expect(template.spec!.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds);
  });

  it("renders both Services and a PDB, no HPA, each child owned by the cluster", async () => {
    const hc = await waitForValue(
      "status",
      () => get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]),
      (o) => o.status?.observedGeneration === o.metadata.generation,
    );
    expect(hc.status?.selector).toBe("app.kubernetes.io/instance=demo,app.kubernetes.io/name=hugr-worker");
    const service = await get<V1Service>(["service", "demo", "-n", "team-a"]);
    expect(service?.spec).toMatchObject({ type: "ClusterIP", ports: [{ name: "http", port: 15000 }] });
    const headless = await get<V1Service>(["service", "demo-headless", "-n", "team-a"]);
    expect(headless?.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
    const pdb = await get<V1PodDisruptionBudget>(["pdb", "demo", "-n", "team-a"]);
    expect(pdb?.spec).toMatchObject({ maxUnavailable: 1 });
    expect(await get<V2HorizontalPodAutoscaler>(["hpa", "demo", "-n", "team-a"])).toBeUndefined();

    const owner = { apiVersion: "hugr.io/v1alpha1", kind: "HugrCluster", name: "demo", uid: hc.metadata.uid };
    const children = await Promise.all([
      get<V1Deployment>(["deployment", "demo", "-n", "team-a"]),
      get<V1ConfigMap>(["configmap", "demo-worker", "-n", "team-a"]),
      get(["secret", "demo-worker", "-n", "team-a"]),
      get(["secret", "demo-cluster-secret", "-n", "team-a"]),
    ]);
    for (const child of [...children, service, headless, pdb]) {
      expect(child?.metadata?.ownerReferences).toEqual([
        { ...owner, controller: true, blockOwnerDeletion: true },
      ]);
      expect(child?.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe("hugr-operator");
    }
  });

  it("registers work nodes started with the rendered pod environment and reports them in status", async () => {
    for (const [i, ip] of ["127.0.0.11", "127.0.0.12"].entries()) {
      processes.push(
        await startRenderedWorker(env, { namespace: "team-a", name: "demo" }, { name: `demo-7f9c-${i}`, ip }),
      );
    }
    const hc = await waitForValue(
      "two ready nodes in status",
      () => get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]),
      (o) => o.status?.registeredNodes === 2 && o.status.nodes?.every((n) => n.ready) === true,
    );
    expect(hc.status?.nodes?.map((n: { name: string; url: string }) => [n.name, n.url])).toEqual([
      ["demo-7f9c-0", "http://127.0.0.11:15000"],
      ["demo-7f9c-1", "http://127.0.0.12:15000"],
    ]);
    // No kubelet: no pod is ready, so the cluster is not either, and says why.
    expect(condition(hc, "Ready")).toMatchObject({ status: "False", reason: "NodesNotReady" });
    expect(condition(hc, "Ready")?.message).toContain("0 of 2 worker pods ready; 2 of 2 nodes");

    // Play the Deployment controller and kubelet: the pods are up.
    const deployment = await get<V1Deployment>(["deployment", "demo", "-n", "team-a"]);
    const status = {
      observedGeneration: deployment?.metadata?.generation,
      replicas: 2,
      readyReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    };
    await kubectlOk(env, [
      "patch",
      "deployment",
      "demo",
      "-n",
      "team-a",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status }),
    ]);
    const ready = await waitForValue(
      "Ready",
      () => get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]),
      (o) => condition(o, "Ready")?.status === "True",
    );
    expect(condition(ready, "Ready")?.reason).toBe("AllNodesReady");
    expect(condition(ready, "Progressing")).toMatchObject({ status: "False", reason: "RolloutComplete" });
    expect(ready.status).toMatchObject({ replicas: 2, readyReplicas: 2, registeredNodes: 2 });
    const table = await kubectlOk(env, ["get", "hc", "demo", "-n", "team-a"]);
    expect(table.split("\n")[1]).toMatch(/^demo\s+2\s+2\s+2\s+True\s+/);
  });

  it("writes the status only when it changes", async () => {
    const before = (await get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]))?.metadata
      .resourceVersion;
    const count = await reconciles(operator);
    await kubectlOk(env, ["annotate", "hugrcluster", "demo", "-n", "team-a", "example.com/touched=1"]);
    await anotherReconcile(count);
    const after = await get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]);
    // The annotation is the only write: the reconcile it caused found nothing to change in status.
    expect(Number(after?.metadata.resourceVersion)).toBeGreaterThan(Number(before));
    const count2 = await reconciles(operator);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await reconciles(operator)).toBe(count2);
    expect((await get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]))?.metadata.resourceVersion).toBe(
      after?.metadata.resourceVersion,
    );
  });

  it("rolls the pods when the configuration changes, and not when the operator restarts", async () => {
    const checksum = async (): Promise<string> =>
      (await get<V1Deployment>(["deployment", "demo", "-n", "team-a"]))?.spec?.template.metadata
        ?.annotations?.["hugr.io/config-checksum"] ?? "";
    const before = await checksum();
    await kubectlOk(env, [
      "patch",
      "hugrcluster",
      "demo",
      "-n",
      "team-a",
      "--type=merge",
      "-p",
      '{"spec":{"adminUI":false}}',
    ]);
    await eventually(async () => (await checksum()) !== before, 30_000, "a new checksum");
    expect((await get<V1ConfigMap>(["configmap", "demo-worker", "-n", "team-a"]))?.data?.ADMIN_UI).toBe(
      "false",
    );
    await eventually(
      async () => (await kubectlOk(env, ["get", "events", "-n", "team-a"])).includes("ConfigurationChanged"),
      10_000,
      "a ConfigurationChanged event",
    );

    const deployment = await get<V1Deployment>(["deployment", "demo", "-n", "team-a"]);
    await operator.stop();
    operator = await startOperatorProcess({
      kubeconfigPath,
      port: operator.port,
    });
    await anotherReconcile(0);
    const after = await get<V1Deployment>(["deployment", "demo", "-n", "team-a"]);
    expect(after?.metadata?.generation).toBe(deployment?.metadata?.generation);
    expect(after?.spec?.template).toEqual(deployment?.spec?.template);
  });

  it("follows kubectl scale on the HugrCluster", async () => {
    await kubectlOk(env, ["scale", "hugrcluster", "demo", "-n", "team-a", "--replicas=3"]);
    await waitForValue(
      "3 replicas",
      () => get<V1Deployment>(["deployment", "demo", "-n", "team-a"]),
      (d) => d.spec?.replicas === 3,
    );
    expect((await get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]))?.spec.replicas).toBe(3);
  });

  it("leaves the replicas to the HPA while autoscaling is on", async () => {
    const autoscaling = { enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 };
    await kubectlOk(env, [
      "patch",
      "hugrcluster",
      "demo",
      "-n",
      "team-a",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { autoscaling } }),
    ]);
    const hpa = await waitForValue("the HPA", () =>
      get<V2HorizontalPodAutoscaler>(["hpa", "demo", "-n", "team-a"]),
    );
    // Turning autoscaling on hands the current count over: no drop to 1 before the HPA's first sync.
    expect((await get<V1Deployment>(["deployment", "demo", "-n", "team-a"]))?.spec?.replicas).toBe(3);
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "demo" },
    });
    expect(hpa.spec?.metrics?.[0]?.resource).toMatchObject({
      name: "cpu",
      target: { type: "Utilization", averageUtilization: 70 },
    });

    // The HPA scales through /scale with its own field manager; the operator must not revert it.
    await kubectlOk(env, ["scale", "deployment", "demo", "-n", "team-a", "--replicas=5"]);
    const count = await reconciles(operator);
    await kubectlOk(env, [
      "annotate",
      "hugrcluster",
      "demo",
      "-n",
      "team-a",
      "example.com/touched=2",
      "--overwrite",
    ]);
    await anotherReconcile(count);
    expect((await get<V1Deployment>(["deployment", "demo", "-n", "team-a"]))?.spec?.replicas).toBe(5);

    await kubectlOk(env, [
      "patch",
      "hugrcluster",
      "demo",
      "-n",
      "team-a",
      "--type=merge",
      "-p",
      '{"spec":{"autoscaling":{"enabled":false}}}',
    ]);
    await waitForValue("the HPA gone", async () =>
      (await get<V2HorizontalPodAutoscaler>(["hpa", "demo", "-n", "team-a"])) === undefined
        ? true
        : undefined,
    );
    await waitForValue(
      "replicas back to the spec",
      () => get<V1Deployment>(["deployment", "demo", "-n", "team-a"]),
      (d) => d.spec?.replicas === 3,
    );
  });

  it("reports a missing Secret in its conditions and an Event, then recovers when it appears", async () => {
    await kubectlOk(env, ["create", "namespace", "team-c"]);
    await kubectlOk(
      env,
      ["apply", "--server-side", "-f", "-"],
      cluster("team-c", "late", { coreDB: { urlSecretRef: { name: "late-db", key: "url" } } }),
    );
    const hc = await waitForValue(
      "SecretNotFound",
      () => get<HugrCluster>(["hugrcluster", "late", "-n", "team-c"]),
      (o) => condition(o, "Ready")?.reason === "SecretNotFound",
    );
    expect(condition(hc, "Degraded")).toMatchObject({ status: "True", reason: "SecretNotFound" });
    expect(condition(hc, "Ready")?.message).toBe("spec.coreDB.urlSecretRef: Secret 'late-db' not found");
    expect(await get<V1Deployment>(["deployment", "late", "-n", "team-c"])).toBeUndefined();
    expect(await kubectlOk(env, ["get", "events", "-n", "team-c"])).toContain("SecretNotFound");

    // Labelled hugr.io/reload=true, so its creation wakes the reconciler at once (no 15 s retry).
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "late-db", namespace: "team-c", labels: { "hugr.io/reload": "true" } },
      stringData: { url: pg.url },
    };
    await kubectlOk(env, ["apply", "--server-side", "-f", "-"], JSON.stringify(secret));
    await eventually(
      async () => (await get<V1Deployment>(["deployment", "late", "-n", "team-c"])) !== undefined,
      10_000,
      "the Deployment, soon after the Secret appeared",
    );
    await waitForValue(
      "Degraded False",
      () => get<HugrCluster>(["hugrcluster", "late", "-n", "team-c"]),
      (o) => condition(o, "Degraded")?.status === "False",
    );
  });

  it("rolls the workers when a referenced Secret labelled hugr.io/reload changes", async () => {
    const checksum = async (): Promise<string | undefined> =>
      (await get<V1Deployment>(["deployment", "demo", "-n", "team-a"]))?.spec?.template.metadata
        ?.annotations?.["hugr.io/config-checksum"];
    await kubectlOk(env, ["label", "secret", "hugr-db", "-n", "team-a", "hugr.io/reload=true"]);
    const before = await checksum();
    const rotated = `${pg.url}?application_name=rotated`;
    const patch = JSON.stringify({ stringData: { url: rotated } });
    await kubectlOk(env, ["patch", "secret", "hugr-db", "-n", "team-a", "--type=merge", "-p", patch]);
    await eventually(
      async () => (await secretData(env, "team-a", "demo-worker"))["CORE_DB_PATH"] === rotated,
      10_000,
      "the rotated URL in the worker Secret",
    );
    expect(await checksum()).not.toBe(before);
  });

  it("keeps two clusters in two namespaces apart: own secret, own nodes", async () => {
    const dbB = await pg.createDatabase("hugr_core_b");
    await createNamespaceWithCoreDb(env, "team-b", dbB);
    await kubectlOk(env, ["apply", "--server-side", "-f", "-"], cluster("team-b", "demo", { replicas: 1 }));
    await waitForValue("team-b's Deployment", () =>
      get<V1Deployment>(["deployment", "demo", "-n", "team-b"]),
    );
    processes.push(
      await startRenderedWorker(
        env,
        { namespace: "team-b", name: "demo" },
        { name: "demo-b-0", ip: "127.0.0.21" },
      ),
    );
    const b = await waitForValue(
      "team-b's node",
      () => get<HugrCluster>(["hugrcluster", "demo", "-n", "team-b"]),
      (o) => o.status?.registeredNodes === 1,
    );
    expect(b.status?.nodes?.[0]?.name).toBe("demo-b-0");
    const a = await get<HugrCluster>(["hugrcluster", "demo", "-n", "team-a"]);
    expect(a?.status?.nodes?.map((n) => n.name)).toEqual(["demo-7f9c-0", "demo-7f9c-1"]);

    const secretA = (await secretData(env, "team-a", "demo-cluster-secret"))["cluster-secret"]!;
    const secretB = (await secretData(env, "team-b", "demo-cluster-secret"))["cluster-secret"]!;
    expect(secretA).not.toBe(secretB);
    // A node holding team-a's secret cannot join team-b, nor list its nodes.
    const intruder = createManagementClient({
      baseUrl: `${operator.url}/clusters/team-b/demo`,
      secret: secretA,
      timeoutMs: 5_000,
    });
    await expect(intruder.nodes()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(
      intruder.register({ name: "x", url: "http://127.0.0.99:15000", version: "1" }),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const unknown = createManagementClient({
      baseUrl: `${operator.url}/clusters/team-z/demo`,
      secret: secretA,
      timeoutMs: 5_000,
    });
    await expect(unknown.nodes()).rejects.toMatchObject({ code: "CLUSTER_NOT_FOUND" });
    const own = createManagementClient({
      baseUrl: `${operator.url}/clusters/team-b/demo`,
      secret: secretB,
      timeoutMs: 5_000,
    });
    expect((await own.nodes()).nodes.map((n) => n.name)).toEqual(["demo-b-0"]);
  });
});
