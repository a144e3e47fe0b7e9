import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { HugrCluster } from "../../../api/v1alpha1/index.js";
import { clusterName, headlessServiceName, PORT_NAME, selectorLabels, WORKER_PORT } from "./names.js";
import { ownedMetadata } from "./owner.js";

/** The workers' GraphQL port; `protocol` is explicit because it is part of the list's SSA merge key. */
function workerPort(): V1ServicePort {
  return { name: PORT_NAME, port: WORKER_PORT, targetPort: PORT_NAME, protocol: "TCP" };
}

/** The Service clients use: ready workers only, of spec.serviceType (ClusterIP by default). */
export function buildService(cluster: HugrCluster): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMetadata(cluster, clusterName(cluster)),
    spec: {
      type: cluster.spec.serviceType ?? "ClusterIP",
      selector: selectorLabels(cluster),
      ports: [workerPort()],
    },
  };
}

/**
 * The headless Service: a DNS record per worker pod, ready or not, so a starting worker is
 * addressable before its readiness probe passes (it registers first, then becomes ready).
 */
export function buildHeadlessService(cluster: HugrCluster): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMetadata(cluster, headlessServiceName(cluster)),
    spec: {
      type: "ClusterIP",
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(cluster),
      ports: [workerPort()],
    },
  };
}
