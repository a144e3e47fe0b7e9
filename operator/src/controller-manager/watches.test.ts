import { describe, expect, it } from "vitest";
import { createRelevantChangeFilter } from "./predicates.js";
import { clustersReferencing, ownerKey, perNamespace } from "./watches.js";

const owned = (ownerReferences: unknown[]) =>
  ({ metadata: { namespace: "hugr", name: "demo-worker", ownerReferences } }) as never;

describe("ownerKey", () => {
  it("maps an object to the HugrCluster that controls it", () => {
    const ref = {
      apiVersion: "hugr.io/v1alpha1",
      kind: "HugrCluster",
      name: "demo",
      uid: "u",
      controller: true,
    };
    expect(ownerKey(owned([ref]))).toBe("hugr/demo");
  });

  it("ignores owners that are not a controlling HugrCluster", () => {
    expect(ownerKey(owned([]))).toBeUndefined();
    expect(
      ownerKey(owned([{ apiVersion: "apps/v1", kind: "Deployment", name: "x", uid: "u", controller: true }])),
    ).toBeUndefined();
    expect(
      ownerKey(owned([{ apiVersion: "hugr.io/v1alpha1", kind: "HugrCluster", name: "demo", uid: "u" }])),
    ).toBeUndefined();
  });
});

describe("perNamespace", () => {
  it("watches cluster-wide without namespaces, else each named one", () => {
    const ref = { apiVersion: "v1", plural: "services" };
    expect(perNamespace(ref, [])).toEqual([ref]);
    expect(perNamespace(ref, ["a", "b"])).toEqual([
      { ...ref, namespace: "a" },
      { ...ref, namespace: "b" },
    ]);
  });
});

describe("createRelevantChangeFilter", () => {
  const cluster = (generation: number, extra: Record<string, unknown> = {}) =>
    ({ metadata: { uid: "u1", generation, ...extra }, status: { replicas: generation } }) as never;

  it("passes adds, spec and metadata changes, deletes and resyncs, not status-only updates", () => {
    const relevant = createRelevantChangeFilter();
    expect(relevant(cluster(1), "add")).toBe(true);
    expect(relevant(cluster(1), "update")).toBe(false);
    expect(relevant(cluster(2), "update")).toBe(true);
    expect(relevant(cluster(2, { annotations: { a: "b" } }), "update")).toBe(true);
    expect(relevant(cluster(2, { annotations: { a: "b" } }), "update")).toBe(false);
    expect(
      relevant(cluster(2, { annotations: { a: "b" }, deletionTimestamp: "2026-11-30T00:00:00Z" }), "update"),
    ).toBe(true);
    expect(relevant(cluster(2), "resync")).toBe(true);
    expect(relevant(cluster(2), "delete")).toBe(true);
  });
});

describe("clustersReferencing", () => {
  const cluster = (namespace: string, name: string, dbSecret: string) =>
    ({
      metadata: { namespace, name },
      spec: { image: "x", coreDB: { urlSecretRef: { name: dbSecret, key: "url" } } },
    }) as never;
  const secret = (namespace: string, name: string) => ({ metadata: { namespace, name } }) as never;

  it("finds the clusters of the Secret's namespace that reference it", () => {
    const clusters = [cluster("a", "one", "db"), cluster("a", "two", "other"), cluster("b", "three", "db")];
    expect(clustersReferencing(secret("a", "db"), clusters)).toEqual(["a/one"]);
    expect(clustersReferencing(secret("a", "one-cluster-secret"), clusters)).toEqual(["a/one"]);
    expect(clustersReferencing(secret("c", "db"), clusters)).toEqual([]);
  });
});
