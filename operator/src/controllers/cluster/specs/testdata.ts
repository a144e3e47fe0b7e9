import type { HugrCluster, HugrClusterSpec } from "../../../api/v1alpha1/index.js";
import type { WorkerInputs } from "./config.js";

/**
 * Fixtures of the builders' tests: a HugrCluster as the apiserver returns it, with only the required
 * fields set, so each test adds exactly the fields it is about. Not exported from index.ts.
 */
export function demoCluster(spec: Partial<HugrClusterSpec> = {}): HugrCluster {
  return {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrCluster",
    metadata: { name: "demo", namespace: "hugr", uid: "0b6f4a3e-5f1d-4a57-9d7c-1f2e3d4c5b6a", generation: 3 },
    spec: {
      image: "ghcr.io/example/hugr-worker:1.0.0",
      coreDB: { urlSecretRef: { name: "hugr-db", key: "url" } },
      ...spec,
    },
  };
}

export const demoInputs: WorkerInputs = {
  managementUrl: "http://hugr-operator.hugr-system.svc:14000/clusters/hugr/demo",
  secrets: { clusterSecret: "s3cr3t", coreDbUrl: "postgres://hugr:pw@db:5432/hugr" },
};
