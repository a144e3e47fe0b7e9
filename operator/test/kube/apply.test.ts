/**
 * The apply helpers on a real kube-apiserver: server-side apply is idempotent (no new resourceVersion
 * for the same content), leaves a Deployment's replicas to whoever scaled it through /scale (the HPA)
 * once the operator stops applying them, createIfAbsent keeps what exists, patchStatus writes only
 * changes, and the error predicates match the errors the apiserver really returns.
 */
import type { KubernetesObject, V1ConfigMap, V1Deployment } from "@kubernetes/client-node";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validSpecs } from "../../src/api/v1alpha1/testdata.js";
import {
  FIELD_MANAGER,
  applyObject,
  createIfAbsent,
  isAlreadyExists,
  isConflict,
  isNotFound,
  patchStatus,
  type Condition,
  type CustomResourceType,
  type StatusWithConditions,
} from "../../src/kube/apply.js";
import { createKubeClients, loadKubeConfig, type KubeClients } from "../../src/kube/client.js";
import { startEnvtest, type Envtest } from "../harness/envtest.js";

const NAMESPACE = "apply";
const HUGR_CLUSTER: CustomResourceType = {
  group: "hugr.io",
  version: "v1alpha1",
  kind: "HugrCluster",
  plural: "hugrclusters",
};

let env: Envtest;
let clients: KubeClients;

beforeAll(async () => {
  env = await startEnvtest();
  await env.applyCrds();
  clients = createKubeClients(loadKubeConfig({ KUBECONFIG: env.kubeconfigPath }));
  await clients.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
});

afterAll(async () => {
  await env?.stop();
});

function configMap(name: string, data: Record<string, string>): V1ConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NAMESPACE }, data };
}

function deployment(name: string, replicas?: number): V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "worker", image: "ghcr.io/example/hugr-worker:1.0.0" }] },
      },
    },
  };
}

async function readDeployment(name: string): Promise<V1Deployment> {
  return clients.apps.readNamespacedDeployment({ namespace: NAMESPACE, name });
}

/** Scales through the /scale subresource as another field manager, the way an HPA does. */
async function scale(name: string, replicas: number): Promise<void> {
  await clients.apps.patchNamespacedDeploymentScale(
    { namespace: NAMESPACE, name, body: { spec: { replicas } }, fieldManager: "horizontal-pod-autoscaler" },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

describe("applyObject", () => {
  it("leaves the resourceVersion alone when the same content is applied again", async () => {
    const first = await applyObject(clients.objects, configMap("same", { a: "1" }));
    const second = await applyObject(clients.objects, configMap("same", { a: "1" }));
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(second.metadata?.managedFields?.map((f) => f.manager)).toEqual([FIELD_MANAGER]);

    const changed = await applyObject(clients.objects, configMap("same", { a: "2" }));
    expect(changed.metadata?.resourceVersion).not.toBe(first.metadata?.resourceVersion);
    expect(changed.data).toEqual({ a: "2" });
  });

  it("removes a field it applied before and no longer applies", async () => {
    await applyObject(clients.objects, configMap("shrink", { a: "1", b: "2" }));
    const shrunk = await applyObject(clients.objects, configMap("shrink", { a: "1" }));
    expect(shrunk.data).toEqual({ a: "1" });
  });

  it("keeps replicas set through /scale once a later apply omits them (the HPA owns them)", async () => {
    await applyObject(clients.objects, deployment("workers", 2));
    expect((await readDeployment("workers")).spec?.replicas).toBe(2);

    await scale("workers", 5);
    const applied = await applyObject(clients.objects, deployment("workers"));
    expect(applied.spec?.replicas).toBe(5);
    const again = await applyObject(clients.objects, deployment("workers"));
    expect(again.spec?.replicas).toBe(5);
    expect(again.metadata?.resourceVersion).toBe(applied.metadata?.resourceVersion);

    await scale("workers", 3);
    expect((await applyObject(clients.objects, deployment("workers"))).spec?.replicas).toBe(3);
  });

  it("takes a field back (force) from a manager that changed it", async () => {
    await applyObject(clients.objects, configMap("forced", { a: "1" }));
    await clients.core.patchNamespacedConfigMap(
      { namespace: NAMESPACE, name: "forced", body: { data: { a: "edited" } }, fieldManager: "kubectl-edit" },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const reapplied = await applyObject(clients.objects, configMap("forced", { a: "1" }));
    expect(reapplied.data).toEqual({ a: "1" });
  });
});

describe("createIfAbsent", () => {
  it("creates, and returns the existing object unchanged the second time", async () => {
    const created = await createIfAbsent(clients.objects, configMap("once", { generated: "first" }));
    expect(created.data).toEqual({ generated: "first" });
    const existing = await createIfAbsent(clients.objects, configMap("once", { generated: "second" }));
    expect(existing.data).toEqual({ generated: "first" });
    expect(existing.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });
});

describe("patchStatus", () => {
  interface HugrCluster extends KubernetesObject {
    spec?: unknown;
    status?: StatusWithConditions;
  }

  async function readCluster(name: string): Promise<HugrCluster> {
    return (await clients.customObjects.getNamespacedCustomObject({
      ...HUGR_CLUSTER,
      namespace: NAMESPACE,
      name,
    })) as HugrCluster;
  }

  const ready = (status: Condition["status"], message: string): Condition => ({
    type: "Ready",
    status,
    reason: status === "True" ? "Available" : "NoNodes",
    message,
    observedGeneration: 1,
  });

  it("writes the status only when it changed, keeping transition times of unchanged conditions", async () => {
    await applyObject(clients.objects, {
      apiVersion: "hugr.io/v1alpha1",
      kind: "HugrCluster",
      metadata: { name: "demo", namespace: NAMESPACE },
      spec: validSpecs.HugrCluster,
    });
    const initial = await readCluster("demo");
    expect(
      await patchStatus(clients.customObjects, HUGR_CLUSTER, initial, {
        observedGeneration: 1,
        conditions: [ready("False", "0/2 nodes ready")],
      }),
    ).toBe(true);

    const written = await readCluster("demo");
    const firstTime = written.status?.conditions?.[0]?.lastTransitionTime;
    expect(firstTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(
      await patchStatus(clients.customObjects, HUGR_CLUSTER, written, {
        observedGeneration: 1,
        conditions: [ready("False", "0/2 nodes ready")],
      }),
    ).toBe(false);
    expect((await readCluster("demo")).metadata?.resourceVersion).toBe(written.metadata?.resourceVersion);

    expect(
      await patchStatus(clients.customObjects, HUGR_CLUSTER, written, {
        observedGeneration: 1,
        conditions: [ready("False", "1/2 nodes ready")],
      }),
    ).toBe(true);
    const updated = await readCluster("demo");
    expect(updated.status?.conditions?.[0]).toMatchObject({
      message: "1/2 nodes ready",
      lastTransitionTime: firstTime,
    });
    expect(updated.spec).toEqual(written.spec);
  });
});

describe("error predicates on real apiserver errors", () => {
  it("match NotFound, AlreadyExists and Conflict", async () => {
    const notFound = await clients.core
      .readNamespacedConfigMap({ namespace: NAMESPACE, name: "missing" })
      .catch((error: unknown) => error);
    expect(isNotFound(notFound)).toBe(true);

    await clients.core.createNamespacedConfigMap({ namespace: NAMESPACE, body: configMap("exists", {}) });
    const exists = await clients.core
      .createNamespacedConfigMap({ namespace: NAMESPACE, body: configMap("exists", {}) })
      .catch((error: unknown) => error);
    expect(isAlreadyExists(exists)).toBe(true);
    expect(isConflict(exists)).toBe(false);

    const current = await clients.core.readNamespacedConfigMap({ namespace: NAMESPACE, name: "exists" });
    await clients.core.replaceNamespacedConfigMap({
      namespace: NAMESPACE,
      name: "exists",
      body: { ...current, data: { v: "1" } },
    });
    const stale = await clients.core
      .replaceNamespacedConfigMap({
        namespace: NAMESPACE,
        name: "exists",
        body: { ...current, data: { v: "2" } },
      })
      .catch((error: unknown) => error);
    expect(isConflict(stale)).toBe(true);
    expect(isAlreadyExists(stale)).toBe(false);
    expect(isNotFound(stale)).toBe(false);
  });
});
