import { describe, expect, it } from "vitest";
import { HUGR_CLUSTER_NAME_MAX_LENGTH } from "../../../api/v1alpha1/index.js";
import {
  clusterName,
  clusterNamespace,
  clusterSecretName,
  compareStrings,
  headlessServiceName,
  LABEL_NAME,
  podLabels,
  selectorLabels,
  selectorString,
  workerConfigName,
  workerLabels,
} from "./names.js";
import { demoCluster } from "./testdata.js";

describe("labels", () => {
  it("puts the recommended labels on every owned object", () => {
    expect(workerLabels(demoCluster())).toEqual({
      "app.kubernetes.io/name": "hugr-worker",
      "app.kubernetes.io/instance": "demo",
      "app.kubernetes.io/managed-by": "hugr-operator",
      "app.kubernetes.io/part-of": "hugr",
    });
    expect(LABEL_NAME).toBe("app.kubernetes.io/name");
  });

  it("adds the component on pods only", () => {
    expect(podLabels(demoCluster())).toEqual({
      ...workerLabels(demoCluster()),
      "app.kubernetes.io/component": "worker",
    });
    expect(workerLabels(demoCluster())).not.toHaveProperty("app.kubernetes.io/component");
  });

  it("selects by name and instance only, a subset of the pod labels", () => {
    const selector = selectorLabels(demoCluster());
    expect(selector).toEqual({
      "app.kubernetes.io/name": "hugr-worker",
      "app.kubernetes.io/instance": "demo",
    });
    expect(podLabels(demoCluster())).toMatchObject(selector);
  });

  it("spells the selector with sorted keys, as status.selector", () => {
    expect(selectorString(demoCluster())).toBe(
      "app.kubernetes.io/instance=demo,app.kubernetes.io/name=hugr-worker",
    );
  });

  it("does not depend on spec fields or on the operator's version", () => {
    const a = demoCluster();
    const b = demoCluster({ image: "ghcr.io/example/hugr-worker:2.0.0", replicas: 7 });
    expect(workerLabels(b)).toEqual(workerLabels(a));
    expect(Object.values(podLabels(a)).join(",")).not.toMatch(/\d+\.\d+/);
  });
});

describe("names", () => {
  it("derives every name from the cluster's name", () => {
    const cluster = demoCluster();
    expect(clusterName(cluster)).toBe("demo");
    expect(clusterNamespace(cluster)).toBe("hugr");
    expect(clusterSecretName(cluster)).toBe("demo-cluster-secret");
    expect(workerConfigName(cluster)).toBe("demo-worker");
    expect(headlessServiceName(cluster)).toBe("demo-headless");
  });

  it("keeps the headless Service name a DNS label at the longest cluster name", () => {
    const cluster = demoCluster();
    cluster.metadata.name = "a".repeat(HUGR_CLUSTER_NAME_MAX_LENGTH);
    expect(headlessServiceName(cluster).length).toBeLessThanOrEqual(63);
  });

  it("refuses a cluster without a name or namespace", () => {
    const unnamed = demoCluster();
    delete unnamed.metadata.name;
    expect(() => workerLabels(unnamed)).toThrow("HugrCluster has no metadata.name");
    const nowhere = demoCluster();
    delete nowhere.metadata.namespace;
    expect(() => clusterNamespace(nowhere)).toThrow("HugrCluster 'demo' has no metadata.namespace");
  });
});

describe("compareStrings", () => {
  it("orders by code unit, independent of locale", () => {
    expect(["b", "B", "a", "_"].sort(compareStrings)).toEqual(["B", "_", "a", "b"]);
    expect(compareStrings("x", "x")).toBe(0);
  });
});
