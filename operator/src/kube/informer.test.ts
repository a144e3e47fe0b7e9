import { describe, expect, it } from "vitest";
import {
  classifyChange,
  collectionPath,
  informerHealthy,
  nextBackoff,
  objectKey,
  type HealthInput,
} from "./informer.js";

describe("collectionPath", () => {
  it.each([
    [{ apiVersion: "v1", plural: "configmaps", namespace: "hugr" }, "/api/v1/namespaces/hugr/configmaps"],
    [{ apiVersion: "v1", plural: "namespaces" }, "/api/v1/namespaces"],
    [
      { apiVersion: "apps/v1", plural: "deployments", namespace: "a" },
      "/apis/apps/v1/namespaces/a/deployments",
    ],
    [{ apiVersion: "hugr.io/v1alpha1", plural: "hugrclusters" }, "/apis/hugr.io/v1alpha1/hugrclusters"],
  ])("%j -> %s", (ref, path) => {
    expect(collectionPath(ref)).toBe(path);
  });
});

describe("nextBackoff", () => {
  it("doubles from 1 s up to the 30 s cap", () => {
    const delays = [1_000];
    while (delays.length < 8) delays.push(nextBackoff(delays.at(-1)!, 30_000));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});

describe("informerHealthy", () => {
  const base: HealthInput = {
    now: 1_000_000,
    stopped: false,
    lastActivityAt: 1_000_000,
    failingSince: undefined,
    unhealthyAfterMs: 180_000,
  };

  it.each<[string, Partial<HealthInput>, boolean]>([
    ["working", {}, true],
    ["stopped", { stopped: true }, false],
    ["failing, within the threshold", { failingSince: 1_000_000 - 180_000 }, true],
    ["failing for longer than the threshold", { failingSince: 1_000_000 - 180_001 }, false],
    ["silent, within the threshold", { lastActivityAt: 1_000_000 - 180_000 }, true],
    ["silent for longer than the threshold", { lastActivityAt: 1_000_000 - 180_001 }, false],
  ])("%s -> %s", (_name, input, healthy) => {
    expect(informerHealthy({ ...base, ...input })).toBe(healthy);
  });
});

describe("classifyChange and objectKey", () => {
  const cm = (resourceVersion: string) => ({ metadata: { namespace: "ns", name: "a", resourceVersion } });

  it("classifies against the cached object", () => {
    expect(classifyChange(undefined, cm("1"))).toBe("add");
    expect(classifyChange(cm("1"), cm("2"))).toBe("update");
    expect(classifyChange(cm("1"), cm("1"))).toBe("resync");
    expect(classifyChange({ metadata: { name: "a" } }, { metadata: { name: "a" } })).toBe("update");
  });

  it("keys by namespace/name, and by name alone when cluster-scoped", () => {
    expect(objectKey(cm("1"))).toBe("ns/a");
    expect(objectKey({ metadata: { name: "node-1" } })).toBe("node-1");
  });
});
