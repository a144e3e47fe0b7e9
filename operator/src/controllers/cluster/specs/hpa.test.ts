import { describe, expect, it } from "vitest";
import { validSpecs } from "../../../api/v1alpha1/testdata.js";
import { autoscalingEnabled, buildHpa } from "./hpa.js";
import { ownerReference } from "./owner.js";
import { demoCluster } from "./testdata.js";

const bounds = { enabled: true, minReplicas: 2, maxReplicas: 10 };
const cpu = (averageUtilization: number): object => ({
  type: "Resource",
  resource: { name: "cpu", target: { type: "Utilization", averageUtilization } },
});
const memory = (averageUtilization: number): object => ({
  type: "Resource",
  resource: { name: "memory", target: { type: "Utilization", averageUtilization } },
});

describe("buildHpa", () => {
  it("renders nothing unless autoscaling is enabled", () => {
    expect(buildHpa(demoCluster())).toBeUndefined();
    expect(buildHpa(demoCluster({ autoscaling: { ...bounds, enabled: false } }))).toBeUndefined();
    expect(buildHpa(demoCluster({ autoscaling: { minReplicas: 1, maxReplicas: 3 } }))).toBeUndefined();
    expect(autoscalingEnabled(demoCluster({ autoscaling: { maxReplicas: 3 } }))).toBe(false);
  });

  it("scales the worker Deployment within the spec's bounds on both targets", () => {
    const hpa = buildHpa(demoCluster(validSpecs.HugrCluster));
    expect(hpa?.apiVersion).toBe("autoscaling/v2");
    expect(hpa?.kind).toBe("HorizontalPodAutoscaler");
    expect(hpa?.metadata).toMatchObject({ name: "demo", namespace: "hugr" });
    expect(hpa?.metadata?.ownerReferences).toEqual([ownerReference(demoCluster())]);
    expect(hpa?.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "demo" },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [cpu(70), memory(80)],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    });
  });

  it("aims at 80% CPU when no target is set, and has no behavior unless given", () => {
    const spec = buildHpa(demoCluster({ autoscaling: bounds }))?.spec;
    expect(spec?.metrics).toEqual([cpu(80)]);
    expect(spec).not.toHaveProperty("behavior");
  });

  it("uses only the memory target when only it is set", () => {
    const cluster = demoCluster({ autoscaling: { ...bounds, targetMemoryUtilizationPercentage: 60 } });
    expect(buildHpa(cluster)?.spec?.metrics).toEqual([memory(60)]);
  });

  it("ignores spec.replicas", () => {
    const spec = buildHpa(demoCluster({ replicas: 7, autoscaling: bounds }))?.spec;
    expect(spec?.minReplicas).toBe(2);
    expect(spec?.maxReplicas).toBe(10);
  });

  it("refuses autoscaling without maxReplicas, which CEL already rejects", () => {
    expect(() => buildHpa(demoCluster({ autoscaling: { enabled: true, minReplicas: 1 } }))).toThrow(
      "HugrCluster 'demo': autoscaling is enabled without maxReplicas",
    );
  });
});
