import type { V1Deployment } from "@kubernetes/client-node";
import type { NodeInfo } from "@hugr/protocol";
import { describe, expect, it } from "vitest";
import { buildStatus, desiredReplicas, type StatusObservation } from "./status.js";
import { demoCluster } from "./specs/testdata.js";

const NOW = "2026-11-30T12:00:00Z";

function deployment(status: V1Deployment["status"], replicas = 2, generation = 1): V1Deployment {
  return {
    metadata: { generation },
    spec: { replicas, selector: {}, template: {} },
    status: { observedGeneration: generation, ...status },
  };
}

function node(name: string, ready: boolean): NodeInfo {
  return {
    name,
    url: `http://${name}:15000`,
    version: "1.0.0",
    ready,
    lastSeen: NOW,
    error: ready ? "" : "starting",
  };
}

function observe(overrides: Partial<StatusObservation>): StatusObservation {
  return {
    cluster: demoCluster({ replicas: 2 }),
    deployment: undefined,
    nodes: [],
    problem: undefined,
    now: NOW,
    ...overrides,
  };
}

const conditionOf = (status: ReturnType<typeof buildStatus>, type: string) =>
  status.conditions?.find((c) => c.type === type);

describe("buildStatus", () => {
  it("is Ready when every desired pod is ready and every node registered and ready", () => {
    const status = buildStatus(
      observe({
        deployment: deployment({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 }),
        nodes: [node("a", true), node("b", true)],
      }),
    );
    expect(status).toMatchObject({
      observedGeneration: 3,
      replicas: 2,
      readyReplicas: 2,
      registeredNodes: 2,
    });
    expect(status.selector).toBe("app.kubernetes.io/instance=demo,app.kubernetes.io/name=hugr-worker");
    expect(status.nodes).toEqual([
      { name: "a", url: "http://a:15000", version: "1.0.0", ready: true, error: "" },
      { name: "b", url: "http://b:15000", version: "1.0.0", ready: true, error: "" },
    ]);
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Ready", "True", "AllNodesReady"],
      ["Progressing", "False", "RolloutComplete"],
      ["Degraded", "False", "AsExpected"],
    ]);
    expect(status.conditions?.every((c) => c.observedGeneration === 3 && c.lastTransitionTime === NOW)).toBe(
      true,
    );
  });

  it("is not Ready while a node is not, and says how many are", () => {
    const status = buildStatus(
      observe({
        deployment: deployment({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 }),
        nodes: [node("a", true), node("b", false)],
      }),
    );
    expect(conditionOf(status, "Ready")).toMatchObject({
      status: "False",
      reason: "NodesNotReady",
      message: "2 of 2 worker pods ready; 1 of 2 nodes registered and ready",
    });
  });

  it("is Progressing during a rollout and while the Deployment is missing", () => {
    expect(conditionOf(buildStatus(observe({})), "Progressing")).toMatchObject({
      status: "True",
      reason: "RollingOut",
    });
    const rolling = deployment({ replicas: 3, readyReplicas: 2, updatedReplicas: 1 });
    expect(conditionOf(buildStatus(observe({ deployment: rolling })), "Progressing")?.message).toBe(
      "1 of 2 worker pods run the latest pod template",
    );
    const unobserved = { ...deployment({ updatedReplicas: 2, replicas: 2 }), metadata: { generation: 2 } };
    expect(conditionOf(buildStatus(observe({ deployment: unobserved })), "Progressing")?.reason).toBe(
      "RollingOut",
    );
  });

  it("reports a problem as not Ready and Degraded with its reason", () => {
    const problem = {
      reason: "CoreDatabaseUnreachable" as const,
      message: "the cluster's core database: refused",
    };
    const status = buildStatus(observe({ problem }));
    expect(conditionOf(status, "Ready")).toMatchObject({ status: "False", ...problem });
    expect(conditionOf(status, "Degraded")).toMatchObject({ status: "True", ...problem });
  });

  it("is Ready when scaled to zero on purpose", () => {
    const status = buildStatus(
      observe({ cluster: demoCluster({ replicas: 0 }), deployment: deployment({}, 0) }),
    );
    expect(conditionOf(status, "Ready")).toMatchObject({ status: "True", reason: "ScaledToZero" });
  });
});

describe("desiredReplicas", () => {
  it("is spec.replicas, 2 by default, or the HPA's count while autoscaling", () => {
    expect(desiredReplicas(demoCluster(), undefined)).toBe(2);
    expect(desiredReplicas(demoCluster({ replicas: 5 }), deployment({}, 3))).toBe(5);
    const autoscaled = demoCluster({
      replicas: 5,
      autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 9 },
    });
    expect(desiredReplicas(autoscaled, deployment({}, 7))).toBe(7);
    expect(desiredReplicas(autoscaled, undefined)).toBe(2);
  });
});
