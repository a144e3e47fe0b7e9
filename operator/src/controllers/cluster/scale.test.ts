import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { operatorOwnsReplicas } from "./scale.js";

function managed(
  ...entries: { manager: string; operation: string; spec: Record<string, unknown> }[]
): V1Deployment {
  return {
    metadata: {
      managedFields: entries.map(({ manager, operation, spec }) => ({
        manager,
        operation,
        fieldsV1: { "f:spec": spec },
      })),
    },
  };
}

describe("operatorOwnsReplicas", () => {
  it("is true only when the operator's apply holds spec.replicas", () => {
    expect(
      operatorOwnsReplicas(
        managed({ manager: "hugr-operator", operation: "Apply", spec: { "f:replicas": {} } }),
      ),
    ).toBe(true);
    expect(
      operatorOwnsReplicas(
        managed({ manager: "hugr-operator", operation: "Apply", spec: { "f:template": {} } }),
      ),
    ).toBe(false);
    expect(
      operatorOwnsReplicas(
        managed({ manager: "kube-controller-manager", operation: "Update", spec: { "f:replicas": {} } }),
      ),
    ).toBe(false);
    expect(operatorOwnsReplicas(undefined)).toBe(false);
  });
});
