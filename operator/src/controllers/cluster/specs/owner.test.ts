import { describe, expect, it } from "vitest";
import { ownedMetadata, ownerReference } from "./owner.js";
import { demoCluster } from "./testdata.js";

describe("ownerReference", () => {
  it("makes the HugrCluster the controller of the object", () => {
    expect(ownerReference(demoCluster())).toEqual({
      apiVersion: "hugr.io/v1alpha1",
      kind: "HugrCluster",
      name: "demo",
      uid: "0b6f4a3e-5f1d-4a57-9d7c-1f2e3d4c5b6a",
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  it("refuses a cluster without a uid (one not read from the apiserver)", () => {
    const cluster = demoCluster();
    delete cluster.metadata.uid;
    expect(() => ownerReference(cluster)).toThrow("HugrCluster 'demo' has no metadata.uid");
  });
});

describe("ownedMetadata", () => {
  it("names the object in the cluster's namespace, with labels and the owner, and nothing the apiserver owns", () => {
    const meta = ownedMetadata(demoCluster(), "demo-x");
    expect(meta).toEqual({
      name: "demo-x",
      namespace: "hugr",
      labels: {
        "app.kubernetes.io/name": "hugr-worker",
        "app.kubernetes.io/instance": "demo",
        "app.kubernetes.io/managed-by": "hugr-operator",
        "app.kubernetes.io/part-of": "hugr",
      },
      ownerReferences: [ownerReference(demoCluster())],
    });
  });
});
