import type { Logger } from "@hugr/common";
import type { OperatorConfig } from "../config/index.js";
import type { KubeClients } from "../kube/index.js";
import {
  createClusterRuntimes,
  type ClusterRuntimes,
  type ManagementMetrics,
} from "../management-api/index.js";
import { createClusterMirror } from "../resource-mirror/index.js";
import { CLUSTERS, DATA_SOURCES, STORAGES } from "./controllers.js";
import type { Informers } from "./informers.js";
import { HUGR_DATA_SOURCES, HUGR_OBJECT_STORAGES, servedBy } from "./watches.js";

export interface CoordinationsOptions {
  config: OperatorConfig;
  clients: KubeClients;
  informers: Pick<Informers, "listServed" | "cache">;
  /** Queues a key for a controller (by its name in controllers.ts). */
  enqueue: (controller: string, key: string) => void;
  logger: Logger;
  metrics: ManagementMetrics;
}

/**
 * The coordinations of every HugrCluster (not serving yet), wired to the controllers: a change of
 * membership re-queues the cluster and what it serves, and the workers' GraphQL mutations go to the
 * custom resources (resource-mirror).
 */
export function createCoordinations(options: CoordinationsOptions): ClusterRuntimes {
  const { config, clients, informers, enqueue } = options;
  return createClusterRuntimes({
    timeoutMs: config.timeoutMs,
    checkIntervalMs: config.checkIntervalMs,
    removeAfterMs: config.removeAfterMs,
    logger: options.logger,
    metrics: options.metrics,
    // Membership changed: the cluster's status, and the per-node state of what it serves, follow.
    onNodesChanged: (id) => {
      enqueue(CLUSTERS, id);
      for (const key of servedBy(id, informers.listServed(HUGR_DATA_SOURCES))) enqueue(DATA_SOURCES, key);
      for (const key of servedBy(id, informers.listServed(HUGR_OBJECT_STORAGES))) enqueue(STORAGES, key);
    },
    operationsFor: (id) => {
      const [namespace = "", name = ""] = id.split("/");
      return createClusterMirror({
        clients,
        cache: informers.cache,
        cluster: { namespace, name },
        timeoutMs: mirrorTimeoutMs(config),
      });
    },
  });
}

/**
 * How long a mirrored GraphQL change waits for its reconcile: a fan-out takes up to TIMEOUT, and the
 * worker waits TIMEOUT plus 5 s for the answer (RegisterNodeResponse.operationTimeoutMs), so the
 * operator answers RECONCILE_TIMEOUT before the worker gives up on the request.
 */
function mirrorTimeoutMs(config: OperatorConfig): number {
  return config.timeoutMs + 3_000;
}
