import { describe, expect, it } from "vitest";
import { ownerReference } from "./owner.js";
import { buildPdb } from "./pdb.js";
import { demoCluster } from "./testdata.js";

const selector = {
  matchLabels: { "app.kubernetes.io/name": "hugr-worker", "app.kubernetes.io/instance": "demo" },
};

describe("buildPdb", () => {
  it("is rendered by default, allowing one worker down", () => {
    const pdb = buildPdb(demoCluster());
    expect(pdb?.apiVersion).toBe("policy/v1");
    expect(pdb?.kind).toBe("PodDisruptionBudget");
    expect(pdb?.metadata).toMatchObject({ name: "demo", namespace: "hugr" });
    expect(pdb?.metadata?.ownerReferences).toEqual([ownerReference(demoCluster())]);
    expect(pdb?.spec).toEqual({ selector, maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
  });

  it("is rendered when the block is given without enabled, and not when enabled is false", () => {
    expect(buildPdb(demoCluster({ podDisruptionBudget: {} }))?.spec?.maxUnavailable).toBe(1);
    expect(buildPdb(demoCluster({ podDisruptionBudget: { enabled: true } }))).toBeDefined();
    expect(
      buildPdb(demoCluster({ podDisruptionBudget: { enabled: false, minAvailable: 1 } })),
    ).toBeUndefined();
  });

  it.each([
    [{ minAvailable: 2 }, { minAvailable: 2 }],
    [{ minAvailable: "50%" }, { minAvailable: "50%" }],
    [{ maxUnavailable: "25%" }, { maxUnavailable: "25%" }],
    [{ maxUnavailable: 0 }, { maxUnavailable: 0 }],
    [{ minAvailable: 0 }, { minAvailable: 0 }],
  ])("takes the budget %o as given", (budget, expected) => {
    const spec = buildPdb(demoCluster({ podDisruptionBudget: budget }))?.spec;
    expect(spec).toEqual({ selector, ...expected, unhealthyPodEvictionPolicy: "AlwaysAllow" });
  });
});
